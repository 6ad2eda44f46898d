"""The output on disk: its tables, lock, journal and commit (`pipeline.store.layout`), and how runs publish to it.

``from pipeline import store`` is the reading side a downstream job needs
(`read_table`, `parts`, `read_summary`, the table names); the modules of
this package are the writing side: `staging` (a run's batches before they
are decided), `rows` and `publish` (the parts a run adds and the rows it
changes), `report` (the run summary), and object storage (`objects`,
`remote`, `lease`, `allowed_roots`).
"""

from pipeline.store.layout import (  # noqa: F401 - the package's reading API
    TABLES, LEDGER, TEMPLATES, RUNS, SUMMARY_NAME, CARD_NAME, LOCK_NAME, JOURNAL_NAME, STAGING_PREFIX,
    STAGED_SUFFIX, TEMP_SUFFIX, COMPRESSION, OutputError, BusyError, check_folders, locked, part_path, parts,
    read_table, read_part, read_ahead, read_summary, next_run, check_compatible, temp_path, write_text_temp,
    fsync_file, commit, pending, finish_pending, discard_staging, recover, remove_unfinished
)
