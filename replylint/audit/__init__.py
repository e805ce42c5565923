"""Batch audit: check past replies from ticket exports, folders and mbox files,
store the results in SQLite, run thread-level checks per ticket, and report.

Layout:
    config.py    audit settings ([audit] table, --map) and their validation
    timeutil.py  timestamps, business-day calendar, ETA phrases -> deadlines
    readers.py   inputs (JSONL, CSV, folders, mbox) -> Message / Problem records
    store.py     the SQLite database (schema, upserts, queries)
    workers.py   checking batches of replies: worker processes or Dask
    threads.py   loading checks/threads/* and running them per ticket
    pipeline.py  one audit run: read, skip unchanged, check, store, thread pass
    report.py    report data from the database; terminal, JSON, CSV, HTML output
    charts.py    inline SVG chart geometry
    cli.py       the `replylint audit` command group
"""
