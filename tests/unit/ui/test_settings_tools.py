"""Settings → Tools on real widgets, with the app's ToolService and a real ToolHub against our
test MCP server over stdio: add, test, fail, policies, values kept out of settings.toml, import
of pasted Claude Desktop JSON, remove (and Undo), and Action.OPEN_TOOLS opening the page."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from tests.support.mcp_server import STDIO_COMMAND, stdio_server

from kibitz.core.errors import Action
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings, load_settings
from kibitz.core.settings.schema import McpServer, ToolsSettings
from kibitz.core.store import Store
from kibitz.core.tools import ServerState, ServerStatus, ToolSpec
from kibitz.core.tools.server_secrets import env_entry
from kibitz.core.types import RequestParams
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import PARAMETERS, TOOLS, SettingsDialog
from kibitz.ui.settings.opener import SettingsOpener
from kibitz.ui.settings.tool_list import POLICY_COLUMN, ServerToolsModel
from kibitz.ui.settings.tool_server_editor import ToolServerEditor
from kibitz.ui.settings.tool_server_list import ServerRole, ToolServerListModel
from kibitz.ui.settings.tools_page import ToolsPage
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.tools.service import ToolService

WAIT = 60.0  # the SDK's import and a server's start on a busy machine; only a hang fails
TOKEN = "tok-settings-tools-5c1e9a7b3d"
COMMAND_LINE = " ".join(STDIO_COMMAND)


class Rig:
    """The Settings window's context with the app's ToolService on a memory keyring."""

    def __init__(
        self,
        paths: AppPaths,
        settings: Settings = Settings(),  # noqa: B008 (frozen)
        secrets: SessionSecretStore | None = None,
    ) -> None:
        self.paths = paths
        self.holder = SettingsHolder(settings, paths.settings_file)
        self.secrets = secrets or SessionSecretStore(MemorySecretStore())
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.runner = TaskRunner()
        self.notices: list[Notice] = []
        self.tools = ToolService(self.holder, self.secrets, self.runner)
        self.context = SettingsContext(
            self.holder,
            self.secrets,
            self.runner,
            self.executor,
            paths,
            self.notices.append,
            tools=self.tools,
        )

    def saved(self) -> Settings:
        return load_settings(self.paths.settings_file).settings

    async def aclose(self) -> None:
        await self.runner.shutdown()
        await self.tools.aclose()
        self.executor.shutdown(wait=True)


@pytest_asyncio.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(resolve_paths(tmp_path / "home").ensure())
    try:
        yield rig
    finally:
        await rig.aclose()


@pytest_asyncio.fixture
async def dialog(rig: Rig, qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(rig.context)
    qtbot.addWidget(dialog)
    dialog.open_page(TOOLS)
    return dialog


async def until(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def type_into(edit: QLineEdit, text: str) -> None:
    edit.setText(text)
    edit.editingFinished.emit()


def row_texts(page: ToolsPage) -> list[tuple[str, str]]:
    model = page.model
    return [
        (model.index(r).data(ServerRole.NAME), model.index(r).data(ServerRole.STATE_TEXT))
        for r in range(model.rowCount())
    ]


def state_of(page: ToolsPage, name: str) -> str:
    """The state line of a server's row; empty while there is no such row."""
    return dict(row_texts(page)).get(name, "")


def fill_stdio(editor: ToolServerEditor, name: str, command_line: str) -> None:
    type_into(editor.name, name)
    editor.transport.setCurrentIndex(editor.transport.findData("stdio"))
    type_into(editor.command, command_line)


