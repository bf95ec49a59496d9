"""One MCP server in Settings → Tools: how it is reached, its state, its policy and tools with
a policy each, and what went wrong (its last error in full and its stderr, folded away).

A view: it shows typed values and emits intents (edit, remove, test, a policy chosen); the page
acts on them.
"""

from __future__ import annotations

import shlex

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QFont, QFontDatabase, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.settings.schema import McpServer, ToolsSettings
from kibitz.core.tools import Policy, ServerState, ServerStatus
from kibitz.ui.settings.form_page import help_label
from kibitz.ui.settings.tool_list import (
    POLICY_COLUMN,
    TOOL_COLUMN,
    PolicyDelegate,
    ServerToolsModel,
    ToolDelegate,
)
from kibitz.ui.settings.tool_server_list import STATE_COLORS, state_text

TRANSPORT_NAMES = {"stdio": "stdio", "http": "Streamable HTTP", "sse": "HTTP + SSE"}
SERVER_POLICIES = (
    (Policy.ASK, "Ask before each call"),
    (Policy.ALLOW, "Run without asking"),
    (Policy.NEVER, "Never run"),
)
_TOOL_ROWS_SHOWN = 7  # past this many tools the list scrolls inside the page


def where(server: McpServer) -> str:
    """How the server is reached, as the user would type it."""
    if server.transport == "stdio":
        return shlex.join([server.command or "", *server.args])
    return server.url or ""


class FoldedText(QWidget):
    """A titled section that opens and closes with a click: selectable monospace text, as
    tall as its lines up to a limit (then it scrolls)."""

    MAX_LINES = 14

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(title)
        self.toggle.clicked.connect(lambda: self.set_open(not self.is_open()))
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.text.setAccessibleName(title)
        self.text.hide()
        self._open = False
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.text)

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)
        self._fit()

    def set_open(self, opened: bool) -> None:
        self._open = opened
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.text.setVisible(opened)
        self._fit()

    def is_open(self) -> bool:
        return self._open

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """As tall as the wrapped lines need, from 3 lines up to MAX_LINES."""
        if not self._open:
            return
        document = self.text.document()
        document.setTextWidth(self.text.viewport().width())
        lines = sum(
            document.findBlockByNumber(n).layout().lineCount() for n in range(document.blockCount())
        )
        line_h = self.text.fontMetrics().lineSpacing()
        shown = max(3, min(lines, self.MAX_LINES))
        margins = self.text.contentsMargins()
        extra = 2 * self.text.frameWidth() + margins.top() + margins.bottom()
        self.text.setFixedHeight(shown * line_h + extra + 2 * int(document.documentMargin()))


def problem_text(status: ServerStatus) -> str:
    """The last error in full, then what the server last wrote to stderr."""
    parts: list[str] = []
    if status.error:
        parts.append(status.error)
    if status.stderr_tail:
        parts.append(f"The last lines it wrote to stderr:\n{status.stderr_tail}")
    return "\n\n".join(parts)


