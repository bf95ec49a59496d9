"""The Settings window: a page list on the left, the page on the right; changes apply live.

Not modal: the user can keep chatting while it is open, and a second "Settings" raises it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.store import Store
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.form_page import SettingsForm, help_label

PROVIDERS = "providers"
PARAMETERS = "parameters"
PRESETS = "presets"
TOOLS = "tools"
SCHEMAS = "schemas"
PRICES = "prices"
APPEARANCE = "appearance"
CONNECTION = "connection"

APPEARANCE_PATHS = (
    "ui.theme",
    "ui.font_size",
    "ui.send_key",
    "ui.render_math",
    "chat.auto_title",
    "ui.close_to_tray",
    "ui.start_at_login",
    "ui.hotkey",
    "ui.quick_ask_prefill",
)
CONNECTION_PATHS = (
    "chat.request_timeout_s",
    "chat.stall_timeout_s",
    "chat.max_retries",
    "chat.context_reserve_tokens",
    "chat.unknown_context_window",
)


def _hotkey(value: object) -> object:
    """A combination in its stored form ("ctrl+alt+space"); ValueError says what is wrong."""
    from kibitz.ui.hotkey.protocol import normalize_hotkey

    return normalize_hotkey(str(value or ""))


def _scrolled(page: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the page list to the fields
    # Pages fit the width and wrap their text; only a long page scrolls, and only down.
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(page)
    return area


def _titled(title: str, intro: str, body: QWidget) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setContentsMargins(20, 16, 20, 16)
    heading = QLabel(title)
    heading.setObjectName("SettingsHeading")
    column.addWidget(heading)
    if intro:
        column.addWidget(help_label(intro))
    column.addWidget(body, 1)
    return page


class SettingsDialog(QDialog):
    def __init__(
        self, context: SettingsContext, parent: QWidget | None = None, store: Store | None = None
    ) -> None:
        """`store`: where prices are kept (Settings → Prices shows only with one)."""
        super().__init__(parent)
        self.setWindowTitle("Kibitz Settings")
        self.setObjectName("SettingsDialog")
        self.setModal(False)
        self.resize(860, 600)
        self._context = context
        self._pages: dict[str, int] = {}
        self._nav = QListWidget()
        self._nav.setObjectName("SettingsNav")
        self._nav.setAccessibleName("Settings pages")
        self._nav.setFixedWidth(200)
        self._nav.setSpacing(5)
        self._stack = QStackedWidget()
        self.forms: dict[str, SettingsForm] = {}

        from kibitz.ui.settings.parameters_page import ParametersPage
        from kibitz.ui.settings.presets_page import PresetsPage
        from kibitz.ui.settings.providers_page import ProvidersPage
        from kibitz.ui.settings.tools_page import ToolsPage

        self.providers = ProvidersPage(context)
        self._add(PROVIDERS, "Providers", "The servers Kibitz talks to, and their keys.",
                  self.providers)  # fmt: skip
        self.parameters = ParametersPage(context)
        self.forms[PARAMETERS] = self.parameters.form
        self._add(
            PARAMETERS,
            "Model & parameters",
            "Defaults for new requests. A conversation can override each one "
            "(Conversation → Conversation settings). Empty means the server's default.",
            self.parameters,
        )
        self.presets = PresetsPage(context)
        self._add(PRESETS, "System prompts", "Presets a conversation can start from.",
                  self.presets)  # fmt: skip
        self.tools = ToolsPage(context)
        self._add(
            TOOLS,
            "Tools",
            "MCP servers give models tools to call: your files, a search, your own scripts. "
            "Kibitz starts a server when a conversation first uses tools, and asks before a "
            "call unless you allow it.",
            self.tools,
        )
        from kibitz.ui.settings.schemas_page import INTRO as SCHEMAS_INTRO
        from kibitz.ui.settings.schemas_page import SchemasPage

        self.schemas = SchemasPage(context)
        self._add(SCHEMAS, "Schemas", SCHEMAS_INTRO, self.schemas)
        appearance = SettingsForm(context, APPEARANCE_PATHS,
                                  normalizers={"ui.hotkey": _hotkey})  # fmt: skip
        appearance.form.addRow("", self._hotkey_note())
        self.forms[APPEARANCE] = appearance
        self._add(APPEARANCE, "Appearance & behaviour", "", appearance)
        connection = SettingsForm(context, CONNECTION_PATHS)
        self.forms[CONNECTION] = connection
        self._add(CONNECTION, "Connection & limits",
                  "How long to wait, how often to retry, how much history to send.",
                  connection)  # fmt: skip
        if store is not None:
            from kibitz.ui.settings.prices_page import INTRO, PricesPage

            self.prices = PricesPage(store)
            self._add(PRICES, "Prices", INTRO, self.prices)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close settings")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._nav)
        row.addWidget(self._stack, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 12)
        column.addLayout(row, 1)
        footer = QHBoxLayout()
        footer.setContentsMargins(12, 0, 12, 0)
        footer.addWidget(buttons)
        column.addLayout(footer)
        # Enter in a field confirms that field only; it must not press Remove or Delete key.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self._nav.currentRowChanged.connect(self._stack.setCurrentIndex)
        self._nav.setCurrentRow(0)
        # Arrow keys move between pages first; Tab goes on into the page.
        self._nav.setFocus()
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)

    def _add(self, key: str, title: str, intro: str, body: QWidget) -> None:
        self._pages[key] = self._stack.addWidget(_scrolled(_titled(title, intro, body)))
        self._nav.addItem(title)

    def _hotkey_text(self) -> str:
        status = self._context.hotkey_status()
        command = html.escape(self._context.quick_ask_command())
        text = f"Any desktop can also bind <b>{command}</b> to a shortcut."
        return f"{html.escape(status)}<br>{text}" if status else text

    def _hotkey_note(self) -> QLabel:
        note = QLabel(self._hotkey_text())
        note.setObjectName("FieldHelp")
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note.setAccessibleName("Hotkey status")
        self._hotkey_label = note
        return note

    def refresh_hotkey_status(self) -> None:
        self._hotkey_label.setText(self._hotkey_text())

    def page(self) -> str:
        index = self._stack.currentIndex()
        return next(k for k, i in self._pages.items() if i == index)

    def open_tools(self, server: str | None = None) -> None:
        """Show the Tools page at `server` (a ToolServerError's), or as it was."""
        self.open_page(TOOLS)
        if server is not None:
            self.tools.select_server(server)

    def open_page(self, key: str, focus: str | None = None) -> None:
        """Show a page; with `focus`, put the cursor in that setting's field."""
        self._nav.setCurrentRow(self._pages[key])
        self.show()
        self.providers.show_default_key()
        self.raise_()
        self.activateWindow()
        if focus is None:
            return
        for form in self.forms.values():
            editor = form.editors.get(focus)
            if editor is not None:
                editor.input_widget().setFocus(Qt.FocusReason.OtherFocusReason)
                return