# -- adding and testing a server -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_added_stdio_server_becomes_ready_with_its_tools(
    dialog: SettingsDialog, rig: Rig
) -> None:
    page = dialog.tools
    assert page.empty.isVisibleTo(page)  # no servers yet: what to do instead
    editor = page.add_server()
    fill_stdio(editor, "notes", COMMAND_LINE)
    assert editor.errors["command"].isHidden()
    editor.save_button.click()
    await until(lambda: rig.holder().tools.server("notes") is not None, "the server saved")
    server = rig.saved().tools.server("notes")
    assert server is not None
    assert (server.command, *server.args) == STDIO_COMMAND
    # Saving starts it at once; Test starts it again if needed.
    page.details.check_button.click()
    await until(lambda: state_of(page, "notes").startswith("Ready"), "the server ready")
    assert state_of(page, "notes").endswith("tools")
    details = page.details
    assert details.state.text() == state_of(page, "notes")
    tools = {details.tools_model.tool_at(r).name for r in range(details.tools_model.rowCount())}
    assert {"lookup", "delete_note", "sleep"} <= tools
    assert details.tools.isVisibleTo(details)
    assert details.check_button.text() == "Test"
    # What the user reads: how it is started, shown back as it would be typed.
    assert details.where.text().endswith("-m tests.support.mcp_server --stdio")
    assert unnamed_controls(dialog) == []


def unnamed_controls(window: QWidget) -> list[str]:
    return [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
        for w in window.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QLineEdit | QComboBox) and w.isVisibleTo(window)
        if not w.accessibleName() and not isinstance(w.parent(), QLineEdit | QComboBox)
    ]


@pytest.mark.asyncio
async def test_a_missing_command_shows_its_error_in_full(dialog: SettingsDialog, rig: Rig) -> None:
    page = dialog.tools
    editor = page.add_server()
    fill_stdio(editor, "files", "npx-not-installed-here -y @modelcontextprotocol/server-files")
    editor.save_button.click()
    await until(lambda: state_of(page, "files").startswith("Failed"), "the failure shown")
    # The row says what failed; the headline naming the server again is left to the details.
    assert state_of(page, "files") == "Failed: `npx-not-installed-here` was not found on PATH"
    row = page.model.index(page.model.row_of("files") or 0)
    assert str(row.data(Qt.ItemDataRole.ToolTipRole)).startswith(
        "The tool server 'files' could not be started: `npx-not-installed-here` was not found"
    )
    details = page.details
    assert details.check_button.text() == "Retry"
    assert details.problem.is_open()  # a new failure is shown whole, not folded away
    assert details.problem.text.toPlainText() == (
        "The tool server 'files' could not be started: `npx-not-installed-here` was not found "
        "on PATH\nInstall it, or give its full path in Settings → Tools."
    )
    assert not details.tools.isVisibleTo(details)


@pytest.mark.asyncio
async def test_a_server_that_exits_shows_its_stderr(dialog: SettingsDialog, rig: Rig) -> None:
    script = "import sys; print('config.yaml: no such file', file=sys.stderr); sys.exit(7)"
    rig.context.apply(
        rig.holder().with_server(McpServer(name="broken", command=sys.executable,
                                           args=("-c", script)))
    )  # fmt: skip
    page = dialog.tools
    page.select_server("broken")
    assert state_of(page, "broken") == "Not started"  # nothing starts by being shown
    page.details.check_button.click()
    await until(lambda: state_of(page, "broken").startswith("Failed"), "the failure shown")
    text = page.details.problem.text.toPlainText()
    assert "exited with status 7" in text
    assert text.endswith("The last lines it wrote to stderr:\nconfig.yaml: no such file")


@pytest.mark.asyncio
async def test_bad_fields_are_refused_where_typed(dialog: SettingsDialog, rig: Rig) -> None:
    rig.context.apply(rig.holder().with_server(stdio_server("taken")))
    editor = dialog.tools.add_server()
    type_into(editor.name, "my files")
    assert "letters, digits" in editor.errors["name"].text()
    type_into(editor.name, "taken")
    assert "already a tool server named 'taken'" in editor.errors["name"].text()
    type_into(editor.name, "files")
    assert editor.errors["name"].isHidden()
    type_into(editor.command, 'npx "unclosed')
    assert "no closing quotation" in editor.errors["command"].text()
    editor.transport.setCurrentIndex(editor.transport.findData("http"))
    assert not editor.command.isVisibleTo(editor)
    type_into(editor.url, "ftp://example.com/mcp")
    assert "not an http(s) URL" in editor.errors["url"].text()
    row = editor.headers.add_row("Bad Header")
    row.value.setText("x")
    editor.save_button.click()
    assert "not a valid HTTP header name" in editor.errors["headers"].text()
    assert rig.holder().tools.server("files") is None  # nothing applied
    assert editor.isVisible()


