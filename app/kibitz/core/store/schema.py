"""The database schema and its `PRAGMA user_version` migrations, with a backup before each one."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kibitz.core.errors import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    """One step; `apply` runs inside the transaction that also bumps user_version."""

    version: int  # the user_version after this step
    description: str
    apply: Callable[[sqlite3.Connection], None]


# Version 1. Why some choices:
# - messages.parent_id makes a tree, so edits and regenerations keep the old branch.
# - conversations.current_leaf_id has no foreign key: the two tables would reference each
#   other, and a cascade purge would then have to update rows it is about to delete. The store
#   checks that a leaf belongs to its conversation when it sets one.
# - params is JSON of RequestParams.overridden(), so new request fields need no migration.
# - the FTS table is external-content (the text is stored once) and kept in step by triggers.
#   Its 3-letter prefix index makes search-as-you-type fast: without it "the"* over 100,000
#   messages merges every term starting "the" (23 ms here); with it, one lookup. It costs
#   about a third more time per inserted message (import speed), so shorter prefixes,
#   which would need their own index, are searched as whole words instead.
_V1 = """
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    uid             TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL DEFAULT '',
    created_at      REAL    NOT NULL,
    updated_at      REAL    NOT NULL,
    pinned          INTEGER NOT NULL DEFAULT 0,
    deleted_at      REAL,
    current_leaf_id INTEGER,
    system_prompt   TEXT,
    params          TEXT    NOT NULL DEFAULT '{}',
    provider        TEXT
);
CREATE INDEX conversations_display
    ON conversations (pinned DESC, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX conversations_deleted ON conversations (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id         INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    role              TEXT    NOT NULL,
    content           TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL,
    created_at        REAL    NOT NULL,
    updated_at        REAL    NOT NULL,
    model             TEXT,
    finish_reason     TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    total_tokens      INTEGER,
    error             TEXT,
    choice_index      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);
CREATE INDEX messages_parent ON messages (parent_id, created_at, id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
"""


def _run_ddl(conn: sqlite3.Connection, ddl: str) -> None:
    # executescript() would COMMIT the migration's transaction first, so run one statement
    # at a time; sqlite3.complete_statement finds the ends (trigger bodies hold semicolons).
    statement = ""
    for line in ddl.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise AssertionError(f"unterminated DDL statement: {statement!r}")


def _create_v1(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, _V1)


# Version 2: messages made of parts. Why some choices:
# - message_parts holds every part in order; a text part's text is stored only there (not
#   also in messages). `data` is JSON of the part's other fields (core/store/part_rows.py),
#   so a new field of a part needs no migration.
# - Image and file bytes live once in `blobs`, keyed by their SHA-256; parts point at them.
#   They are never in the text index.
# - The text index covers the text parts only (what the user wrote, the answers; never
#   reasoning or tool data), one entry per message: message_text is the view it reads
#   (the text parts joined as Message.content joins them), and triggers keep it in step.
#   A part's trigger does nothing while its message is being deleted (a cascade): the
#   message's own BEFORE DELETE trigger has removed the entry then.
# - Migrating keeps v1's index: the new index has the same tokenizer and rowids (message
#   ids) over the same text, so its shadow tables are copied instead of re-indexing every
#   message (100,000 messages: ~1.5 s against ~10 s for a rebuild); FTS5's integrity-check
#   then proves the copy matches, and a rebuild is the fallback if it does not.
_TEXT_OF = "(SELECT content FROM message_text WHERE id = {id})"
_V2 = """
CREATE TABLE blobs (
    sha256     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_at REAL    NOT NULL
);
CREATE TABLE message_parts (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    text       TEXT    NOT NULL DEFAULT '',
    data       TEXT,
    blob       TEXT    REFERENCES blobs (sha256),
    UNIQUE (message_id, seq)
);
CREATE INDEX message_parts_blob ON message_parts (blob) WHERE blob IS NOT NULL;
ALTER TABLE messages ADD COLUMN reasoning_tokens INTEGER;
INSERT INTO message_parts (message_id, seq, type, text)
    SELECT id, 0, 'text', content FROM messages WHERE content != '';
CREATE VIEW message_text (id, content) AS
SELECT m.id, coalesce((SELECT group_concat(t.text, char(10) || char(10)) FROM
    (SELECT p.text FROM message_parts p WHERE p.message_id = m.id AND p.type = 'text'
     ORDER BY p.seq) t), '')
FROM messages m;
CREATE VIRTUAL TABLE message_text_fts USING fts5 (
    content,
    content = 'message_text',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3'
);
"""
_V2_TRIGGERS = f"""
CREATE TRIGGER message_text_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_text_fts (rowid, content) VALUES (new.id, '');
END;
CREATE TRIGGER message_text_delete BEFORE DELETE ON messages BEGIN
    INSERT INTO message_text_fts (message_text_fts, rowid, content)
    VALUES ('delete', old.id, {_TEXT_OF.format(id="old.id")});
END;
CREATE TRIGGER part_text_before_insert BEFORE INSERT ON message_parts
WHEN new.type = 'text' AND EXISTS (SELECT 1 FROM messages WHERE id = new.message_id) BEGIN
    INSERT INTO message_text_fts (message_text_fts, rowid, content)
    VALUES ('delete', new.message_id, {_TEXT_OF.format(id="new.message_id")});
END;
CREATE TRIGGER part_text_after_insert AFTER INSERT ON message_parts
WHEN new.type = 'text' AND EXISTS (SELECT 1 FROM messages WHERE id = new.message_id) BEGIN
    INSERT INTO message_text_fts (rowid, content)
    VALUES (new.message_id, {_TEXT_OF.format(id="new.message_id")});
END;
CREATE TRIGGER part_text_before_update BEFORE UPDATE OF text, type, seq ON message_parts
WHEN (old.type = 'text' OR new.type = 'text')
    AND EXISTS (SELECT 1 FROM messages WHERE id = old.message_id) BEGIN
    INSERT INTO message_text_fts (message_text_fts, rowid, content)
    VALUES ('delete', old.message_id, {_TEXT_OF.format(id="old.message_id")});
END;
CREATE TRIGGER part_text_after_update AFTER UPDATE OF text, type, seq ON message_parts
WHEN (old.type = 'text' OR new.type = 'text')
    AND EXISTS (SELECT 1 FROM messages WHERE id = old.message_id) BEGIN
    INSERT INTO message_text_fts (rowid, content)
    VALUES (old.message_id, {_TEXT_OF.format(id="old.message_id")});
END;
CREATE TRIGGER part_text_before_delete BEFORE DELETE ON message_parts
WHEN old.type = 'text' AND EXISTS (SELECT 1 FROM messages WHERE id = old.message_id) BEGIN
    INSERT INTO message_text_fts (message_text_fts, rowid, content)
    VALUES ('delete', old.message_id, {_TEXT_OF.format(id="old.message_id")});
END;
CREATE TRIGGER part_text_after_delete AFTER DELETE ON message_parts
WHEN old.type = 'text' AND EXISTS (SELECT 1 FROM messages WHERE id = old.message_id) BEGIN
    INSERT INTO message_text_fts (rowid, content)
    VALUES (old.message_id, {_TEXT_OF.format(id="old.message_id")});
END;
"""
_FTS_SHADOWS = ("data", "idx", "docsize")


def _create_v2(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, _V2)
    for shadow in _FTS_SHADOWS:  # our own names, never user input
        conn.execute(f"DELETE FROM message_text_fts_{shadow}")
        conn.execute(f"INSERT INTO message_text_fts_{shadow} SELECT * FROM messages_fts_{shadow}")
    try:
        conn.execute(
            "INSERT INTO message_text_fts (message_text_fts, rank) VALUES ('integrity-check', 1)"
        )
    except sqlite3.DatabaseError as e:
        log.warning("the copied text index does not match (%s); rebuilding it", e)
        conn.execute("INSERT INTO message_text_fts (message_text_fts) VALUES ('rebuild')")
    for trigger in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE messages_fts")
    conn.execute("ALTER TABLE messages DROP COLUMN content")
    _run_ddl(conn, _V2_TRIGGERS)


# Version 3: a message can be deleted softly, with the replies under it (Undo brings them back).
# - messages.deleted_at is the instant of the delete, shared by the whole subtree it took, so
#   a restore brings back that subtree and not one deleted before it on its own.
# - Reads skip deleted rows by this column rather than moving them elsewhere: a delete and its
#   Undo are one UPDATE each, and the row keeps its id, parts and place in the tree. Adding a
#   nullable column rewrites nothing, so the upgrade is instant at any size.
# - The text index keeps their entries; search joins messages and skips deleted ones.
_V3 = """
ALTER TABLE messages ADD COLUMN deleted_at REAL;
CREATE INDEX messages_deleted ON messages (deleted_at) WHERE deleted_at IS NOT NULL;
"""


def _create_v3(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, _V3)


# Version 4: the cost ledger (core/pricing, core/store/ledger.py).
# - A reply keeps the provider profile that answered, its cached prompt tokens, its cost and
#   the price that cost was computed with (JSON, core/pricing/prices.py): a price edited later
#   never rewrites an old cost, and the reply can still say what it was charged at.
# - Costs are integers in nano-dollars: sums over a year of replies are exact (no float drift)
#   and stay far inside SQLite's 64-bit integers (9.2e18 nano-dollars is $9.2 billion).
# - prices holds what differs from the shipped defaults (edits, prices OpenRouter lists), in
#   micro-dollars per million tokens (per image for `image`); NULL: not charged or not known.
# - messages_ledger covers what the ledger reads, for replies with usage only, so the sums
#   never touch the table: a year of 100,000 replies takes ~60 ms per grouping, most of it
#   the GROUP BY's sort (tests/bench/bench_usage.py).
# - Adding columns rewrites nothing; the index is the only work: 100,000 messages upgrade in
#   ~160 ms, ~30 ms of it the backup (bench_usage.py).
_V4 = """
ALTER TABLE messages ADD COLUMN cached_tokens INTEGER;
ALTER TABLE messages ADD COLUMN provider TEXT;
ALTER TABLE messages ADD COLUMN cost_nanos INTEGER;
ALTER TABLE messages ADD COLUMN price TEXT;
CREATE TABLE prices (
    provider     TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    input        INTEGER,
    cached_input INTEGER,
    output       INTEGER,
    reasoning    INTEGER,
    image        INTEGER,
    source       TEXT    NOT NULL DEFAULT '',
    as_of        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (provider, model)
);
CREATE INDEX messages_ledger ON messages (
    created_at, conversation_id, provider, model, prompt_tokens, cached_tokens,
    completion_tokens, reasoning_tokens, cost_nanos, total_tokens
) WHERE total_tokens IS NOT NULL;
"""


def _create_v4(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, _V4)


# Version 5: the requests behind each reply, for the request inspector (store/exchanges.py).
# - One row per request attempt (retries, tool rounds), in the order sent; the record is JSON
#   (chat/exchange.py), so what it holds can grow without a migration. It holds no secret.
# - Deleting a reply (or its conversation) deletes its requests: ON DELETE CASCADE.
# - `dropped` (messages trimming left out) has a column of its own: opening a conversation asks
#   which replies were trimmed, and must not parse records that hold whole request bodies.
# - A new table and its index: nothing is rewritten.
_V5 = """
CREATE TABLE exchanges (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    body_cut   INTEGER NOT NULL DEFAULT 0,
    dropped    INTEGER NOT NULL DEFAULT 0,
    record     TEXT    NOT NULL,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
"""


def _create_v5(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, _V5)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _create_v1),
    Migration(2, "messages made of parts, stored files and images", _create_v2),
    Migration(3, "messages deleted with Undo", _create_v3),
    Migration(4, "the cost ledger: reply costs and prices", _create_v4),
    Migration(5, "the requests behind each reply", _create_v5),
)


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _backup(conn: sqlite3.Connection, db_path: Path, old_version: int) -> Path:
    """Copy the whole database (WAL included) beside it with the sqlite3 backup API."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = db_path.with_name(f"{db_path.name}.bak-v{old_version}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = db_path.with_name(f"{db_path.name}.bak-v{old_version}-{stamp}-{n}")
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


MigrationProgress = Callable[[int, int, str], None]  # (step, steps, what it does)


def pending_migrations(conn: sqlite3.Connection, steps: Sequence[Migration] = MIGRATIONS) -> int:
    """How many steps opening this database would run (0 for a new, empty file)."""
    version = current_version(conn)
    return 0 if version == 0 else sum(1 for s in steps if s.version > version)


def needs_upgrade(path: Path, steps: Sequence[Migration] = MIGRATIONS) -> bool:
    """True when opening `path` would upgrade an existing database (read-only peek)."""
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return pending_migrations(conn, steps) > 0
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # damaged or unreadable: opening it says what is wrong


def migrate(
    conn: sqlite3.Connection,
    db_path: Path,
    steps: Sequence[Migration] = MIGRATIONS,
    progress: MigrationProgress | None = None,
) -> Path | None:
    """Bring the database up to the last step; return the backup taken, if one was needed.

    A database newer than `steps` is refused, never downgraded. Each step runs in its own
    transaction with its user_version bump, so a failure leaves the last good version (and
    says so). `progress` hears of each step of an existing database before it runs.
    """
    latest = steps[-1].version if steps else 0
    version = current_version(conn)
    if version > latest:
        raise StoreError(
            f"{db_path} has schema version {version}; this Kibitz knows up to {latest}",
            headline="The conversation database was written by a newer Kibitz",
            hint="Update Kibitz, or start this one with another --basedir; "
            "the database was left untouched.",
        )
    pending = [s for s in steps if s.version > version]
    if not pending:
        return None
    backup = _backup(conn, db_path, version) if version > 0 else None
    if backup is not None:
        log.info("backed up %s to %s before migrating", db_path, backup)
    for number, step in enumerate(pending, start=1):
        log.info("migrating %s to schema version %d (%s)", db_path, step.version, step.description)
        if progress is not None and version > 0:
            progress(number, len(pending), step.description)
        conn.execute("BEGIN IMMEDIATE")
        try:
            step.apply(conn)
            # PRAGMA takes no parameters; the value is our own int.
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
        except BaseException as e:
            conn.execute("ROLLBACK")
            if version == 0 or not isinstance(e, sqlite3.Error):
                raise
            kept = current_version(conn)
            copy = f" A copy taken before the upgrade is at {backup}." if backup else ""
            raise StoreError(
                f"{db_path}: upgrading to schema version {step.version} failed: {e}",
                headline="The conversation database could not be upgraded",
                hint=f"Nothing was changed: it is still at version {kept}.{copy} Free some disk "
                "space and start Kibitz again, or report the problem with the log file.",
            ) from e
        conn.execute("COMMIT")
    return backup
