"""Providers: the list of server profiles, one profile's fields, its key, and a connection test."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from typing import Any, get_args

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.capabilities import FILE_NAME as CAPABILITIES_FILE
from kibitz.core.capabilities import CapabilityBook
from kibitz.core.errors import KibitzError, SecretsError
from kibitz.core.settings import (
    ENV_PROVIDER_NAME,
    KEYLESS_KINDS,
    KIND_BASE_URLS,
    InvalidSettingError,
    ProviderKind,
    ProviderProfile,
    Settings,
)
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import refusal_text
from kibitz.ui.settings.form_page import help_label, on_focus_out, unique_name
from kibitz.ui.settings.key_box import KeyBox
from kibitz.ui.settings.learned_refusals import LearnedRefusals

log = logging.getLogger(__name__)

KIND_NAMES: dict[str, str] = {
    "openai": "OpenAI",
    "azure": "Azure OpenAI",
    "openrouter": "OpenRouter",
    "ollama": "Ollama",
    "lmstudio": "LM Studio",
    "llamacpp": "llama.cpp",
    "vllm": "vLLM",
    "custom": "Custom (OpenAI-compatible)",
}
KINDS: tuple[ProviderKind, ...] = get_args(ProviderKind)


def replace_profile(settings: Settings, old_name: str, profile: ProviderProfile) -> Settings:
    """`settings` with the profile called `old_name` replaced in place (it may be renamed)."""
    providers = settings.providers
    profiles = tuple(profile if p.name == old_name else p for p in providers.profiles)
    active = profile.name if providers.active == old_name else providers.active
    return dataclasses.replace(
        settings, providers=dataclasses.replace(providers, profiles=profiles, active=active)
    )


def parse_headers(text: str) -> dict[str, str]:
    """`Name: value` lines; raises ValueError naming the line that has no colon."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"line {number} is not `Name: value`")
        headers[name.strip()] = value.strip()
    return headers


