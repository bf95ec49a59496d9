"""One conversation's settings: its provider, system prompt and parameter overrides.

Each parameter field is empty while the conversation follows the defaults (the placeholder
shows the value it inherits); a value typed there overrides it, and ↺ or "Reset all" goes back.
Changes are stored at once and apply to the next request of that conversation.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.chat.structured_output import format_name
from kibitz.core.errors import StoreError
from kibitz.core.settings import FieldType, InvalidSettingError, Settings, spec_for
from kibitz.core.settings.overrides import PARAM_NAMES, with_override
from kibitz.core.settings.schemas import chosen_format
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, RequestParams, ResponseFormat
from kibitz.ui.notify import error_notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import FieldEditor, format_value, label_for
from kibitz.ui.settings.form_page import help_label, on_focus_out

log = logging.getLogger(__name__)

PARAMETERS = PARAM_NAMES  # the request parameters (the tools choice is the composer's)
_STRUCTURED_LABELS = {"text": "None", "json_object": "JSON object"}
_RESPONSE_FORMATS: dict[str, ResponseFormat] = {"text": "text", "json_object": "json_object"}


def _optional_spec(name: str) -> Any:
    spec = spec_for(f"defaults.{name}")
    return dataclasses.replace(spec, type=FieldType(spec.type.base, True))


def inherited_text(settings: Settings, name: str) -> str:
    value = getattr(settings.defaults, name)
    return f"Default: {format_value(value)}" if value is not None else "Server default"


class ConversationSettingsDialog(QDialog):
    def __init__(
        self,
        context: SettingsContext,
        store: Store,
        conversation_id: ConversationId,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ConversationSettings")
        self.setModal(False)
        self.resize(620, 640)
        self._context = context
        self._store = store
        self.conversation_id = conversation_id
        conversation = store.get_conversation(conversation_id)
        self.setWindowTitle(f"Conversation settings — {conversation.title or 'New chat'}")

        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider for this conversation")
        self.provider.activated.connect(self._on_provider_chosen)
        self.preset = QComboBox()
        self.preset.setAccessibleName("System prompt preset")
        self.preset.activated.connect(self._on_preset_chosen)
        self.prompt = QPlainTextEdit()
        self.prompt.setAccessibleName("System prompt")
        self.prompt.setPlaceholderText("No system prompt")
        self.prompt.setFixedHeight(110)
        on_focus_out(self.prompt, self._on_prompt_focus_out)
        self.summary = QLabel()
        self.summary.setObjectName("OverrideSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Overridden values")
        reset_all = QPushButton("Reset all to defaults")
        reset_all.setAccessibleName("Reset all parameters to the defaults")
        reset_all.clicked.connect(self.reset_all)

        form = QFormLayout()
        form.addRow("Provider:", self.provider)
        form.addRow("System prompt:", self.preset)
        form.addRow("", self.prompt)
        self.editors: dict[str, FieldEditor] = {}
        self._labels: dict[str, QLabel] = {}
        self._resets: dict[str, QToolButton] = {}
        for name in PARAMETERS:
            if name == "response_format":  # chosen with the schemas, below
                self._add_structured_row(form)
                continue
            editor = FieldEditor(_optional_spec(name))
            editor.committed.connect(lambda value, n=name: self._set_override(n, value))
            reset = QToolButton()
            reset.setText("↺")
            reset.setToolTip("Use the default")
            reset.setAccessibleName(f"Reset {label_for(editor.spec)} to the default")
            reset.clicked.connect(lambda _c=False, n=name: self._set_override(n, None))
            row = QHBoxLayout()
            row.addWidget(editor, 1)
            row.addWidget(reset, 0, Qt.AlignmentFlag.AlignTop)
            label = QLabel(f"{label_for(editor.spec)}:")
            form.addRow(label, row)
            self.editors[name], self._labels[name], self._resets[name] = editor, label, reset
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(help_label(
            "These apply to this conversation only. Empty fields follow the defaults in "
            "Settings → Model & parameters."
        ))  # fmt: skip
        column.addLayout(form)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary, 1)
        summary_row.addWidget(reset_all)
        column.addLayout(summary_row)
        column.addStretch(1)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        outer = QVBoxLayout(self)
        outer.addWidget(area, 1)
        outer.addWidget(buttons)
        # Enter in a field must not press a button (Reset all, above all).
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        context.settings.changed.connect(self._on_settings_changed)
        self.reload()

    def focus_field(self, name: str) -> None:
        """Put the cursor in one parameter's field (the model, after a model refused images)."""
        editor = self.editors.get(name)
        if editor is not None:
            editor.input_widget().setFocus(Qt.FocusReason.OtherFocusReason)

    # -- display -------------------------------------------------------------------------------

    def _on_settings_changed(self, _settings: Settings) -> None:
        self.reload()

    def reload(self) -> None:
        try:
            conversation = self._store.get_conversation(self.conversation_id)
        except StoreError:
            self.close()
            return
        settings = self._context.settings()
        self.provider.clear()
        self.provider.addItem("The provider in use (Settings)", None)
        for profile in settings.providers.profiles:
            self.provider.addItem(profile.name, profile.name)
        if conversation.provider and self.provider.findData(conversation.provider) < 0:
            self.provider.addItem(f"{conversation.provider} (missing)", conversation.provider)
        self.provider.setCurrentIndex(max(self.provider.findData(conversation.provider), 0))
        self._fill_presets(settings, conversation.system_prompt)
        if not self.prompt.hasFocus():
            self.prompt.setPlainText(conversation.system_prompt or "")
        overrides = conversation.params
        for name, editor in self.editors.items():
            value = getattr(overrides, name)
            if not editor.error_text():
                editor.set_value(value)
            editor.set_placeholder(inherited_text(settings, name))
            font = self._labels[name].font()
            font.setBold(value is not None)
            self._labels[name].setFont(font)
            self._resets[name].setEnabled(value is not None)
        self._fill_structured(settings, overrides)
        names = [
            label_for(self.editors[n].spec) for n in overrides.overridden() if n in self.editors
        ]
        if overrides.response_format is not None or overrides.json_schema is not None:
            names.append("Structured output")
        self.summary.setText("Overrides: " + ", ".join(names) if names else "Follows the defaults.")

    def _fill_presets(self, settings: Settings, prompt: str | None) -> None:
        self.preset.clear()
        self.preset.addItem("None", "")
        for preset in _presets(settings):
            self.preset.addItem(preset[0], preset[1])
        index = self.preset.findData(prompt or "")
        if index < 0:
            self.preset.addItem("Custom (edited below)", prompt)
            index = self.preset.count() - 1
        self.preset.setCurrentIndex(index)

    def _add_structured_row(self, form: QFormLayout) -> None:
        self.structured = QComboBox()
        self.structured.setAccessibleName("Structured output")
        self.structured.setToolTip(
            "Make replies JSON: any JSON object, or JSON following one of the schemas in "
            "Settings → Schemas (the conversation keeps its own copy of the schema)."
        )
        self.structured.activated.connect(self._on_structured_chosen)
        self._structured_reset = QToolButton()
        self._structured_reset.setText("↺")
        self._structured_reset.setToolTip("Use the default")
        self._structured_reset.setAccessibleName("Reset Structured output to the default")
        self._structured_reset.clicked.connect(lambda: self._on_structured_chosen(0))
        row = QHBoxLayout()
        row.addWidget(self.structured, 1)
        row.addWidget(self._structured_reset)
        form.addRow("Structured output:", row)

    def _fill_structured(self, settings: Settings, params: RequestParams) -> None:
        """Default / None / JSON object / each named schema; a schema the conversation keeps
        that Settings no longer has (deleted, or edited since) is listed as its own.

        Each item's data: "" (the default), "text", "json_object", or a schema's format."""
        default = settings.defaults.response_format
        combo = self.structured
        combo.clear()
        combo.addItem(f"Default: {_STRUCTURED_LABELS[default or 'text']}", "")
        combo.addItem(_STRUCTURED_LABELS["text"], "text")
        combo.addItem(_STRUCTURED_LABELS["json_object"], "json_object")
        for schema in settings.schemas.items:
            combo.addItem(f"Schema: {schema.name}", chosen_format(schema))
        current = params.json_schema or params.response_format or ""
        index = combo.findData(current)
        if index < 0 and params.json_schema:
            name = format_name(params.json_schema) or "?"
            combo.addItem(f"Schema: {name} (this conversation's copy)", params.json_schema)
            index = combo.count() - 1
        combo.setCurrentIndex(max(index, 0))
        self._structured_reset.setEnabled(combo.currentIndex() > 0)

    def _on_structured_chosen(self, index: int) -> None:
        chosen = str(self.structured.itemData(index) or "")
        try:
            conversation = self._store.get_conversation(self.conversation_id)
        except StoreError as exc:
            self._tell(exc)
            return
        is_schema = chosen.startswith("{")
        params = dataclasses.replace(
            conversation.params,
            response_format=_RESPONSE_FORMATS.get(chosen),
            json_schema=chosen if is_schema else None,
        )
        self._store_change(lambda: self._store.set_params(self.conversation_id, params))

    # -- edits ---------------------------------------------------------------------------------

    def _set_override(self, name: str, value: object) -> None:
        try:
            conversation = self._store.get_conversation(self.conversation_id)
        except StoreError as exc:
            self._tell(exc)
            return
        model = conversation.params.model or self._context.settings().defaults.model
        try:
            params = with_override(conversation.params, name, value, model=model)
        except InvalidSettingError as exc:
            self.editors[name].refuse(exc)
            return
        self._store_change(lambda: self._store.set_params(self.conversation_id, params))

    def reset_all(self) -> None:
        for editor in self.editors.values():
            editor.set_value(None)
        # The parameters only: the composer's tools choice for this conversation stays.
        kept = RequestParams(tools=self._store.get_conversation(self.conversation_id).params.tools)
        self._store_change(lambda: self._store.set_params(self.conversation_id, kept))

    def _on_provider_chosen(self, index: int) -> None:
        name = self.provider.itemData(index)
        self._store_change(lambda: self._store.set_provider(self.conversation_id, name))

    def _on_preset_chosen(self, index: int) -> None:
        text = self.preset.itemData(index) or None
        self.prompt.setPlainText(text or "")
        self._store_change(lambda: self._store.set_system_prompt(self.conversation_id, text))

    def _commit_prompt(self) -> bool:
        """Store the typed system prompt; False if the store refused it."""
        text = self.prompt.toPlainText().strip() or None
        try:
            if text == self._store.get_conversation(self.conversation_id).system_prompt:
                return True
        except StoreError as exc:
            self._tell(exc)
            return False
        return self._store_change(lambda: self._store.set_system_prompt(self.conversation_id, text))

    def _on_prompt_focus_out(self) -> None:
        self._commit_prompt()

    def closeEvent(self, event: Any) -> None:
        # Typed text is never lost by closing: when it cannot be stored, the window stays.
        if not self._commit_prompt():
            event.ignore()
            return
        super().closeEvent(event)

    def _store_change(self, change: Callable[[], object]) -> bool:
        try:
            change()
        except StoreError as exc:
            self._tell(exc, retry=lambda: self._store_change(change))
            return False
        self.reload()
        return True

    def _tell(self, error: StoreError, retry: Callable[[], object] | None = None) -> None:
        """The store refused: say so, with what to do, and Retry when there is something to
        try again."""
        log.warning("conversation %d settings: %s", self.conversation_id, error)
        what = "save this conversation's settings"

        def again() -> None:
            if retry is not None:
                retry()

        self._context.notify(error_notice(error, what, retry=again if retry else None))


def _presets(settings: Settings) -> list[tuple[str, str]]:
    """(name, text) of the system-prompt presets."""
    presets = getattr(settings, "presets", None)
    if presets is None:
        return []
    return [(p.name, p.text) for p in presets.items]
