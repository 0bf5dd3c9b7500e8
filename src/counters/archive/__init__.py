"""The event archive: every hit note the table's stream carries, kept as Parquet on S3.

- `schema`: the one place the Parquet columns are defined (the template's Glue table
  is checked against it);
- `writer`: a stream batch's hits -> one object per (site, local date) partition;
- `reader`: a site's objects of a range of days -> DuckDB, each hit once;
- `rebuild`: a range of days' report items recomputed from the archive.

S3 access is `counters.storage.archive_bucket`; docs/archive.md has the design.
"""
