"""Counting: a hit's path from request to the five figures.

`periods` (the local calendar), `figures` (bases, day records and the figures an
answer shows), `visits` (skipped hits, visitor ids, visits, online), `salts` (the
daily salt), `admission` (visitor items per address), `daybook` (opening, sealing
and adding to days) and `service` (`CounterService`: the operations).
"""
