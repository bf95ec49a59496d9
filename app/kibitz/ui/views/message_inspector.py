"""MessageInspector: a small window with what the store holds about one message — who wrote it
and when, provider and model, how it ended, its token usage, its parts and its raw Markdown.

It shows a Message as given and reads nothing itself. A reply's requests, as sent and
answered, are given to it too and shown on a second tab (views/request_view.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.store import read_error_record
from kibitz.core.store.exchanges import StoredExchange
from kibitz.core.types import (
    FilePart,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from kibitz.core.words import count_of
from kibitz.ui.views.attachment_chip import size_text
from kibitz.ui.views.message_parts import muted_label
from kibitz.ui.views.message_widget import ROLE_LABELS

if TYPE_CHECKING:
    from kibitz.ui.views.request_view import RequestsView

_ARGUMENTS_CHARS = 120  # a tool call's arguments, cut to one line's worth


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(seconds: float | None) -> str:
    return f", {seconds:.1f} s" if seconds is not None else ""


def part_line(part: Part) -> str:
    """One line saying what a part is and how big."""
    if isinstance(part, TextPart):
        return f"Text: {count_of(len(part.text), 'character')}"
    if isinstance(part, ReasoningPart):
        return f"Reasoning: {count_of(len(part.text), 'character')}{_seconds(part.seconds)}"
    if isinstance(part, ImagePart):
        shape = f", {part.width}×{part.height}" if part.width and part.height else ""
        return f"Image: {part.name} ({part.mime_type}, {size_text(part.size)}{shape})"
    if isinstance(part, FilePart):
        return f"File: {part.name} ({part.mime_type}, {size_text(part.size)})"
    if isinstance(part, ToolCallPart):
        arguments = " ".join(part.arguments.split())
        if len(arguments) > _ARGUMENTS_CHARS:
            arguments = arguments[: _ARGUMENTS_CHARS - 1] + "…"
        where = f" on {part.server}" if part.server else ""
        return f"Tool call: {part.name}{where} {arguments}"
    assert isinstance(part, ToolResultPart)
    failed = " (failed)" if part.is_error else ""
    size = count_of(len(part.content), "character")
    return f"Tool result: {part.status.value}{failed}, {size}{_seconds(part.seconds)}"


def message_facts(message: Message, provider: str | None) -> list[tuple[str, str]]:
    """(label, value) rows for the form, in the order shown."""
    role = ROLE_LABELS.get(message.role, message.role.value)
    facts = [("Role", role), ("Written", _when(message.created_at))]
    if message.updated_at - message.created_at >= 1:
        facts.append(("Last changed", _when(message.updated_at)))
    if message.role is Role.ASSISTANT:
        facts.append(("Provider", provider or "the default provider"))
        facts.append(("Model", message.model or "not recorded"))
        facts.append(("Status", message.status.value))
        facts.append(("Finish reason", message.finish_reason or "none given"))
        usage = message.usage
        if usage is None:
            facts.append(("Tokens", "not reported by the server"))
        else:
            facts.append(("Prompt tokens", f"{usage.prompt_tokens:,}"))
            facts.append(("Completion tokens", f"{usage.completion_tokens:,}"))
            facts.append(("Reasoning tokens", f"{usage.reasoning_tokens:,}"))
    if message.error:
        code, headline, detail = read_error_record(message.error)
        text = f"{code}: {headline}" if code else headline
        facts.append(("Error", f"{text}\n{detail}" if detail else text))
    facts.append(("Ids", f"message {message.id}, conversation {message.conversation_id}"))
    return facts


class MessageInspector(QDialog):
    """Non-modal: it may stay open beside the chat. Copy puts the Markdown source on the
    clipboard."""

    def __init__(
        self,
        message: Message,
        provider: str | None = None,
        parent: QWidget | None = None,
        *,
        exchanges: Sequence[StoredExchange] = (),
    ) -> None:
        """`exchanges`: the requests behind a reply, shown on a Requests tab when given."""
        super().__init__(parent)
        self.setObjectName("messageInspector")
        self.setWindowTitle("Inspect message")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._message = message
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._facts: dict[str, QLabel] = {}
        for label, value in message_facts(message, provider):
            field = QLabel(value, self)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            self._facts[label] = field
            form.addRow(f"{label}:", field)
        lines = [part_line(p) for p in message.parts] or ["No parts: the message is empty"]
        self._parts = QLabel("\n".join(lines), self)
        self._parts.setAccessibleName("Parts")
        self._parts.setWordWrap(True)
        self._parts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(f"Parts ({len(message.parts)}):", self._parts)
        self.source = QPlainTextEdit(self)
        self.source.setAccessibleName("Markdown source")
        self.source.setReadOnly(True)
        self.source.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # long paragraphs
        self.source.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.source.setPlainText(message.content)
        self.source.setPlaceholderText("No text")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy Markdown", self)
        self.copy_button.setToolTip("Copy the message's Markdown source")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        page = QWidget(self)
        column = QVBoxLayout(page)
        column.addLayout(form)
        column.addWidget(muted_label("Markdown source", page))
        column.addWidget(self.source, 1)
        layout = QVBoxLayout(self)
        self.requests: RequestsView | None = None
        self.tabs: QTabWidget | None = None
        if exchanges:
            from kibitz.ui.views.request_view import RequestsView

            self.tabs = tabs = QTabWidget(self)
            tabs.addTab(page, "Message")
            self.requests = RequestsView(exchanges, tabs)
            tabs.addTab(self.requests, "Requests" if len(exchanges) > 1 else "Request")
            layout.addWidget(tabs, 1)
        else:
            column.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(page, 1)
        layout.addWidget(buttons)
        self.resize(640, 620 if exchanges else 520)

    def fact(self, label: str) -> str:
        """The value shown for `label` ("" when not shown)."""
        field = self._facts.get(label)
        return field.text() if field is not None else ""

    @property
    def parts_text(self) -> str:
        return self._parts.text()

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._message.content)
        self.copy_button.setText("Copied")
