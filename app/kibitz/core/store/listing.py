"""How conversations are listed: the SQL of the display order and of the Trash's, shared by the
store's conversation queries and the first page the app reads before the store loads."""

from __future__ import annotations

# Display order: pinned first, then most recently active. The id breaks ties so the order is
# stable; the partial index conversations_display serves exactly this order.
ORDER = "ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC"
LIVE = "c.deleted_at IS NULL"
TRASH = "c.deleted_at IS NOT NULL"
# The Trash lists the most recently deleted first; conversations_deleted serves it.
TRASH_ORDER = "ORDER BY c.deleted_at DESC, c.id DESC"
# message_count counts the conversation's messages in every branch (not the deleted ones): one
# index range per row, where the length of the current branch would need a tree walk.
MESSAGE_COUNT = (
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.deleted_at IS NULL)"
)


def listed(deleted: bool) -> str:
    """The WHERE condition and ORDER BY of the list (or, with `deleted`, of the Trash)."""
    return f"{TRASH} {TRASH_ORDER}" if deleted else f"{LIVE} {ORDER}"
