"""One ChatGPT conversation (an element of conversations.json) as a Kibitz message tree.

A conversation holds `mapping`, a tree of nodes by id (each with `parent`, `children` and
a `message` or null), and `current_node`, the leaf the user last saw. The tree becomes
Kibitz messages like this:

- Nodes without a message, hidden nodes (`metadata.is_visually_hidden_from_conversation`,
  system messages, custom-instruction context) and empty placeholders are not turns: their
  children hang from the nearest turn above. Hidden system text becomes the conversation's
  system prompt. The user's custom instructions (`user_editable_context`, or any node marked
  `is_user_system_message`) are account settings that ChatGPT adds to every conversation:
  they are left out unless asked for (`keep_instructions`), then kept as the system prompt.
- The nodes of one reply, in a chain without branches (thoughts, the reasoning recap, tool
  calls and their output, the answer), become ONE assistant message whose parts keep their
  order: reasoning (timed by the recap), tool_call, tool_result (paired with its call by the
  tool's name), images the tools made, text.
- Branches (edited questions, regenerated replies) stay branches; `current_node` picks
  the current one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kibitz.core.store import ImportedConversation, ImportedMessage
from kibitz.core.transfer.chatgpt_content import (
    CONTEXT_TYPES,
    NodeContent,
    context_text,
    node_content,
)
from kibitz.core.transfer.chatgpt_files import NO_FILES, ExportFiles
from kibitz.core.transfer.errors import ImportFileError
from kibitz.core.types import (
    FilePart,
    ImagePart,
    MessageStatus,
    Part,
    ReasoningPart,
    Role,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)

UID_PREFIX = "chatgpt:"
CALL_PREFIX = "chatgpt-"  # + the node's id: the made-up id of a tool call (the same every import)
_MAX_TIME = 95_000_000_000.0  # seconds: about the year 5000 (and never NaN or infinity)
# A tool's output is part of the reply that called it; another author (a plugin, a critic)
# is shown like a tool: a note, not sent.
_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "tool": Role.ASSISTANT}
_REPLY_ROLES = (Role.ASSISTANT, Role.TOOL)
# finish_details.type -> (status, the finish_reason Kibitz stores)
_FINISH = {
    "stop": (MessageStatus.COMPLETE, "stop"),
    "max_tokens": (MessageStatus.LENGTH, "length"),
    "interrupted": (MessageStatus.INTERRUPTED, None),
}


@dataclass
class _Turn:
    """One Kibitz message under construction: one node, or a chain of reply nodes."""

    role: Role
    parent: int | None
    created_at: float | None
    last: Mapping[str, Any]  # the last node's message (status, finish, time)
    model: str | None = None
    parts: list[Part] = field(default_factory=list)
    calls: dict[str, ToolCallPart] = field(default_factory=dict)  # by id
    unanswered: list[str] = field(default_factory=list)  # call ids, oldest first

    def take(self, key: str, node: NodeContent, tool: str) -> None:
        """Add what node `key` holds; `tool` names the tool whose output it is, if any."""
        for part in node.parts:
            if isinstance(part, ToolCallPart):
                part = replace(part, id=CALL_PREFIX + key)
                self.calls[part.id] = part
                self.unanswered.append(part.id)
            elif isinstance(part, ToolResultPart):
                paired = self._pair(key, part, tool)
                if paired is None:
                    continue
                part = paired
            self.parts.append(part)
        if node.seconds is not None:
            self._timed(node.seconds)

    def _pair(self, key: str, result: ToolResultPart, tool: str) -> ToolResultPart | None:
        """The result with the id of the call it answers: the last unanswered call of the
        same tool, else the last unanswered call. More output of a tool that already
        answered (a page, then the quote found in it) joins that answer (None)."""
        named = [c for c in self.unanswered if self.calls[c].name == tool]
        if named or self.unanswered:
            chosen = (named or self.unanswered)[-1]
            self.unanswered.remove(chosen)
            return replace(result, tool_call_id=chosen)
        at = self._last_result()
        if at is not None:
            earlier = self.parts[at]
            assert isinstance(earlier, ToolResultPart)
            call = self.calls.get(earlier.tool_call_id)
            if call is None or call.name == tool or not tool:
                error = earlier.is_error or result.is_error
                content = "\n\n".join(t for t in (earlier.content, result.content) if t.strip())
                status = ToolStatus.ERROR if error else ToolStatus.OK
                self.parts[at] = replace(earlier, content=content, is_error=error, status=status)
                return None
        return replace(result, tool_call_id=CALL_PREFIX + key)  # its call is not in the export

    def _last_result(self) -> int | None:
        """Where the last part is a tool result, or one followed only by its images."""
        for at in range(len(self.parts) - 1, -1, -1):
            part = self.parts[at]
            if isinstance(part, ToolResultPart):
                return at
            if not isinstance(part, ImagePart):
                return None
        return None

    def _timed(self, seconds: float) -> None:
        """A reasoning recap: how long the reasoning before it took."""
        for at in range(len(self.parts) - 1, -1, -1):
            part = self.parts[at]
            if isinstance(part, ReasoningPart) and part.seconds is None:
                self.parts[at] = replace(part, seconds=seconds)
                return
        # The thoughts were not exported (or empty): ChatGPT still showed "Thought for 8s".
        self.parts.append(ReasoningPart("", seconds))


@dataclass
class ConvertedConversation:
    conversation: ImportedConversation
    unknown_types: list[str] = field(default_factory=list)
    instructions_left_out: bool = False  # it had custom instructions, not kept


def _time(value: Any) -> float | None:
    """A timestamp, if `value` is a plausible one (seconds, after 1970, before ~5000)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < _MAX_TIME else None


