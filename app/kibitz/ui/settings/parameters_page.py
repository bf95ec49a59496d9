"""Model & parameters: the request defaults for new conversations, from the schema."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kibitz.core.settings import InvalidSettingError, RequestDefaults, spec_for
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import FieldEditor
from kibitz.ui.settings.form_page import SettingsForm
from kibitz.ui.settings.model_picker import ModelEditor

# How images are looked at is sent with every request too, so it is set beside the parameters.
PARAMETER_PATHS = (
    *(f"defaults.{f.name}" for f in dataclasses.fields(RequestDefaults)),
    "chat.image_detail",
)


def max_tokens_error(model: str | None, value: int | None) -> InvalidSettingError | None:
    """A max_tokens above what the model can write, where the model's limit is known."""
    from kibitz.core.models import check_max_tokens

    reason = check_max_tokens(model, value)
    if reason is None:
        return None
    return InvalidSettingError("defaults.max_tokens", value, "a smaller number", reason=reason)


def max_tokens_placeholder(model: str | None) -> str:
    from kibitz.core.models import model_limits

    limits = model_limits(model) if model else None
    if limits is None or limits.max_output_tokens is None:
        return "Server default"
    return f"Server default (up to {limits.max_output_tokens:,} for {model})"


class ParametersPage(QWidget):
    def __init__(self, context: SettingsContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context

        def editor(path: str) -> FieldEditor:
            if path == "defaults.model":
                self.model = ModelEditor(spec_for(path), context)
                return self.model
            return FieldEditor(spec_for(path))

        self.form = SettingsForm(context, PARAMETER_PATHS,
                                 editor_factory=editor)  # fmt: skip
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.form)
        max_tokens = self.form.editors["defaults.max_tokens"]
        # The model's output limit bounds max_tokens: checked before the value is applied.
        max_tokens.committed.disconnect()
        max_tokens.committed.connect(self._on_max_tokens_committed)
        context.settings.changed.connect(lambda s: self._show_bound(s.defaults.model))
        self._show_bound(context.settings().defaults.model)

    def _on_max_tokens_committed(self, value: int | None) -> None:
        settings = self._context.settings()
        error = max_tokens_error(settings.defaults.model, value)
        if error is not None:
            self.form.editors["defaults.max_tokens"].refuse(error)
            return
        self.form.apply(settings.with_value("defaults.max_tokens", value))

    def _show_bound(self, model: str) -> None:
        self.form.editors["defaults.max_tokens"].set_placeholder(max_tokens_placeholder(model))

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.model.load_cached()