# -- policies --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_tools_policy_and_the_servers_are_saved(dialog: SettingsDialog, rig: Rig) -> None:
    rig.context.apply(rig.holder().with_server(stdio_server("notes")))
    page = dialog.tools
    page.select_server("notes")
    page.details.check_button.click()
    await until(lambda: state_of(page, "notes").startswith("Ready"), "the server ready")
    combo = page.details.policy_combo("delete_note")
    labels = [combo.itemText(i) for i in range(combo.count())]
    # A destructive tool asks regardless: Allow is not offered for it.
    assert labels == ["Default: Ask", "Ask", "Never"]
    combo.setCurrentIndex(combo.findText("Never"))
    combo.activated.emit(combo.currentIndex())
    await until(lambda: rig.saved().tools.servers[0].tool_policies, "the policy saved")
    assert dict(rig.saved().tools.servers[0].tool_policies) == {"delete_note": "never"}
    lookup = page.details.policy_combo("lookup")
    assert lookup.currentText() == "Default: Ask"
    # Allowing read-only tools changes what Default means for a read-only tool.
    box = page.form.editors["tools.allow_read_only"].input_widget()
    box.click()  # type: ignore[attr-defined]
    assert rig.saved().tools.allow_read_only is True
    assert page.details.policy_combo("lookup").currentText() == "Default: Allow"
    server_policy = page.details.policy
    server_policy.setCurrentIndex(server_policy.findData("allow"))
    server_policy.activated.emit(server_policy.currentIndex())
    assert rig.saved().tools.servers[0].policy == "allow"
    assert page.details.policy_combo("delete_note").currentText() == "Never"
    # Back to the server's policy: the tool's own entry goes.
    combo = page.details.policy_combo("delete_note")
    combo.setCurrentIndex(0)
    combo.activated.emit(0)
    assert dict(rig.saved().tools.servers[0].tool_policies) == {}


@pytest.mark.asyncio
async def test_the_switch_turns_a_server_off_and_on(dialog: SettingsDialog, rig: Rig) -> None:
    rig.context.apply(rig.holder().with_server(stdio_server("notes")))
    page = dialog.tools
    view = page.servers
    index = page.model.index(0)
    rect = view.visualRect(index)
    switch = page.servers.itemDelegate().switch_rect(rect)  # type: ignore[attr-defined]
    from pytestqt.qtbot import QtBot as _QtBot

    _QtBot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=switch.center())
    assert rig.saved().tools.servers[0].enabled is False
    assert state_of(page, "notes") == "Disabled"
    assert not page.details.check_button.isEnabled()
    view.setFocus()
    _QtBot.keyClick(view, Qt.Key.Key_Space)
    assert rig.saved().tools.servers[0].enabled is True
    assert state_of(page, "notes") == "Not started"
    # A click beside the switch only selects the row.
    _QtBot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(20, rect.center().y()))
    assert rig.saved().tools.servers[0].enabled is True


# -- values in the keyring -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_env_values_go_to_the_secret_store_not_to_settings(
    dialog: SettingsDialog, rig: Rig
) -> None:
    page = dialog.tools
    editor = page.add_server()
    fill_stdio(editor, "notes", COMMAND_LINE)
    row = editor.env.add_row("API_TOKEN")
    row.value.setText(TOKEN)
    editor.save_button.click()
    await until(lambda: rig.holder().tools.server("notes") is not None, "the server saved")
    assert rig.secrets.get_key(env_entry("notes", "API_TOKEN")) == TOKEN
    assert rig.saved().tools.servers[0].env_names == ("API_TOKEN",)
    assert TOKEN not in rig.paths.settings_file.read_text(encoding="utf-8")
    assert "API_TOKEN" in page.details.secrets.text()
    await until(lambda: state_of(page, "notes").startswith("Ready"), "the server ready")
    # The running server sees it (the value reached it from the store, not from a file).
    spec = next(t for t in await rig.tools.hub.tools() if t.name == "env_value")
    output = await rig.tools.hub.call(spec, {"name": "API_TOKEN"})
    assert output.text == TOKEN

    # Edit: the stored value shows masked; an empty field keeps it; a renamed server keeps it.
    editor = page.edit_server("notes")
    assert editor is not None
    await until(lambda: editor.save_button.isEnabled(), "the stored values looked up")
    (shown,) = editor.env.rows()
    assert shown.value.text() == ""
    assert shown.value.placeholderText() == f"Stored: tok…{TOKEN[-4:]} (type to replace)"
    assert TOKEN not in shown.value.placeholderText()
    type_into(editor.name, "notes2")
    editor.save_button.click()
    await until(lambda: rig.holder().tools.server("notes2") is not None, "the rename saved")
    assert rig.secrets.get_key(env_entry("notes2", "API_TOKEN")) == TOKEN
    assert rig.secrets.get_key(env_entry("notes", "API_TOKEN")) is None
    # A name removed from the list takes its value with it.
    editor = page.edit_server("notes2")
    assert editor is not None
    await until(lambda: editor.save_button.isEnabled(), "the stored values looked up")
    editor.env.rows()[0].remove_button.click()
    editor.save_button.click()
    await until(lambda: not rig.holder().tools.servers[0].env_names, "the name dropped")
    assert rig.secrets.get_key(env_entry("notes2", "API_TOKEN")) is None


