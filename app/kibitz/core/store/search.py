"""Full-text search over message text (FTS5: the text parts only), safe for any text typed."""

from __future__ import annotations

import re
import unicodedata

from kibitz.core.store.base import StoreBase
from kibitz.core.types import ConversationId, MessageId, Role, SearchHit

# Ten tokens of context around the hit; the marks are the ones SearchHit promises.
_SNIPPET = "snippet(message_text_fts, 0, '[', ']', '…', 10)"

# Newest first, by message id: FTS5 walks its doclists in rowid order, so with a LIMIT it
# stops after the first `limit` live hits instead of scoring or sorting every match. Over
# 100,000 messages (tests/bench/bench_store.py) "the"* took 0.1 ms this way, 79 ms sorted
# by created_at and 208 ms by bm25 rank. Ids grow with insertion, so this is "most recently
# stored", which for imported history is import order.
_SQL = f"""
SELECT m.conversation_id, m.id, c.title, m.role, {_SNIPPET}, m.created_at
FROM message_text_fts
JOIN messages m ON m.id = message_text_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE message_text_fts MATCH ? AND c.deleted_at IS NULL AND m.deleted_at IS NULL
ORDER BY message_text_fts.rowid DESC
LIMIT ?
"""

# Runs of letters and digits: roughly the tokens unicode61 makes of a term.
_WORD = re.compile(r"[^\W_]+")
# The shortest last word matched as a prefix: the FTS table has a 3-letter prefix index.
_MIN_PREFIX = 3


def fts_query(text: str) -> str | None:
    """Turn free text into an FTS5 query that cannot be a syntax error, or None if empty.

    Every whitespace-separated term becomes a quoted string (so AND, NEAR, *, ^, :, quotes
    and parentheses are just text), all terms must match, and the last one matches as a
    prefix so results follow the user's typing, once it has three letters (the FTS table
    indexes 3-letter prefixes; shorter ones match nearly everything and are slow, so
    "how do I" looks for the word "I"). Terms
    without a letter or digit are dropped: the tokenizer would find nothing in them.
    """
    # FTS5 reads a NUL as the end of the query ("unterminated string"); lone surrogates
    # (from broken pastes) fail the same way. Neither can be part of a word, so blank them.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)
    terms = [t for t in text.split() if any(ch.isalnum() for ch in t)]
    if not terms:
        return None
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    if len(_WORD.findall(terms[-1])[-1]) >= _MIN_PREFIX:
        quoted[-1] += "*"
    return " ".join(quoted)


class SearchMixin(StoreBase):
    """Store.search()."""

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages matching every word of `query`, newest first, outside deleted conversations.

        Matching ignores case and diacritics ("cafe" finds "Café"); the snippet has the
        matched words between [ and ].
        """
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        with self._db.read() as conn:
            rows = conn.execute(_SQL, (match, limit)).fetchall()
        return [
            SearchHit(
                conversation_id=ConversationId(r[0]),
                message_id=MessageId(r[1]),
                conversation_title=r[2],
                role=Role(r[3]),
                snippet=r[4],
                created_at=r[5],
            )
            for r in rows
        ]