def _is_instructions(message: Mapping[str, Any]) -> bool:
    metadata = message.get("metadata")
    content = message.get("content")
    kind = content.get("content_type") if isinstance(content, Mapping) else None
    marked = isinstance(metadata, Mapping) and metadata.get("is_user_system_message") is True
    return marked or kind == "user_editable_context"


def _plain_text(message: Mapping[str, Any]) -> str:
    """The text a hidden message carries (strings of its parts, or its text)."""
    content = message.get("content")
    if not isinstance(content, Mapping):
        return ""
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(p for p in parts if isinstance(p, str)).strip()
    text = content.get("text")
    return text.strip() if isinstance(text, str) else ""


def _is_hidden(message: Mapping[str, Any]) -> bool:
    metadata = message.get("metadata")
    if isinstance(metadata, Mapping) and (
        metadata.get("is_visually_hidden_from_conversation")
        or metadata.get("is_user_system_message") is True
    ):
        return True
    content = message.get("content")
    kind = content.get("content_type") if isinstance(content, Mapping) else None
    author = message.get("author")
    role = author.get("role") if isinstance(author, Mapping) else None
    # Context types include the custom instructions (user_editable_context).
    return (isinstance(kind, str) and kind in CONTEXT_TYPES) or role == "system"


def _status(role: Role, message: Mapping[str, Any]) -> tuple[MessageStatus, str | None, str | None]:
    """(status, finish_reason, error) of a turn from its last node."""
    if role is not Role.ASSISTANT:
        return MessageStatus.COMPLETE, None, None
    state = message.get("status")
    metadata = message.get("metadata")
    details = metadata.get("finish_details") if isinstance(metadata, Mapping) else None
    finish = details.get("type") if isinstance(details, Mapping) else None
    if state not in (None, "finished_successfully"):
        return MessageStatus.INTERRUPTED, None, f"chatgpt: the reply ended as “{state}”"
    if isinstance(finish, str) and finish in _FINISH:
        status, reason = _FINISH[finish]
    else:
        status, reason = MessageStatus.COMPLETE, "stop" if finish else None
    return status, reason, None


def _uid(data: Mapping[str, Any]) -> str:
    ident = data.get("conversation_id") or data.get("id")
    if isinstance(ident, str) and ident:
        return UID_PREFIX + ident
    # No id (hand-made or very old files): the content decides, so a re-import still matches.
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f"{UID_PREFIX}sha256-{digest[:32]}"


