"""Settings → Schemas: schemas made, pasted, loaded from a file, renamed and deleted; a bad one
refused with where and why and its text kept; strict-mode problems warned about; screenshots
light and dark (settings-schemas-{light,dark}.png, settings-schemas-error-*.png)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings, load_settings
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import SCHEMAS, SettingsDialog
from kibitz.ui.settings.schemas_page import NEW_SCHEMA, SchemasPage
from kibitz.ui.style import apply_theme
from kibitz.ui.tasks import TaskRunner

PERSON = """{
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": ["integer", "null"]}
  },
  "required": ["name", "age"],
  "additionalProperties": false
}"""


class Rig:
    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.holder = SettingsHolder(Settings(), paths.settings_file)
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.notices: list[Notice] = []
        secrets = SessionSecretStore(MemorySecretStore())
        self.context = SettingsContext(
            self.holder, secrets, TaskRunner(), self.executor, paths, self.notices.append
        )

    def saved(self) -> Settings:
        return load_settings(self.paths.settings_file).settings


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(resolve_paths(tmp_path / "home").ensure())
    yield rig
    rig.executor.shutdown(wait=True)


@pytest.fixture
def page(rig: Rig, qtbot: QtBot) -> SchemasPage:
    """The page alone (the whole dialog also starts key look-ups): the screenshots show it
    inside the Settings window."""
    page = SchemasPage(rig.context)
    qtbot.addWidget(page)
    page.show()
    return page


@pytest.mark.asyncio
async def test_a_schema_is_made_pasted_and_saved(page: SchemasPage, rig: Rig) -> None:
    assert page._empty.isVisibleTo(page)
    page.add_schema()
    page.name.setText("Person")
    page.text.setPlainText(PERSON)
    assert page.commit(), page.error.text()
    (saved,) = rig.saved().schemas.items
    assert (saved.name, saved.schema, saved.strict) == ("Person", PERSON, True)
    assert page.warnings.isHidden()
    assert page.error.isHidden()
    assert [page.list.item(i).text() for i in range(page.list.count())] == ["Person"]


@pytest.mark.asyncio
async def test_a_bad_schema_is_refused_with_why_and_the_text_is_kept(
    page: SchemasPage, rig: Rig
) -> None:
    page.add_schema()
    page.name.setText("Person")
    assert page.commit(), page.error.text()
    page.add_schema()  # "New schema", a second one
    typed = '{"type": "object", "properties": {"age": {"type": "integr"}}}'
    page.text.setPlainText(typed)
    assert not page.commit()
    assert page.error.isVisibleTo(page)
    assert page.error.text().startswith(
        "Not a valid JSON Schema at /properties/age/type: 'integr' is not valid"
    )
    # Choosing another schema does not throw the typed text away: the bad one stays chosen.
    page.list.setCurrentRow(0)
    assert page.list.currentItem().text() == "New schema"
    assert page.text.toPlainText() == typed
    assert [s.schema for s in rig.holder().schemas.items if s.schema == typed] == []  # unsaved
    page.text.setPlainText('{"type": "object",')
    assert not page.commit()
    assert page.error.text() == (
        "This is not valid JSON: Expecting property name enclosed in double quotes at line "
        "1, column 19."
    )
    page.text.setPlainText(PERSON)
    assert page.commit(), page.error.text()
    assert page.error.isHidden()
    assert [s.schema for s in rig.saved().schemas.items] == [NEW_SCHEMA, PERSON]


@pytest.mark.asyncio
async def test_strict_mode_problems_are_warned_about_not_refused(
    page: SchemasPage, rig: Rig
) -> None:
    page.add_schema()
    loose = '{"type": "object", "properties": {"city": {"type": "string"}}}'
    page.text.setPlainText(loose)
    assert page.commit(), page.error.text()
    assert rig.saved().schemas.items[0].schema == loose
    assert page.warnings.isVisibleTo(page)
    assert page.warnings.text().splitlines() == [
        "OpenAI's strict mode may refuse this schema:",
        '• At the root: set "additionalProperties": false (strict mode refuses an object '
        "schema without it).",
        '• At the root: "city" missing from "required" (strict mode needs every property '
        'there; for an optional one allow "null" in its type).',
    ]
    page.strict.setChecked(False)  # saved at once; nothing left to warn about
    assert rig.saved().schemas.items[0].strict is False
    assert page.warnings.isHidden()


@pytest.mark.asyncio
async def test_a_file_is_loaded_into_a_new_schema_named_after_it(
    page: SchemasPage, rig: Rig, tmp_path: Path
) -> None:
    path = tmp_path / "invoice.json"
    path.write_text(PERSON, encoding="utf-8")
    assert page.load_file(path)
    (saved,) = rig.saved().schemas.items
    assert (saved.name, saved.schema) == ("invoice", PERSON)
    assert not page.load_file(tmp_path / "missing.json")
    assert page.error.text() == "Cannot read missing.json: No such file or directory."


@pytest.mark.asyncio
async def test_renamed_and_deleted(page: SchemasPage, rig: Rig) -> None:
    page.add_schema()
    page.add_schema()
    page.name.setText("Second")
    assert page.commit(), page.error.text()
    assert [s.name for s in rig.holder().schemas.items] == ["New schema", "Second"]
    page.name.setText("New schema")  # taken
    assert not page.commit()
    assert "used twice" in page.error.text()
    page.name.setText("Second")
    assert page.commit(), page.error.text()
    page.remove_current()
    assert [s.name for s in rig.saved().schemas.items] == ["New schema"]


@pytest.fixture
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet = QPalette(app.palette()), app.styleSheet()
    apply_theme(app, str(request.param))
    yield str(request.param)
    app.styleHints().unsetColorScheme()
    app.setStyleSheet(sheet)
    app.setPalette(palette)


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
async def test_screenshots_of_settings_schemas(
    rig: Rig, qtbot: QtBot, tmp_path: Path, scheme: str
) -> None:
    folder = shots_dir(tmp_path)
    window = SettingsDialog(rig.context)
    qtbot.addWidget(window)
    window.open_page(SCHEMAS)
    page = window.schemas
    page.add_schema()
    page.name.setText("Person")
    page.text.setPlainText(PERSON)
    assert page.commit(), page.error.text()
    page.add_schema()
    page.name.setText("Invoice")
    invoice = {
        "type": "object",
        "properties": {
            "number": {"type": "string"},
            "total": {"type": "number"},
            "lines": {
                "type": "array",
                "items": {"type": "object", "properties": {"item": {"type": "string"}}},
            },
        },
        "required": ["number", "total", "lines"],
        "additionalProperties": False,
    }
    page.text.setPlainText(json.dumps(invoice, indent=2))
    assert page.commit(), page.error.text()
    await asyncio.sleep(0.15)
    shot = folder / f"settings-schemas-{scheme}.png"
    assert window.grab().save(str(shot))
    assert page.warnings.isVisible()
    page.text.setPlainText(page.text.toPlainText().replace('"type": "number"', '"type": "numbr"'))
    assert not page.commit()
    await asyncio.sleep(0.15)
    shot = folder / f"settings-schemas-error-{scheme}.png"
    assert window.grab().save(str(shot))
    assert page.error.isVisible()