class ProvidersPage(QWidget):
    def __init__(self, context: SettingsContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._current: str | None = None
        self.profiles = QListWidget()
        self.profiles.setAccessibleName("Provider profiles")
        self.profiles.setMaximumWidth(170)
        self.profiles.currentItemChanged.connect(self._on_profile_chosen)
        add = QPushButton("Add…")
        add.setAccessibleName("Add a provider profile")
        menu = QMenu(add)
        for kind in KINDS:
            menu.addAction(KIND_NAMES[kind], self._adder(kind))
        add.setMenu(menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove this provider profile")
        self.remove_button.clicked.connect(self.remove_current)
        self.use_button = QPushButton("Use this provider")
        self.use_button.setAccessibleName("Use this provider")
        self.use_button.clicked.connect(self.activate_current)
        left = QVBoxLayout()
        left.addWidget(self.profiles, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)

        self.name = QLineEdit()
        self.kind = QComboBox()
        for kind in KINDS:
            self.kind.addItem(KIND_NAMES[kind], kind)
        self.base_url = QLineEdit()
        self.organization = QLineEdit()
        self.api_version = QLineEdit()
        self.api_version.setPlaceholderText("e.g. 2024-10-21")
        self.deployment = QLineEdit()
        self.headers = QPlainTextEdit()
        self.headers.setPlaceholderText("One per line: Name: value")
        self.headers.setFixedHeight(64)
        self.key = KeyBox(context)
        self.test_button = QPushButton("Test connection")
        self.test_button.setAccessibleName("Test the connection")
        self.test_button.clicked.connect(self.test_connection)
        self.result = QLabel()
        self.result.setObjectName("TestResult")
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Connection test result")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel()
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        for widget, name in (
            (self.name, "Profile name"),
            (self.kind, "Kind of server"),
            (self.base_url, "Base URL"),
            (self.organization, "Organization"),
            (self.api_version, "Azure API version"),
            (self.deployment, "Azure deployment"),
            (self.headers, "Extra headers"),
        ):
            widget.setAccessibleName(name)
        self.form = QFormLayout()
        self.form.addRow("Name:", self.name)
        self.form.addRow("Kind:", self.kind)
        self.form.addRow("Base URL:", self.base_url)
        self.form.addRow("API key:", self.key)
        self.form.addRow("Organization:", self.organization)
        self.form.addRow("API version:", self.api_version)
        self.form.addRow("Deployment:", self.deployment)
        self.form.addRow("Extra headers:", self.headers)
        self.form.addRow("", self.error)
        tests = QHBoxLayout()
        tests.addWidget(self.test_button)
        tests.addWidget(self.use_button)
        tests.addStretch(1)
        self.form.addRow("", tests)
        self.form.addRow("", self.result)
        # What this profile's models refused, learned from their errors (core/capabilities.py).
        book = CapabilityBook(context.paths.database.parent / CAPABILITIES_FILE)
        self._book = book
        self.refusals = LearnedRefusals(book)
        # "Check model": one tiny request per parameter, to learn before a refusal happens.
        self.check_model = QLineEdit()
        self.check_model.setAccessibleName("Model to check")
        self.check_model.setPlaceholderText("model name, e.g. gpt-4o-mini")
        self.check_button = QPushButton("Check model")
        self.check_button.setToolTip(
            "Ask the model once with each parameter Kibitz may send (about ten tiny "
            "requests) and remember what it refuses"
        )
        self.check_button.clicked.connect(self.check_current_model)
        self.check_model.returnPressed.connect(self.check_current_model)
        checks = QHBoxLayout()
        checks.addWidget(self.check_model, 1)
        checks.addWidget(self.check_button)
        self.form.addRow("", checks)
        self.form.addRow("Refused:", self.refusals)
        self.form.addRow("", help_label("Keys are kept in the system keyring, or for this "
                                        "session only if you choose; never in the settings "
                                        "file."))  # fmt: skip
        self._details = QWidget()
        self._details.setLayout(self.form)
        # Without profiles the app talks to OPENAI_BASE_URL or api.openai.com with the key
        # kept under ENV_PROVIDER_NAME (the welcome pane saves it there): it is managed here.
        self.default_key = KeyBox(context)
        self._empty = QWidget()
        empty = QVBoxLayout(self._empty)
        empty.setContentsMargins(0, 0, 0, 0)
        empty.addWidget(help_label(
            "No provider profiles yet: Kibitz talks to OPENAI_BASE_URL from the environment, "
            "or api.openai.com, with the key below (or OPENAI_API_KEY). Add a profile with "
            "Add… for any other server."
        ))  # fmt: skip
        empty.addWidget(self.default_key)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left)
        right = QVBoxLayout()
        right.addWidget(self._empty)
        right.addWidget(self._details)
        right.addStretch(1)
        row.addLayout(right, 1)

        for edit in (self.name, self.base_url, self.organization, self.api_version,
                     self.deployment):  # fmt: skip
            edit.editingFinished.connect(self._commit_fields)
        self.kind.activated.connect(lambda _i: self._commit_fields())
        on_focus_out(self.headers, self._commit_fields)
        context.settings.changed.connect(self._reload)
        self._reload(context.settings())

    # -- list ----------------------------------------------------------------------------------

    def _reload(self, settings: Settings) -> None:
        providers = settings.providers
        active = providers.active or (providers.profiles[0].name if providers.profiles else None)
        self.profiles.blockSignals(True)
        self.profiles.clear()
        for profile in providers.profiles:
            mark = "  ✓" if profile.name == active else ""
            item = QListWidgetItem(f"{profile.name}{mark}")
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            item.setToolTip(KIND_NAMES[profile.kind])
            self.profiles.addItem(item)
            if profile.name == self._current:
                self.profiles.setCurrentItem(item)
        self.profiles.blockSignals(False)
        has_any = bool(providers.profiles)
        self._empty.setVisible(not has_any)
        self._details.setVisible(has_any)
        self.remove_button.setEnabled(has_any)
        if has_any and self.profiles.currentItem() is None:
            self.profiles.setCurrentRow(0)
        elif self._current is not None:
            shown = providers.profile(self._current)
            if shown is not None:
                self._show(shown, reload_key=False)

    def show_default_key(self) -> None:
        """Without profiles, look up the default key (when Settings opens: the keyring may be
        slow, so not while the dialog is being built)."""
        if self._empty.isVisibleTo(self) and self.default_key.profile != ENV_PROVIDER_NAME:
            self.default_key.show_profile(ProviderProfile(ENV_PROVIDER_NAME))

    def _on_profile_chosen(self, item: QListWidgetItem | None, _previous: Any) -> None:
        if item is None:
            return
        profile = self._context.settings().providers.profile(item.data(Qt.ItemDataRole.UserRole))
        if profile is not None:
            self._show(profile, reload_key=True)

    def _show(self, profile: ProviderProfile, *, reload_key: bool) -> None:
        changed_profile = profile.name != self.key.profile
        self._current = profile.name
        self.name.setText(profile.name)
        self.kind.setCurrentIndex(self.kind.findData(profile.kind))
        self.base_url.setText(profile.base_url or "")
        self.base_url.setPlaceholderText(KIND_BASE_URLS.get(profile.kind, "https://…/v1"))
        self.organization.setText(profile.organization or "")
        self.api_version.setText(profile.api_version or "")
        self.deployment.setText(profile.deployment or "")
        if not self.headers.hasFocus():
            self.headers.setPlainText(
                "\n".join(f"{k}: {v}" for k, v in profile.extra_headers.items())
            )
        azure = profile.kind == "azure"
        for widget in (self.api_version, self.deployment):
            widget.setVisible(azure)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setVisible(azure)
        self.organization.setVisible(profile.kind == "openai")
        org_label = self.form.labelForField(self.organization)
        if org_label is not None:
            org_label.setVisible(profile.kind == "openai")
        self.refusals.show_provider(profile.name)
        if reload_key or changed_profile:
            self.key.show_profile(profile)
            self.result.clear()
            self._show_error(None)

    def current_profile(self) -> ProviderProfile | None:
        if self._current is None:
            return None
        return self._context.settings().providers.profile(self._current)

    # -- edits ---------------------------------------------------------------------------------

    def _commit_fields(self) -> None:
        profile = self.current_profile()
        if profile is None:
            return
        try:
            headers = parse_headers(self.headers.toPlainText())
        except ValueError as exc:
            self._show_error(f"Extra headers: {exc}.")
            return
        kind = self.kind.currentData()
        try:
            updated = ProviderProfile(
                name=self.name.text().strip(),
                kind=kind,
                base_url=self.base_url.text().strip() or None,
                organization=self.organization.text().strip() or None,
                extra_headers=headers,
                api_version=self.api_version.text().strip() or None,
                deployment=self.deployment.text().strip() or None,
            )
            settings = replace_profile(self._context.settings(), profile.name, updated)
        except InvalidSettingError as exc:
            self._show_error(refusal_text(exc))
            return
        self._show_error(None)
        if updated == profile:
            return
        if updated.name != profile.name:
            self._move_key(profile.name, updated.name)
        self._current = updated.name
        self._apply(settings)

    def _move_key(self, old: str, new: str) -> None:
        """A renamed profile keeps its key: the keyring entry is keyed by the profile name."""
        secrets = self._context.secrets

        def move() -> None:
            try:
                key = secrets.get_key(old)
            except SecretsError as exc:
                # No keyring: nothing can be stored under the old name, so nothing moves; the
                # key box says what that means where a key is needed (not a banner here).
                log.info("no key moved from %r to %r: %s", old, new, exc)
                return
            if key is not None:
                secrets.set_key(new, key, remember=not secrets.kept_for_session(old))
                secrets.delete_key(old)

        async def job() -> None:
            import asyncio

            await asyncio.get_running_loop().run_in_executor(self._context.executor, move)
            profile = self.current_profile()
            if profile is not None:
                self.key.show_profile(profile)

        self._context.runner.start("settings-move-key", job())

    def _show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def _apply(self, settings: Settings) -> None:
        self._context.apply(settings)

    def _adder(self, kind: ProviderKind) -> Callable[[], None]:
        return lambda: self.add_profile(kind)

    def add_profile(self, kind: ProviderKind) -> None:
        settings = self._context.settings()
        taken = (p.name for p in settings.providers.profiles)
        name = unique_name(taken, KIND_NAMES[kind].split(" (")[0])
        fields: dict[str, Any] = {"name": name, "kind": kind}
        if kind in ("azure", "custom"):
            # Both need a URL of the user's; a visible placeholder that fails the test clearly.
            fields["base_url"] = "https://example.invalid/v1"
        if kind == "azure":
            fields["api_version"] = "2024-10-21"
        profile = ProviderProfile(**fields)
        self._current = name
        self._apply(settings.with_profile(profile))
        self.base_url.setFocus()

    def remove_current(self) -> None:
        profile = self.current_profile()
        if profile is None:
            return
        self._current = None
        self._apply(self._context.settings().without_profile(profile.name))
        text = f"Removed {profile.name}."
        if profile.kind not in KEYLESS_KINDS:  # a local server's profile rarely has a key
            text += " Its key stays in the keyring until you delete it."
        self._context.notify(Notice(text, kind="info"))

    def activate_current(self) -> None:
        profile = self.current_profile()
        if profile is None:
            return
        settings = self._context.settings()
        self._apply(
            dataclasses.replace(
                settings,
                providers=dataclasses.replace(settings.providers, active=profile.name),
            )
        )

    # -- connection test -----------------------------------------------------------------------

    def check_current_model(self) -> None:
        profile = self.current_profile()
        model = self.check_model.text().strip() or self._context.settings().defaults.model
        if profile is None or not model:
            return
        self.check_model.setText(model)
        self.result.setText(f"Checking {model}…")
        self.check_button.setEnabled(False)
        self._context.runner.start("settings-check-model", self._check(profile.name, model))

    async def _check(self, name: str, model: str) -> None:
        import asyncio

        from kibitz.core.capability_check import check_model
        from kibitz.core.chat import ChatClient
        from kibitz.core.conversation import connect

        settings = self._context.settings()
        try:
            provider = await asyncio.get_running_loop().run_in_executor(
                self._context.executor,
                lambda: connect.provider_config(
                    settings, self._context.secrets, os.environ, name=name
                ),
            )
            async with ChatClient(provider) as client:
                result = await check_model(
                    client,
                    model,
                    self._book,
                    lambda param: self.result.setText(f"Checking {model}: {param}…"),
                )
            self.result.setText(result.summary())
        except KibitzError as exc:
            self.result.setText(f"✗ {exc.headline}. {exc.hint}")
        finally:
            self.check_button.setEnabled(True)
            self.refusals.refresh()

    def test_connection(self) -> None:
        profile = self.current_profile()
        if profile is None:
            return
        self.result.setText("Testing…")
        self.test_button.setEnabled(False)
        self._context.runner.start("settings-test-connection", self._test(profile.name))

    async def _test(self, name: str) -> None:
        import asyncio

        from kibitz.core.conversation import connect
        from kibitz.core.server_models import check_connection

        settings = self._context.settings()
        try:
            loop = asyncio.get_running_loop()
            provider = await loop.run_in_executor(
                self._context.executor,
                lambda: connect.provider_config(
                    settings, self._context.secrets, os.environ, name=name
                ),
            )
            report = await check_connection(provider, settings.defaults.model)
            self.result.setText(report.describe())
        except KibitzError as exc:
            self.result.setText(f"✗ {exc.headline}. {exc.hint}")
        finally:
            self.test_button.setEnabled(True)