@pytest.mark.asyncio
async def test_a_new_name_needs_its_value(dialog: SettingsDialog, rig: Rig) -> None:
    editor = dialog.tools.add_server()
    fill_stdio(editor, "notes", COMMAND_LINE)
    editor.env.add_row("API_TOKEN")
    editor.save_button.click()
    assert editor.errors["env"].text() == "Type the value of API_TOKEN."
    assert rig.holder().tools.server("notes") is None
    # NAME=value pasted into the name field is split into the two.
    row = editor.env.add_row("")
    type_into(row.name, f"OTHER={TOKEN}")
    assert (row.name.text(), row.value.text()) == ("OTHER", TOKEN)


@pytest.mark.asyncio
async def test_without_a_keyring_the_values_can_be_kept_for_the_session(
    tmp_path: Path, qtbot: QtBot
) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    from kibitz.core.secrets import KeyringSecretStore

    secrets = SessionSecretStore(KeyringSecretStore(backend=FailKeyring()))
    rig = Rig(resolve_paths(tmp_path / "home").ensure(), secrets=secrets)
    try:
        dialog = SettingsDialog(rig.context)
        qtbot.addWidget(dialog)
        dialog.open_page(TOOLS)
        editor = dialog.tools.add_server()
        fill_stdio(editor, "notes", COMMAND_LINE)
        editor.env.add_row("API_TOKEN").value.setText(TOKEN)
        editor.save_button.click()
        await until(lambda: editor.session_button.isVisible(), "the session choice offered")
        assert "No system keyring is available" in editor.keyring_status.text()
        assert "in memory for this run only" in editor.keyring_status.text()
        assert rig.holder().tools.server("notes") is None  # nothing half-saved
        editor.session_button.click()
        await until(lambda: rig.holder().tools.server("notes") is not None, "the server saved")
        assert rig.secrets.memory.get_key(env_entry("notes", "API_TOKEN")) == TOKEN
        assert TOKEN not in rig.paths.settings_file.read_text(encoding="utf-8")
    finally:
        await rig.aclose()


# -- import and remove -----------------------------------------------------------------------------

CLAUDE_DESKTOP = {
    "mcpServers": {
        "notes": {"command": STDIO_COMMAND[0], "args": list(STDIO_COMMAND[1:]),
                  "env": {"API_TOKEN": TOKEN}},
        "remote": {"url": "https://mcp.example.com/mcp",
                   "headers": {"Authorization": "Bearer abc123-secret"}},
        "broken": {"args": ["no command"]},
    }
}  # fmt: skip


