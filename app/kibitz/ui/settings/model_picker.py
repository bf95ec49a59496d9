"""The model field: the server's model list to pick from, and any name typed by hand.

The list comes from the model cache at once and is refreshed from the server in the
background; a failed refresh says why under the field and keeps the cached names.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from kibitz.core.errors import KibitzError
from kibitz.core.settings import SettingSpec
from kibitz.core.words import count_of
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import FieldEditor

if TYPE_CHECKING:
    from kibitz.core.chat import ProviderConfig

log = logging.getLogger(__name__)


class ModelEditor(FieldEditor):
    """An editable combo box: the known models, or free text."""

    models_loaded = Signal(list)

    def __init__(
        self,
        spec: SettingSpec,
        context: SettingsContext,
        *,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(spec, placeholder=placeholder, parent=parent)
        self._context = context
        self._status = QLabel()
        self._status.setObjectName("FieldHelp")
        self._status.setWordWrap(True)
        self._status.hide()
        layout = self.layout()
        assert layout is not None
        layout.addWidget(self._status)

    def _build(self, placeholder: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setAccessibleName("Model")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        edit = combo.lineEdit()
        assert edit is not None
        edit.setPlaceholderText(placeholder or "Type a model name or pick one")
        edit.editingFinished.connect(self._on_text_finished)
        combo.activated.connect(lambda _i: self._on_text_finished())
        self._model_combo = combo
        self._edit = edit
        refresh = QPushButton("Refresh list")
        refresh.setAccessibleName("Refresh the model list")
        refresh.setToolTip("Ask the server which models it offers")
        refresh.clicked.connect(self.refresh)
        self._refresh = refresh
        layout.addWidget(combo, 1)
        layout.addWidget(refresh)
        return row

    def models(self) -> list[str]:
        return [self._model_combo.itemText(i) for i in range(self._model_combo.count())]

    def show_models(self, names: list[str]) -> None:
        text = self._edit.text()
        self._model_combo.blockSignals(True)
        self._model_combo.clear()
        self._model_combo.addItems(names)
        self._model_combo.setCurrentIndex(-1)
        self._edit.setText(text)
        self._model_combo.blockSignals(False)
        self.models_loaded.emit(names)

    def load_cached(self) -> None:
        """Names from the cache, without a network call; then a refresh in the background."""
        from kibitz.core.server_models import ModelCache

        try:
            provider = self._provider()
        except KibitzError:
            return
        cached = ModelCache(self._context.paths.cache_dir).get(provider.name, provider.base_url)
        if cached is not None:
            self.show_models(list(cached.models))
        if cached is None or cached.stale:
            self.refresh()

    def refresh(self) -> None:
        self._context.runner.start("settings-models", self._fetch())

    def _provider(self) -> ProviderConfig:
        from kibitz.core.conversation import connect

        return connect.provider_config(self._context.settings(), self._context.secrets, os.environ)

    async def _fetch(self) -> None:
        import asyncio

        from kibitz.core.server_models import ModelCache, list_models

        self._refresh.setEnabled(False)
        self._show_status("Asking the server for its models…")
        try:
            loop = asyncio.get_running_loop()
            # The key comes from the keyring, which may block: off the UI thread.
            provider = await loop.run_in_executor(self._context.executor, self._provider)
            names = await list_models(provider)
        except KibitzError as exc:
            self._show_status(f"Could not list the models: {exc.headline}. {exc.hint}")
            return
        finally:
            self._refresh.setEnabled(True)
        ModelCache(self._context.paths.cache_dir).put(provider.name, provider.base_url, names)
        self.show_models(names)
        self._show_status(self._describe_list(names))

    def _commit(self, value: object, *, typed: str | None = None) -> None:
        super()._commit(value, typed=typed)
        if self.models() and not self._status.isHidden():
            self._show_status(self._describe_list(self.models()))

    def _describe_list(self, names: list[str]) -> str:
        if not names:
            return ""
        text = f"{count_of(len(names), 'model')} on this server."
        current = self._edit.text().strip()
        if current and current not in names:
            text += (
                f" {current} is not one of them: pick one from the list, or keep it if "
                "you know the server accepts it."
            )
        return text

    def _show_status(self, text: str) -> None:
        self._status.setText(text)
        self._status.setVisible(bool(text))
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