class _TreeReader:
    """Walks one mapping and collects turns; kept small so each step can be read alone."""

    def __init__(
        self, mapping: Mapping[str, Any], where: str, files: ExportFiles, keep_instructions: bool
    ) -> None:
        self.files = files
        self.keep_instructions = keep_instructions
        self.instructions_left_out = False
        self.nodes: dict[str, Mapping[str, Any]] = {}
        for key, node in mapping.items():
            if not isinstance(node, Mapping):
                raise ImportFileError(where, f"node “{key}” of its message tree is not an object")
            self.nodes[key] = node
        self.turns: list[_Turn] = []
        self.turn_of: dict[str, int | None] = {}  # node id -> the turn it shows in (or above)
        self.context: list[str] = []
        self.unknown: list[str] = []
        self.rendered: dict[str, NodeContent] = {}  # showing nodes only

    def parent_of(self, key: str) -> str | None:
        parent = self.nodes[key].get("parent")
        return parent if isinstance(parent, str) and parent in self.nodes else None

    def order(self) -> list[str]:
        """Node ids depth first from the roots, children in their listed order."""
        children: dict[str | None, list[str]] = {}
        for key in self.nodes:
            children.setdefault(self.parent_of(key), [])
        for key, node in self.nodes.items():
            listed = node.get("children")
            kids = (
                [k for k in listed if isinstance(k, str) and k in self.nodes]
                if isinstance(listed, list)
                else []
            )
            children[key] = [k for k in dict.fromkeys(kids) if self.parent_of(k) == key]
        for key in self.nodes:  # a child its parent forgot to list still belongs to it
            parent = self.parent_of(key)
            if key not in children.setdefault(parent, []):
                children[parent].append(key)
        out: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(children.get(None, [])))
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            out.append(key)
            stack.extend(reversed(children.get(key, [])))
        return out  # nodes in a parent cycle are never reached from a root: left out

    def kept_children(self, order: list[str]) -> dict[str, int]:
        """For each node that will show, how many showing nodes hang directly from it."""
        shows: dict[str, bool] = {}
        above: dict[str, str | None] = {}
        counts: dict[str, int] = {}
        for key in order:
            message = self.nodes[key].get("message")
            parent = self.parent_of(key)
            above[key] = parent if parent is None or shows.get(parent) else above.get(parent)
            shows[key] = False
            if isinstance(message, Mapping) and not _is_hidden(message):
                rendered = node_content(message, self.files)
                if rendered.shows():
                    self.rendered[key] = rendered
                    shows[key] = True
            target = above[key]
            if shows[key] and target is not None:
                counts[target] = counts.get(target, 0) + 1
        return counts

    def read(self) -> None:
        order = self.order()
        fan_out = self.kept_children(order)
        shown_above: dict[str, str | None] = {}  # node -> nearest showing node at or above
        for key in order:
            parent = self.parent_of(key)
            above = None if parent is None else shown_above.get(parent)
            shown_above[key] = above
            message = self.nodes[key].get("message")
            if not isinstance(message, Mapping):
                continue
            if _is_hidden(message):
                self._context(message)
                continue
            rendered = self.rendered.get(key)
            if rendered is None:
                continue
            if rendered.unknown:
                self.unknown.append(rendered.unknown)
            shown_above[key] = key
            self._add(key, above, message, rendered, fan_out)

    def _context(self, message: Mapping[str, Any]) -> None:
        """Hidden context: custom instructions (kept only when asked) and system text."""
        if _is_instructions(message):
            text = context_text(message) or _plain_text(message)
            if text and not self.keep_instructions:
                self.instructions_left_out = True
                return
        else:
            author = message.get("author")
            is_system = isinstance(author, Mapping) and author.get("role") == "system"
            text = _plain_text(message) if is_system else ""
        if text and text not in self.context:
            self.context.append(text)

    def _add(
        self,
        key: str,
        above: str | None,
        message: Mapping[str, Any],
        content: NodeContent,
        fan_out: dict[str, int],
    ) -> None:
        author = message.get("author")
        role_name = author.get("role") if isinstance(author, Mapping) else None
        role = _ROLES.get(role_name, Role.TOOL) if isinstance(role_name, str) else Role.TOOL
        tool = author.get("name") if isinstance(author, Mapping) else None
        tool = tool if isinstance(tool, str) and role_name == "tool" else ""
        metadata = message.get("metadata")
        model = metadata.get("model_slug") if isinstance(metadata, Mapping) else None
        model = model if isinstance(model, str) and role_name == "assistant" else None
        parent_turn = None if above is None else self.turn_of[above]
        if (
            parent_turn is not None
            and role in _REPLY_ROLES
            and self.turns[parent_turn].role is Role.ASSISTANT
            and fan_out.get(above or "", 0) == 1
        ):
            turn = self.turns[parent_turn]  # the same reply goes on: a tool ran, or it resumed
            turn.take(key, content, tool)
            turn.last = message
            turn.model = model or turn.model
            self.turn_of[key] = parent_turn
            return
        turn = _Turn(role, parent_turn, _time(message.get("create_time")), message, model)
        turn.take(key, content, tool)
        self.turns.append(turn)
        self.turn_of[key] = len(self.turns) - 1

    def current_turn(self, current_node: Any) -> int | None:
        key = current_node if isinstance(current_node, str) else None
        for _ in range(len(self.nodes) + 1):  # bounded: a cycle cannot loop forever
            if key is None or key not in self.nodes:
                break
            if key in self.turn_of:
                return self.turn_of[key]
            key = self.parent_of(key)
        # No usable current_node: the last turn read, the end of the last branch.
        return len(self.turns) - 1 if self.turns else None


