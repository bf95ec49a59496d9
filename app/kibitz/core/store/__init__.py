"""The conversation database: SQLite with migrations, WAL, FTS5 search, messages made of parts,
content-addressed files and images, and crash-safe replies.

Public API: `Store.open(path)` and its methods, `ReplyWriter` (from `Store.begin_reply`),
`StoreWatcher` (what other processes committed), `fts_query` (how free text becomes a safe
FTS5 query), the cost ledger's sums (`LedgerGrouping`, `LedgerTotal`) and the schema's
`MIGRATIONS`.
"""

from kibitz.core.store.base import ChangeListener
from kibitz.core.store.blobs import blob_digest
from kibitz.core.store.error_text import error_record, read_error_record
from kibitz.core.store.facade import Store
from kibitz.core.store.imports import ImportedConversation, ImportedMessage, ImportOutcome
from kibitz.core.store.ledger import UNKNOWN_LABEL, LedgerGrouping, LedgerTotal, sum_totals
from kibitz.core.store.schema import MIGRATIONS, Migration, MigrationProgress
from kibitz.core.store.search import fts_query
from kibitz.core.store.watch import StoreWatcher
from kibitz.core.store.writer import FLUSH_INTERVAL_S, ReplyWriter

__all__ = [
    "FLUSH_INTERVAL_S",
    "MIGRATIONS",
    "UNKNOWN_LABEL",
    "ChangeListener",
    "ImportOutcome",
    "ImportedConversation",
    "ImportedMessage",
    "LedgerGrouping",
    "LedgerTotal",
    "Migration",
    "MigrationProgress",
    "ReplyWriter",
    "Store",
    "StoreWatcher",
    "blob_digest",
    "error_record",
    "fts_query",
    "read_error_record",
    "sum_totals",
]