@pytest.mark.asyncio
async def test_import_from_pasted_claude_desktop_json(dialog: SettingsDialog, rig: Rig) -> None:
    old = McpServer(name="notes", command="old-command", env_names=("OLD_KEY",))
    rig.context.apply(rig.holder().with_server(old))
    rig.secrets.set_key(env_entry("notes", "OLD_KEY"), "stale-value")
    import_dialog = dialog.tools.import_servers()
    import_dialog.text.setPlainText(json.dumps(CLAUDE_DESKTOP))
    import_dialog.refresh_preview()
    preview = import_dialog.preview.text()
    assert "<b>Replace notes</b>" in preview
    assert "<b>Add remote</b>" in preview
    assert "1 value to the system keyring" in preview
    assert "&#x27;broken&#x27; was skipped: it has neither a command nor a url" in preview
    assert import_dialog.import_button.text() == "Import 2 servers"
    import_dialog.import_button.click()
    await until(lambda: rig.holder().tools.server("remote") is not None, "the import applied")
    saved = rig.saved().tools
    assert [s.name for s in saved.servers] == ["notes", "remote"]
    assert saved.servers[0].command == STDIO_COMMAND[0]
    assert saved.servers[1].header_names == ("Authorization",)
    assert rig.secrets.get_key(env_entry("notes", "API_TOKEN")) == TOKEN
    # The replaced server's value under a name it no longer lists is gone, as the CLI does it.
    assert rig.secrets.get_key(env_entry("notes", "OLD_KEY")) is None
    text = rig.paths.settings_file.read_text(encoding="utf-8")
    assert TOKEN not in text
    assert "abc123-secret" not in text
    assert rig.notices[-1].text == "Tool servers: imported remote; replaced notes."


@pytest.mark.asyncio
async def test_import_says_what_is_wrong_with_the_json(dialog: SettingsDialog) -> None:
    import_dialog = dialog.tools.import_servers()
    import_dialog.text.setPlainText('{"mcpServers": {')
    import_dialog.refresh_preview()
    assert "It is not JSON" in import_dialog.preview.text()
    assert not import_dialog.import_button.isEnabled()
    import_dialog.text.setPlainText('{"other": 1}')
    import_dialog.refresh_preview()
    assert "No mcpServers object was found" in import_dialog.preview.text()


@pytest.mark.asyncio
async def test_import_offers_the_files_of_other_apps_found_here(
    rig: Rig, qtbot: QtBot, tmp_path: Path
) -> None:
    from kibitz.ui.settings.tools_import import ToolsImportDialog, known_config_files

    cursor = tmp_path / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_text(json.dumps(CLAUDE_DESKTOP), encoding="utf-8")
    found = known_config_files(tmp_path)
    assert found == [("Cursor", cursor)]
    import_dialog = ToolsImportDialog(rig.context, known_files=found)
    qtbot.addWidget(import_dialog)
    (button,) = import_dialog.source_buttons
    assert button.text() == "From Cursor"
    button.click()
    await until(lambda: import_dialog.import_button.isEnabled(), "the file read")
    assert "<b>Add notes</b>" in import_dialog.preview.text()


@pytest.mark.asyncio
async def test_remove_deletes_the_values_and_undo_puts_them_back(
    dialog: SettingsDialog, rig: Rig
) -> None:
    server = stdio_server("notes", env_names=("API_TOKEN",))
    rig.context.apply(rig.holder().with_server(stdio_server("first")).with_server(server))
    rig.secrets.set_key(env_entry("notes", "API_TOKEN"), TOKEN)
    page = dialog.tools
    page.select_server("notes")
    page.details.remove_button.click()
    assert [s.name for s in rig.saved().tools.servers] == ["first"]
    await until(lambda: rig.notices, "the notice")
    assert rig.secrets.get_key(env_entry("notes", "API_TOKEN")) is None
    notice = rig.notices[-1]
    assert notice.text == "Removed the tool server notes and its 1 stored value."
    assert notice.action_text == "Undo"
    assert notice.on_action is not None
    notice.on_action()
    await until(lambda: rig.holder().tools.server("notes") is not None, "the server back")
    assert [s.name for s in rig.saved().tools.servers] == ["first", "notes"]
    assert rig.secrets.get_key(env_entry("notes", "API_TOKEN")) == TOKEN
    assert page.details.server_name == "notes"


