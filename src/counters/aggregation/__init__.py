"""Aggregation: the one exactly-once path from stream records to report and day items.

`notes` (a hit's note: encoding and checks), `batches` (stream records as hits and
what a batch adds to which item; pure), `aggregator` (adds a batch's hits to their
items, each once). See docs/aggregation.md.
"""
