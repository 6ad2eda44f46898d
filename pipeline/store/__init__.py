"""The output on disk: its tables and lock (`pipeline.store.layout`), its journal and commit (`journal`), and how runs publish to it.

``from pipeline import store`` is the reading side a downstream job needs
(`read_table`, `parts`, `read_summary`, the table names); the modules of
this package are the writing side: `staging` (a run's batches before they
are decided), `rows` and `publish` (the parts a run adds and the rows it
changes), `report` (the run summary), and object storage (`objects`,
`remote`, `local_copy`, `lease`, `allowed_roots`), and the Delta Lake log of each table (`delta`).
"""

from pipeline.store.journal import (  # noqa: F401 - the commit, for the writing side
    commit,
    discard_staging,
    finish_pending,
    pending,
    recover,
    remove_unfinished,
)
from pipeline.store.layout import (  # noqa: F401 - the package's reading API
    CARD_NAME,
    COMPRESSION,
    JOURNAL_NAME,
    LEDGER,
    LOCK_NAME,
    RUNS,
    STAGED_SUFFIX,
    STAGING_PREFIX,
    SUMMARY_NAME,
    TABLES,
    TEMP_SUFFIX,
    TEMPLATES,
    BusyError,
    OutputError,
    check_compatible,
    check_folders,
    fsync_file,
    locked,
    next_run,
    part_path,
    parts,
    read_ahead,
    read_part,
    read_summary,
    read_table,
    rewritten_path,
    temp_path,
    write_parquet,
    write_text_temp,
)
