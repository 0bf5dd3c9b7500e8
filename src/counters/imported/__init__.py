"""Imported history: the totals and history of the counter a site replaces.

`rows` (imported periods and their reading), `nukeviet` (NukeViet counter dumps),
`checks` (roll-up and consistency checks; pure), `carried` (the bases history gives the
figures when no baseline was imported; pure), `importer` (the import operation).
"""
