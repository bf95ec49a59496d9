"""The ids of conversations and messages, and what a store mutation changed (`Changes`).

Apart from kibitz.core.types (which hands them out too) so that the app's first frame, which
only lists conversations, has them without loading every record type of the core.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NewType

ConversationId = NewType("ConversationId", int)
MessageId = NewType("MessageId", int)


class ChangeKind(enum.StrEnum):
    CREATED = "created"
    RENAMED = "renamed"
    PINNED = "pinned"
    DELETED = "deleted"
    RESTORED = "restored"
    PURGED = "purged"
    MESSAGES = "messages"  # messages added, edited or branched
    PARAMS = "params"


@dataclass(frozen=True, slots=True)
class Changes:
    """What a store mutation changed, so each view can decide what to refresh."""

    kind: ChangeKind
    conversation_ids: tuple[ConversationId, ...]
    message_ids: tuple[MessageId, ...] = ()
