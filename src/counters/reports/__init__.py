"""Reports: what dashboards read.

`series` (counts per period from day items), `pages` (path normalisation, top
pages), `breakdowns` (a hit's categories and their rows), `useragents` (bots,
browser, OS, device), `sources` (referrer and utm tags), `queries` (the dashboard
reads), `badge` (the SVG badge), `read_tokens` (read tokens of private reports).
"""
