"""The request inspector's views: what was sent for a reply (or would be sent next), as sent.

`RequestsView` shows the requests of one reply (retries and tool rounds make several), each with
the exact body (inline attachments shortened for reading), where it went, the answer's status,
the headers that matter (request id, processing time, rate-limit budget), time to first token,
tokens per second, and "Copy as cURL" (the key as $OPENAI_API_KEY: the clipboard never holds it).
`NextRequestView` shows the request sending now would make: its body after trimming, and where
each parameter comes from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.chat.exchange import Exchange, RequestNote, curl_command, readable_body
from kibitz.core.conversation.preview import RequestPreview
from kibitz.core.store.exchanges import StoredExchange
from kibitz.ui.views.message_parts import muted_label

# Rate-limit budgets worth a line: what is left of requests and tokens.
_BUDGETS = (
    ("x-ratelimit-remaining-requests", "x-ratelimit-limit-requests", "requests"),
    ("x-ratelimit-remaining-tokens", "x-ratelimit-limit-tokens", "tokens"),
)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def exchange_facts(exchange: Exchange, note: RequestNote | None) -> list[tuple[str, str]]:
    """(label, value) rows describing one request and its answer."""
    sent = datetime.fromtimestamp(exchange.sent_at).strftime("%Y-%m-%d %H:%M:%S")
    facts = [("Sent", f"{exchange.method} {exchange.url}\n{sent}")]
    status = "no answer" if exchange.status is None else str(exchange.status)
    if exchange.error:
        status += f" — {exchange.error}"
    facts.append(("Status", status))
    if exchange.request_id:
        facts.append(("Request id", exchange.request_id))
    processing = exchange.header("openai-processing-ms")
    if processing is not None:
        facts.append(("Server time", f"{processing} ms"))
    budgets = []
    for remaining, limit, what in _BUDGETS:
        left = exchange.header(remaining)
        if left is not None:
            of = exchange.header(limit)
            budgets.append(f"{left}{f' of {of}' if of else ''} {what}")
    if budgets:
        facts.append(("Rate limit left", ", ".join(budgets)))
    facts.append(
        (
            "Timing",
            f"headers {_seconds(exchange.headers_s)}, first token "
            f"{_seconds(exchange.first_token_s)}, done {_seconds(exchange.duration_s)}",
        )
    )
    usage = exchange.usage
    if usage is not None:
        speed = exchange.tokens_per_second
        rate = f", {speed:.1f} tokens/s" if speed is not None else ""
        facts.append(
            (
                "Usage",
                f"{usage.prompt_tokens:,} prompt, {usage.completion_tokens:,} completion "
                f"({usage.reasoning_tokens:,} reasoning){rate}",
            )
        )
    if note is not None:
        facts.append(("Trimming", note.trimming_line() or "nothing left out"))
    return facts


def _shown(name: str, value: object) -> str:
    """A parameter's value in a line: a JSON schema by its name (the body shows it whole)."""
    if name == "json_schema" and isinstance(value, str):
        try:
            return f"schema {json.loads(value).get('name', '?')!r}"
        except (ValueError, AttributeError):
            pass
    return json.dumps(value)


def _mono(parent: QWidget, name: str) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setAccessibleName(name)
    box.setReadOnly(True)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return box