class ServerDetails(QWidget):
    edit_requested = Signal(str)
    remove_requested = Signal(str)
    check_requested = Signal(str)
    server_policy_chosen = Signal(str, object)  # server name, Policy

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._server: McpServer | None = None
        self._status: ServerStatus | None = None
        self._can_check = False
        self._shown_problem = ""
        self._tools_settings = ToolsSettings()
        self.title = QLabel()
        self.title.setObjectName("ToolServerName")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.check_button = QPushButton("Test")
        self.check_button.setAccessibleName("Start this server and list its tools")
        self.check_button.clicked.connect(lambda: self._request(self.check_requested))
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setAccessibleName("Edit this tool server")
        self.edit_button.clicked.connect(lambda: self._request(self.edit_requested))
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove this tool server")
        self.remove_button.clicked.connect(lambda: self._request(self.remove_requested))
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        for button in (self.check_button, self.edit_button, self.remove_button):
            head.addWidget(button)

        self.where = QLabel()
        self.where.setObjectName("ToolServerWhere")
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.where.setAccessibleName("Command or URL")
        self.secrets = help_label("")
        self.secrets.setAccessibleName("Stored values")
        self.state = QLabel()
        self.state.setObjectName("ToolServerState")
        self.state.setWordWrap(True)
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state.setAccessibleName("Server state")
        self.dot = QLabel("●")
        self.dot.setAccessibleName("")
        state_row = QHBoxLayout()
        state_row.setContentsMargins(0, 0, 0, 0)
        state_row.addWidget(self.dot, 0, Qt.AlignmentFlag.AlignTop)
        state_row.addWidget(self.state, 1)

        self.policy = QComboBox()
        for policy, label in SERVER_POLICIES:
            self.policy.addItem(label, policy.value)
        self.policy.setAccessibleName("When this server's tools are called")
        self.policy.activated.connect(self._on_policy_activated)
        policy_form = QFormLayout()
        policy_form.setContentsMargins(0, 0, 0, 0)
        policy_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        policy_form.addRow("When its tools are called:", self.policy)

        self.tools_model = ServerToolsModel(self)
        self.tools = QTreeView()
        self.tools.setModel(self.tools_model)
        self.tools.setAccessibleName("Tools of this server")
        self.tools.setRootIsDecorated(False)
        self.tools.setItemsExpandable(False)
        self.tools.setUniformRowHeights(True)
        self.tools.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tools.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tools.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tools.setItemDelegateForColumn(TOOL_COLUMN, ToolDelegate(self.tools))
        self.tools.setItemDelegateForColumn(POLICY_COLUMN, PolicyDelegate(self.tools))
        header = self.tools.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TOOL_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(POLICY_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(POLICY_COLUMN, 136)
        self.tools_model.modelReset.connect(self._open_policy_editors)
        self.tools_note = help_label("")
        self.tools_note.setAccessibleName("About this server's tools")

        self.problem = FoldedText("Last error and server output")

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addLayout(head)
        column.addWidget(self.where)
        column.addWidget(self.secrets)
        column.addLayout(state_row)
        column.addWidget(self.problem)
        column.addSpacing(4)
        column.addLayout(policy_form)
        column.addWidget(self.tools_note)
        column.addWidget(self.tools)

    def _request(self, signal: SignalInstance) -> None:
        if self._server is not None:
            signal.emit(self._server.name)

    @property
    def server_name(self) -> str | None:
        return self._server.name if self._server is not None else None

    def show_server(
        self,
        server: McpServer,
        status: ServerStatus,
        tools_settings: ToolsSettings,
        *,
        can_check: bool,
    ) -> None:
        """Show `server` as it is configured and with its latest status."""
        if self._server is None or self._server.name != server.name:
            self._shown_problem = ""
            self.problem.set_open(False)
        self._server = server
        self._can_check = can_check
        self.title.setText(server.name)
        self.where.setText(f"{TRANSPORT_NAMES[server.transport]} · {where(server)}")
        names = [*server.env_names, *server.header_names]
        noun = "Environment" if server.transport == "stdio" else "Headers"
        self.secrets.setText(f"{noun}: {', '.join(names)} (values in the keyring)" if names else "")
        self.secrets.setVisible(bool(names))
        self.policy.setCurrentIndex(max(0, self.policy.findData(server.policy)))
        self._tools_settings = tools_settings
        self.show_status(status)

    def show_status(self, status: ServerStatus) -> None:
        server = self._server
        if server is None or status.name != server.name:
            return
        self._status = status
        self.state.setText(state_text(status))
        colour = STATE_COLORS[status.state]
        self.dot.setStyleSheet(f"color: {colour};")
        failed = status.state is ServerState.FAILED
        self.check_button.setText("Retry" if failed else "Test")
        self.check_button.setEnabled(
            self._can_check and server.enabled and status.state is not ServerState.STARTING
        )
        if not self._can_check:
            self.check_button.setToolTip("Tools can be tested from the main window's Settings")
        elif not server.enabled:
            self.check_button.setToolTip("Turn the server on first")
        else:
            self.check_button.setToolTip("Start the server now and list its tools")
        problem = problem_text(status)
        self.problem.set_text(problem)
        self.problem.setVisible(bool(problem))
        if failed and problem != self._shown_problem:
            self.problem.set_open(True)  # a new failure is shown whole at once
        self._shown_problem = problem if failed else self._shown_problem
        self.tools_model.set_tools(server, status.tools, self._tools_settings)
        self._fit_tools_view()
        self.tools_note.setText(self._tools_note(server, status))
        self.tools_note.setVisible(bool(self.tools_note.text()))

    def _tools_note(self, server: McpServer, status: ServerStatus) -> str:
        if not server.enabled:
            return "Turned off: models are not offered its tools."
        if status.state is ServerState.READY:
            if not status.tools:
                return "It offers no tools."
            return "A destructive tool always asks, unless set to Never."
        if status.state is ServerState.STARTING:
            return "Starting it to list its tools…"
        if status.state is ServerState.FAILED:
            return "Its tools show once it starts. Fix the problem above, then Retry."
        return (
            "Kibitz starts it when a conversation first uses tools. Press Test to start it "
            "now and see its tools."
        )

    def _fit_tools_view(self) -> None:
        rows = self.tools_model.rowCount()
        self.tools.setVisible(rows > 0)
        if not rows:
            return
        row_h = self.tools.sizeHintForRow(0)
        shown = min(rows, _TOOL_ROWS_SHOWN)
        frame = 2 * self.tools.frameWidth()
        self.tools.setFixedHeight(self.tools.header().sizeHint().height() + shown * row_h + frame)

    def _open_policy_editors(self) -> None:
        for row in range(self.tools_model.rowCount()):
            self.tools.openPersistentEditor(self.tools_model.index(row, POLICY_COLUMN))

    def policy_combo(self, tool: str) -> QComboBox:
        """The policy choice of one tool (for keyboard users' focus and for tests)."""
        for row in range(self.tools_model.rowCount()):
            if self.tools_model.tool_at(row).name == tool:
                widget = self.tools.indexWidget(self.tools_model.index(row, POLICY_COLUMN))
                assert isinstance(widget, QComboBox)
                return widget
        raise KeyError(tool)

    def _on_policy_activated(self, index: int) -> None:
        if self._server is not None:
            self.server_policy_chosen.emit(self._server.name, Policy(self.policy.itemData(index)))