# -- opening the page from an error ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_open_tools_opens_the_page_at_the_server(rig: Rig, qtbot: QtBot) -> None:
    rig.context.apply(
        rig.holder().with_server(stdio_server("first")).with_server(stdio_server("second"))
    )
    parent = QWidget()
    qtbot.addWidget(parent)
    with Store.open(rig.paths.database) as store:
        opener = SettingsOpener(rig.context, store, parent)
        opener.handle_error_action(Action.OPEN_TOOLS, None, server="second")
        dialog = opener.settings_dialog()
        assert isinstance(dialog, SettingsDialog)
        assert dialog.isVisible()
        assert dialog.page() == TOOLS
        assert dialog.tools.details.server_name == "second"
        opener.handle_error_action(Action.OPEN_TOOLS, None)  # no server named: as it was
        assert dialog.tools.details.server_name == "second"
        dialog.close()


@pytest.mark.asyncio
async def test_a_conversation_without_tools_is_not_taken_for_one_with_overrides(
    rig: Rig, qtbot: QtBot
) -> None:
    # Turning tools off in the composer sets no parameter: an error's Open settings goes to
    # the defaults, not to the conversation's own settings.
    parent = QWidget()
    qtbot.addWidget(parent)
    with Store.open(rig.paths.database) as store:
        conversation = store.create_conversation("no tools", params=RequestParams(tools=False))
        opener = SettingsOpener(rig.context, store, parent)
        opener.handle_error_action(Action.OPEN_SETTINGS, conversation.id)
        dialog = opener.settings_dialog()
        assert isinstance(dialog, SettingsDialog)
        assert dialog.isVisible()
        assert dialog.page() == PARAMETERS
        dialog.close()


_PROBE = """
import json, os, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.core.settings.schema import McpServer
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import SettingsDialog
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.tools.service import ToolService
app = QApplication([])
paths = resolve_paths(Path(sys.argv[1])).ensure()
settings = Settings().with_server(McpServer(name="files", command="npx"))
holder = SettingsHolder(settings, paths.settings_file)
secrets = SessionSecretStore(MemorySecretStore())
runner = TaskRunner()
tools = ToolService(holder, secrets, runner)
context = SettingsContext(holder, secrets, runner, ThreadPoolExecutor(1), paths, print, tools=tools)
dialog = SettingsDialog(context)
dialog.open_page("tools")
dialog.tools.select_server("files")
app.processEvents()
assert dialog.tools.details.state.text() == "Not started", dialog.tools.details.state.text()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("mcp", "mcp_types"))))
"""


def test_opening_the_page_neither_loads_the_sdk_nor_starts_a_server(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == []


# -- models ----------------------------------------------------------------------------------------


def test_the_server_list_model(qtmodeltester: ModelTester) -> None:
    model = ToolServerListModel()
    servers = (stdio_server("a"), stdio_server("b", enabled=False))
    model.set_servers(servers, {"a": ServerStatus("a", ServerState.FAILED, error="boom\nhint")})
    qtmodeltester.check(model)
    assert model.index(0).data(ServerRole.STATE_TEXT) == "Failed: boom"
    assert model.index(1).data(ServerRole.STATE_TEXT) == "Disabled"
    assert model.index(1).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    model.update_status(ServerStatus("a", ServerState.READY, tools=(ToolSpec("a", "t", "t"),)))
    assert model.index(0).data(ServerRole.STATE_TEXT) == "Ready · 1 tool"
    assert model.rowCount(model.index(0)) == 0
    assert model.data(QModelIndex()) is None


def test_the_tools_model(qtmodeltester: ModelTester) -> None:
    model = ServerToolsModel()
    server = stdio_server("s", tool_policies={"wipe": "never"})
    tools = (
        ToolSpec("s", "read", "read", "Reads a file.\nMore.", read_only=True),
        ToolSpec("s", "wipe", "wipe", "Deletes everything.", destructive=True),
    )
    model.set_tools(server, tools, ToolsSettings(allow_read_only=True))
    qtmodeltester.check(model)
    assert model.index(0, POLICY_COLUMN).data() == "Default: Allow"
    assert model.index(1, POLICY_COLUMN).data() == "Never"
    chosen: list[object] = []
    model.policy_chosen.connect(lambda spec, policy: chosen.append((spec.name, policy)))
    assert model.setData(model.index(0, POLICY_COLUMN), "ask")
    assert chosen == [("read", "ask")]