class _Facts(QWidget):
    """A form of selectable (label, value) rows that can be refilled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, str] = {}

    def fill(self, facts: Sequence[tuple[str, str]]) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
        self.values = dict(facts)
        for label, value in facts:
            field = QLabel(value, self)
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._form.addRow(f"{label}:", field)


class RequestsView(QWidget):
    """The requests behind one reply, one at a time (the last one first)."""

    def __init__(self, stored: Sequence[StoredExchange], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stored = list(stored)
        self._choice = QComboBox(self)
        self._choice.setAccessibleName("Request")
        for n, item in enumerate(self._stored, 1):
            exchange = Exchange.from_json(item.record)
            status = exchange.status if exchange.status is not None else "no answer"
            self._choice.addItem(f"Request {n} of {len(self._stored)} — {status}")
        self.facts = _Facts(self)
        self.body = _mono(self, "Request body")
        self.headers = _mono(self, "Response headers")
        self.headers.setMaximumHeight(110)
        self.copy_curl = QPushButton("Copy as cURL", self)
        self.copy_curl.setToolTip("A curl command that sends this request again; it reads the key "
                                  "from $OPENAI_API_KEY")  # fmt: skip
        self.copy_body = QPushButton("Copy body", self)
        self.copy_body.setToolTip("The JSON body exactly as sent")
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_curl)
        buttons.addWidget(self.copy_body)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self._choice)
        layout.addWidget(self.facts)
        layout.addWidget(muted_label("Body as sent (inline files shortened)", self))
        layout.addWidget(self.body, 1)
        layout.addWidget(muted_label("Response headers", self))
        layout.addWidget(self.headers)
        layout.addLayout(buttons)
        self._choice.currentIndexChanged.connect(self._show)
        self.copy_curl.clicked.connect(self._on_copy_curl)
        self.copy_body.clicked.connect(self._on_copy_body)
        self._choice.setVisible(len(self._stored) > 1)
        self._choice.setCurrentIndex(len(self._stored) - 1)
        self._show(len(self._stored) - 1)

    @property
    def current(self) -> Exchange:
        return Exchange.from_json(self._stored[self._choice.currentIndex()].record)

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self._stored):
            return
        item = self._stored[index]
        exchange = Exchange.from_json(item.record)
        note_data = item.record.get("note")
        note = RequestNote(**note_data) if isinstance(note_data, dict) else None
        self.facts.fill(exchange_facts(exchange, note))
        cut = "\n… (too big to keep whole: shortened in the store)" if item.body_cut else ""
        self.body.setPlainText(readable_body(exchange.body) + cut)
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in exchange.response_headers))
        # A shortened body would not send the same request.
        self.copy_curl.setEnabled(not item.body_cut)
        self.copy_curl.setText("Copy as cURL")
        self.copy_body.setText("Copy body")

    def _on_copy_curl(self) -> None:
        QGuiApplication.clipboard().setText(curl_command(self.current))
        self.copy_curl.setText("Copied")

    def _on_copy_body(self) -> None:
        QGuiApplication.clipboard().setText(self.current.body)
        self.copy_body.setText("Copied")


class NextRequestView(QWidget):
    """What sending now would send, with where each parameter comes from."""

    def __init__(self, preview: RequestPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._preview = preview
        prepared = preview.prepared
        facts = [
            ("Server", f"POST {preview.url}\n{preview.provider}"),
            ("Trimming", prepared.note().trimming_line() or "nothing left out: it all fits"),
            ("Prompt tokens", f"about {prepared.prompt_tokens:,} (estimated)"),
        ]
        params = [(p.name, f"{_shown(p.name, p.value)}  ({p.source})") for p in preview.params]
        if preview.window is not None:
            w = preview.window
            params.append((w.name, f"{w.value:,} tokens  ({w.source})"))
        self.facts = _Facts(self)
        self.facts.fill(facts + params)
        self.body = _mono(self, "Request body")
        self.body.setPlainText(readable_body(json.dumps(preview.body, ensure_ascii=False)))
        self.copy_body = QPushButton("Copy body", self)
        self.copy_body.clicked.connect(self._on_copy_body)
        layout = QVBoxLayout(self)
        layout.addWidget(self.facts)
        layout.addWidget(muted_label("Body (inline files shortened)", self))
        layout.addWidget(self.body, 1)
        row = QHBoxLayout()
        row.addWidget(self.copy_body)
        row.addStretch(1)
        layout.addLayout(row)

    def _on_copy_body(self) -> None:
        QGuiApplication.clipboard().setText(json.dumps(self._preview.body, ensure_ascii=False))
        self.copy_body.setText("Copied")