def convert_conversation(
    data: Any,
    where: str,
    now: float,
    *,
    files: ExportFiles = NO_FILES,
    keep_instructions: bool = False,
) -> ConvertedConversation:
    """The ChatGPT conversation `data` as an ImportedConversation; `where` names it in errors.

    `files` are the export's own files (images and documents are imported from there);
    `keep_instructions` keeps the user's custom instructions as the system prompt.
    """
    if not isinstance(data, Mapping):
        raise ImportFileError(where, "is not a conversation object")
    mapping = data.get("mapping")
    if not isinstance(mapping, Mapping):
        raise ImportFileError(where, "has no message tree (its “mapping” is missing)")
    reader = _TreeReader(mapping, where, files, keep_instructions)
    reader.read()
    created = _time(data.get("create_time"))
    updated = _time(data.get("update_time"))
    times = [t.created_at for t in reader.turns if t.created_at is not None]
    created = created or (min(times) if times else None) or updated or now
    updated = max(updated or created, *(times or [created]))
    messages: list[ImportedMessage] = []
    for turn in reader.turns:
        at = turn.created_at or (
            messages[turn.parent].created_at if turn.parent is not None else created
        )
        status, finish, error = _status(turn.role, turn.last)
        messages.append(
            ImportedMessage(
                parent=turn.parent,
                role=turn.role,
                parts=tuple(turn.parts),
                created_at=at,
                updated_at=max(at, _time(turn.last.get("create_time")) or at),
                status=status,
                model=turn.model,
                finish_reason=finish,
                error=error,
            )
        )
    title = data.get("title")
    digests = {p.blob for t in reader.turns for p in t.parts if isinstance(p, ImagePart | FilePart)}
    conversation = ImportedConversation(
        uid=_uid(data),
        title=" ".join(title.split()) if isinstance(title, str) else "",
        created_at=created,
        updated_at=updated,
        messages=tuple(messages),
        current_leaf=reader.current_turn(data.get("current_node")),
        system_prompt="\n\n".join(reader.context) or None,
        blobs=files.blobs(digests) if digests else {},
    )
    return ConvertedConversation(conversation, reader.unknown, reader.instructions_left_out)
