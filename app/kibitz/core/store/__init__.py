"""The conversation database: SQLite with migrations, WAL, FTS5 search, messages made of parts,
content-addressed files and images, and crash-safe replies.

Public API: `Store.open(path)` and its methods, `ReplyWriter` (from `Store.begin_reply`),
`StoreWatcher` (what other processes committed), `fts_query` (how free text becomes a safe
FTS5 query), the cost ledger's sums (`LedgerGrouping`, `LedgerTotal`), the schema's
`MIGRATIONS`, and `StoreOpening` (the database opened for the app's first frame, the Store
after it).

`import kibitz.core.store` is cheap: each name loads its module when first used, so the app's
first frame opens the database (opening.py) without the Store's ~15 ms of imports.
"""

from typing import TYPE_CHECKING

from kibitz.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from kibitz.core.store.base import ChangeListener
    from kibitz.core.store.blobs import blob_digest
    from kibitz.core.store.error_text import error_record, read_error_record
    from kibitz.core.store.facade import Store
    from kibitz.core.store.imports import ImportedConversation, ImportedMessage, ImportOutcome
    from kibitz.core.store.ledger import UNKNOWN_LABEL, LedgerGrouping, LedgerTotal, sum_totals
    from kibitz.core.store.opening import FirstPage, ListedConversation, StoreOpening
    from kibitz.core.store.schema import MIGRATIONS, Migration, MigrationProgress
    from kibitz.core.store.search import fts_query
    from kibitz.core.store.watch import StoreWatcher
    from kibitz.core.store.writer import FLUSH_INTERVAL_S, ReplyWriter

_HOME = {
    "ChangeListener": "base",
    "blob_digest": "blobs",
    "error_record": "error_text",
    "read_error_record": "error_text",
    "Store": "facade",
    "ImportedConversation": "imports",
    "ImportedMessage": "imports",
    "ImportOutcome": "imports",
    "UNKNOWN_LABEL": "ledger",
    "LedgerGrouping": "ledger",
    "LedgerTotal": "ledger",
    "sum_totals": "ledger",
    "FirstPage": "opening",
    "ListedConversation": "opening",
    "StoreOpening": "opening",
    "MIGRATIONS": "schema",
    "Migration": "schema",
    "MigrationProgress": "schema",
    "fts_query": "search",
    "StoreWatcher": "watch",
    "FLUSH_INTERVAL_S": "writer",
    "ReplyWriter": "writer",
}

__getattr__ = lazy_names(__name__, _HOME, globals())

__all__ = [
    "FLUSH_INTERVAL_S",
    "MIGRATIONS",
    "UNKNOWN_LABEL",
    "ChangeListener",
    "FirstPage",
    "ImportOutcome",
    "ImportedConversation",
    "ImportedMessage",
    "LedgerGrouping",
    "LedgerTotal",
    "ListedConversation",
    "Migration",
    "MigrationProgress",
    "ReplyWriter",
    "Store",
    "StoreOpening",
    "StoreWatcher",
    "blob_digest",
    "error_record",
    "fts_query",
    "read_error_record",
    "sum_totals",
]
