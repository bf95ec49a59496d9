"""Content-addressed storage of image and file bytes: each distinct file is stored once."""

from __future__ import annotations

import sqlite3

from kibitz.core.errors import NotFoundError
from kibitz.core.store.base import StoreBase


def blob_digest(data: bytes) -> str:
    """The key a blob is stored under: the SHA-256 of its bytes, in hex."""
    import hashlib  # here: loading OpenSSL (~2.5 ms) is no part of the app's first frame

    return hashlib.sha256(data).hexdigest()


def insert_blob(conn: sqlite3.Connection, digest: str, data: bytes, now: float) -> None:
    """Store `data` under `digest` unless it is there already (same bytes, same key)."""
    if blob_digest(data) != digest:
        raise ValueError(f"blob {digest[:12]}…: its bytes do not match their SHA-256")
    # Stored again: its time is renewed, so a clean-up between this and the message that will
    # name it (sendings store the bytes first) leaves it alone (see UNUSED_GRACE_S).
    conn.execute(
        "INSERT INTO blobs (sha256, size, data, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET created_at = excluded.created_at",
        (digest, len(data), data, now),
    )


# Bytes stored this recently are kept even when no message names them yet.
UNUSED_GRACE_S = 3600.0


def delete_unused_blobs(conn: sqlite3.Connection, now: float) -> int:
    """Delete the bytes no message part names (and that were not just stored); how many."""
    cur = conn.execute(
        "DELETE FROM blobs WHERE created_at < ? AND sha256 NOT IN"
        " (SELECT blob FROM message_parts WHERE blob IS NOT NULL)",
        (now - UNUSED_GRACE_S,),
    )
    return cur.rowcount


class BlobsMixin(StoreBase):
    """Store.put_blob() and Store.blob(): the bytes behind image and file parts."""

    def put_blob(self, data: bytes) -> str:
        """Store the bytes (once, however often they are put) and return their key."""
        digest = blob_digest(data)
        with self._db.write() as conn:
            insert_blob(conn, digest, data, self._now())
        return digest

    def blob(self, digest: str) -> bytes:
        with self._db.read() as conn:
            row = conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (digest,)).fetchone()
        if row is None:
            raise NotFoundError(f"blob {digest}", headline="A stored file is missing")
        return bytes(row[0])

    def has_blob(self, digest: str) -> bool:
        with self._db.read() as conn:
            row = conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (digest,)).fetchone()
        return row is not None

    def drop_unused_blobs(self) -> int:
        """Delete the blobs no message part names any more (after a purge); how many went."""
        with self._db.write() as conn:
            return delete_unused_blobs(conn, self._now())
