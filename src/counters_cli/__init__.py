"""`visit-counter`: the operators' command line (see `counters_cli.main`)."""
