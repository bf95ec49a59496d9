"""Markdown rendering of one conversation: YAML front matter, then a section per turn.

Message text is written verbatim, so the code fences a model wrote survive exactly; a fence
a reply left open (it was cut off mid-code) is closed, or it would swallow the rest. Each
message's reasoning, files and tool calls are laid out by markdown_parts; images and files
are linked when the caller wrote them beside the document (see markdown_files).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from kibitz.core.transfer.fences import close_open_fence
from kibitz.core.transfer.markdown_parts import AttachmentLink, message_markdown
from kibitz.core.types import Conversation, Message, MessageId, MessageStatus, Role

_HEADINGS = {
    Role.SYSTEM: "System",
    Role.USER: "User",
    Role.ASSISTANT: "Assistant",
    Role.TOOL: "Tool",
}
_EXCERPT_CHARS = 60


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _yaml_str(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, escapes included.
    return json.dumps(text, ensure_ascii=False)


def _by_creation(messages: Iterable[Message]) -> list[Message]:
    return sorted(messages, key=lambda m: (m.created_at, m.id))


def _path_to(leaf: MessageId, by_id: dict[MessageId, Message]) -> list[Message]:
    path: list[Message] = []
    node: Message | None = by_id.get(leaf)
    while node is not None and len(path) <= len(by_id):  # the bound stops a cycle
        path.append(node)
        node = None if node.parent_id is None else by_id.get(node.parent_id)
    path.reverse()
    return path


def _leaves(messages: Sequence[Message]) -> list[Message]:
    """Every leaf, in reading order: depth first, siblings oldest first."""
    children: dict[MessageId | None, list[Message]] = {}
    ids = {m.id for m in messages}
    for message in _by_creation(messages):
        parent = message.parent_id if message.parent_id in ids else None
        children.setdefault(parent, []).append(message)
    leaves: list[Message] = []
    stack = list(reversed(children.get(None, [])))
    seen: set[MessageId] = set()
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        kids = children.get(node.id, [])
        if not kids:
            leaves.append(node)
        stack.extend(reversed(kids))
    return leaves


def _current_leaf(conversation: Conversation, messages: Sequence[Message]) -> MessageId | None:
    ids = {m.id for m in messages}
    if conversation.current_leaf_id in ids:
        return conversation.current_leaf_id
    leaves = _leaves(messages)
    return leaves[-1].id if leaves else None


def _model(conversation: Conversation, branch: Sequence[Message]) -> str | None:
    for message in reversed(branch):
        if message.role is Role.ASSISTANT and message.model:
            return message.model
    return conversation.params.model


def _front_matter(conversation: Conversation, branch: Sequence[Message]) -> str:
    lines = [
        "---",
        f"title: {_yaml_str(conversation.title)}",
        f"id: {_yaml_str(conversation.uid)}",
        f"created: {_iso(conversation.created_at)}",
        f"updated: {_iso(conversation.updated_at)}",
    ]
    model = _model(conversation, branch)
    if model:
        lines.append(f"model: {_yaml_str(model)}")
    if conversation.provider:
        lines.append(f"provider: {_yaml_str(conversation.provider)}")
    lines.append("---")
    return "\n".join(lines)


def _turn(message: Message, level: str, link: AttachmentLink | None) -> list[str]:
    heading = _HEADINGS[message.role]
    if message.role is Role.ASSISTANT and message.model:
        heading += f" ({message.model})"
    parts = [f"{level} {heading}\n\n{message_markdown(message.parts, link)}"]
    if message.status not in (MessageStatus.COMPLETE, MessageStatus.STREAMING):
        note = f"> *Reply {message.status.value}"
        if message.error:
            # The stored error is "code: headline", then the server's own words on a line of
            # their own: one italic line for the first, a quoted line for the second.
            first, _, detail = message.error.partition("\n")
            note += f": {first}*"
            if detail.strip():
                note += f"\n>\n> {detail.strip()}"
        else:
            note += "*"
        parts.append(note)
    return parts


def _excerpt(text: str) -> str:
    words = " ".join(text.split())
    if len(words) <= _EXCERPT_CHARS:
        return words
    return words[: _EXCERPT_CHARS - 1].rstrip() + "…"


def _other_branches(
    messages: Sequence[Message],
    current: Sequence[Message],
    by_id: dict[MessageId, Message],
    link: AttachmentLink | None,
) -> list[str]:
    """Each branch other than the current one, from where it leaves what is already shown."""
    shown = {m.id for m in current}
    leaves = [leaf for leaf in _leaves(messages) if leaf.id not in shown]
    if not leaves:
        return []
    parts = ["## Other branches"]
    for number, leaf in enumerate(leaves, start=2):
        path = _path_to(leaf.id, by_id)
        fork = max((i for i, m in enumerate(path) if m.id in shown), default=-1)
        if fork < 0:
            where = "Another version from the first message on."
        else:
            where = f"Another version after: “{_excerpt(path[fork].content)}”"
        parts.append(f"### Branch {number}\n\n*{where}*")
        for message in path[fork + 1 :]:
            parts.extend(_turn(message, "####", link))
        shown.update(m.id for m in path)
    return parts


def conversation_to_markdown(
    conversation: Conversation,
    messages: Sequence[Message],
    *,
    all_branches: bool = False,
    link: AttachmentLink | None = None,
) -> str:
    """The conversation as a Markdown document.

    `messages` is the current branch, or every message (any order); the current branch
    (root to the current leaf) comes first. With `all_branches`, every other branch
    follows under "Other branches", each from the point where it leaves the ones above.
    `link` gives the relative URL of each image and file the caller writes beside the
    document (ConversationFiles.link); without it they are named in words.
    """
    by_id = {m.id: m for m in messages}
    leaf = _current_leaf(conversation, messages)
    branch = [] if leaf is None else _path_to(leaf, by_id)
    title = " ".join(conversation.title.split()) or "Untitled"
    parts = [_front_matter(conversation, branch), f"# {title}"]
    if conversation.system_prompt and conversation.system_prompt.strip():
        parts.append(f"## System\n\n{close_open_fence(conversation.system_prompt.strip())}")
    for message in branch:
        parts.extend(_turn(message, "##", link))
    if all_branches:
        parts.extend(_other_branches(messages, branch, by_id, link))
    return "\n\n".join(parts) + "\n"
