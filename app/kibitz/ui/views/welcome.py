"""What an empty chat pane shows: a greeting, and on first run the way to connect a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.ui.style import scaled_font

if TYPE_CHECKING:
    from kibitz.core.discovery import LocalServer
    from kibitz.core.secrets import KeyringNotice

_SHORTCUTS = "Ctrl+N  new chat     Ctrl+K  search     Esc  stop a reply"
_KEYRING_NOTE = "The key goes to the system keyring, never to a file."


def _label(text: str, *, role: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    if role:
        label.setObjectName(role)
    return label


class WelcomePane(QWidget):
    key_submitted = Signal(str, bool)  # key, remember in the keyring (False: this session only)
    server_chosen = Signal(object)  # LocalServer
    custom_server_submitted = Signal(str, str)  # base URL, key (may be empty)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WelcomePane")
        title = _label("Welcome to Kibitz", role="WelcomeTitle")
        font = scaled_font(title.font(), "display")
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._subtitle = _label("", role="WelcomeSubtitle")
        self._subtitle.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._shortcuts = _label(_SHORTCUTS, role="WelcomeShortcuts", wrap=False)
        self._shortcuts.setAlignment(Qt.AlignmentFlag.AlignHCenter)

        self._setup = QFrame()
        self._setup.setObjectName("SetupCard")
        self._build_setup(self._setup)

        column = QVBoxLayout()
        column.addStretch(2)
        column.addWidget(title)
        column.addSpacing(6)
        column.addWidget(self._subtitle)
        column.addSpacing(22)
        column.addWidget(self._setup)
        column.addWidget(self._shortcuts)
        column.addStretch(3)
        row = QHBoxLayout(self)
        row.addStretch(1)
        inner = QWidget()
        inner.setLayout(column)
        inner.setMaximumWidth(560)
        row.addWidget(inner, 4)
        row.addStretch(1)
        self.set_needs_setup(False)

    def _build_setup(self, card: QFrame) -> None:
        self._heading = _label("Connect with an OpenAI API key", role="SetupHeading")
        self._key = QLineEdit()
        self._key.setEchoMode(QLineEdit.EchoMode.Password)
        self._key.setPlaceholderText("sk-…")
        self._key.setAccessibleName("OpenAI API key")
        self._save = save = QPushButton()
        save.setObjectName("PrimaryButton")
        self._remember = True  # False once the keyring is known not to work
        self._note = _label(_KEYRING_NOTE, role="SetupNote")
        # Without a keyring: the technical reason, folded away under the plain sentence.
        self._details_toggle = QToolButton()
        self._details_toggle.setText("Details")
        self._details_toggle.setCheckable(True)
        self._details_toggle.setAutoRaise(True)
        self._details_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self._details_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._details_toggle.setAccessibleName("Show the technical details")
        self._details_toggle.toggled.connect(self._on_details_toggled)
        self._details = _label("", role="SetupDetails")
        self._details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._details_toggle.hide()
        self._details.hide()
        self._error = _label("", role="SetupError")
        self._error.hide()
        self._session_only = QPushButton("Use it for this session only")
        self._session_only.setAccessibleName("Keep the key in memory for this session only")
        self._session_only.hide()
        self._set_save_mode(remember=True)
        key_row = QHBoxLayout()
        key_row.addWidget(self._key, 1)
        key_row.addWidget(save)

        self._servers_note = _label("Looking for servers on this computer…", role="SetupNote")
        self._servers = QVBoxLayout()
        self._custom_url = QLineEdit()
        self._custom_url.setPlaceholderText("http://host:port/v1")
        self._custom_url.setAccessibleName("Server base URL")
        self._custom_key = QLineEdit()
        self._custom_key.setEchoMode(QLineEdit.EchoMode.Password)
        self._custom_key.setPlaceholderText("key (if it needs one)")
        self._custom_key.setAccessibleName("Server API key")
        use_custom = QPushButton("Connect")
        use_custom.setAccessibleName("Connect to this server")
        custom_row = QHBoxLayout()
        custom_row.addWidget(self._custom_url, 3)
        custom_row.addWidget(self._custom_key, 2)
        custom_row.addWidget(use_custom)

        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(8)
        layout.addWidget(self._heading)
        layout.addLayout(key_row)
        layout.addWidget(self._note)
        layout.addWidget(self._details_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self._details)
        layout.addWidget(self._error)
        layout.addWidget(self._session_only, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(10)
        layout.addWidget(_label("Or use a server on this computer", role="SetupHeading"))
        layout.addWidget(self._servers_note)
        layout.addLayout(self._servers)
        layout.addSpacing(10)
        layout.addWidget(_label("Or any OpenAI-compatible server", role="SetupHeading"))
        layout.addLayout(custom_row)

        save.clicked.connect(self._on_save_clicked)
        self._key.returnPressed.connect(self._on_save_clicked)
        self._session_only.clicked.connect(self._on_session_only_clicked)
        use_custom.clicked.connect(self._on_custom_clicked)

    # -- what the window sets -------------------------------------------------------------------

    def set_needs_setup(self, needed: bool) -> None:
        self._setup.setVisible(needed)
        self._shortcuts.setVisible(not needed)
        self._subtitle.setText(
            "Connect a model to start: paste an API key, or use a server running here."
            if needed
            else "Ask anything: replies stream in as they are written."
        )

    def ask_for_key(self, label: str, *, openai: bool) -> None:
        """Name whose key the field takes: "an OpenAI API key", "the API key for Work"."""
        self._heading.setText(f"Connect with {label}")
        self._key.setPlaceholderText("sk-…" if openai else "API key")
        self._key.setAccessibleName(label[0].upper() + label[1:])

    def set_keyring_notice(self, notice: KeyringNotice | None) -> None:
        """Without a keyring (`notice`): say so here, once, and keep keys for this session;
        the technical reason waits under Details. None: keys go to the keyring."""
        self.clear_setup_error()
        self._set_save_mode(remember=notice is None)
        self._note.setText(_KEYRING_NOTE if notice is None else notice.text)
        self._note.setObjectName("SetupNote" if notice is None else "SetupWarning")
        self._note.style().unpolish(self._note)
        self._note.style().polish(self._note)
        self._details.setText("" if notice is None else notice.details)
        self._details_toggle.setVisible(notice is not None)
        self._details_toggle.setChecked(False)

    @property
    def keyring_note(self) -> str:
        """What the card says about where the key goes (shown under the key field)."""
        return self._note.text()

    def _set_save_mode(self, *, remember: bool) -> None:
        self._remember = remember
        if remember:
            self._save.setText("Save key")
            self._save.setAccessibleName("Save the API key in the system keyring")
            self._save.setToolTip("")
        else:
            self._save.setText("Use for this session")
            self._save.setAccessibleName("Keep the API key for this session only (not saved)")
            self._save.setToolTip("Kept in memory and forgotten when Kibitz quits")

    def _on_details_toggled(self, shown: bool) -> None:
        self._details.setVisible(shown)
        self._details_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    def set_local_servers(self, servers: list[LocalServer]) -> None:
        while self._servers.count():
            item = self._servers.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        if not servers:
            self._servers_note.setText(
                "None found (Ollama, LM Studio, llama.cpp and vLLM were looked for)."
            )
            return
        self._servers_note.setText("Found:")
        for server in servers:
            models = f"{len(server.models)} model{'s' if len(server.models) != 1 else ''}"
            button = QPushButton(f"Use {server.label}  ·  {server.base_url}  ·  {models}")
            button.setAccessibleName(f"Use {server.label} at {server.base_url}")
            button.clicked.connect(lambda _=False, s=server: self.server_chosen.emit(s))
            self._servers.addWidget(button)

    def show_setup_error(self, text: str, *, offer_session_only: bool) -> None:
        self._error.setText(text)
        self._error.show()
        self._session_only.setVisible(offer_session_only)

    def clear_setup_error(self) -> None:
        self._error.hide()
        self._session_only.hide()

    # -- slots ----------------------------------------------------------------------------------

    def _on_save_clicked(self) -> None:
        key = self._key.text().strip()
        if key:
            self.key_submitted.emit(key, self._remember)

    def _on_session_only_clicked(self) -> None:
        key = self._key.text().strip()
        if key:
            self.key_submitted.emit(key, False)

    def _on_custom_clicked(self) -> None:
        url = self._custom_url.text().strip()
        if url:
            self.custom_server_submitted.emit(url, self._custom_key.text().strip())

    def focus_key_field(self) -> None:
        self._key.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_key_field(self) -> None:
        self._key.clear()
        self._custom_key.clear()
