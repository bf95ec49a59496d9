"""The [ui] section read alone for the first frame (early_ui) agrees with the full load, and
falls back to defaults where the full load would; the window holder reads the rest later."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kibitz.core.settings import Settings, UiSettings, load_settings, save_settings
from kibitz.core.settings.early_ui import read_ui


def test_the_ui_section_read_early_is_the_one_the_full_load_reads(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = (
        Settings()
        .with_value("ui.theme", "dark")
        .with_value("ui.font_size", 15)
        .with_value("ui.send_key", "ctrl+enter")
        .with_value("defaults.model", "gpt-4.1")
    )
    save_settings(path, settings)

    early = read_ui(path)

    assert early == load_settings(path).settings.ui
    assert (early.theme, early.font_size, early.send_key) == ("dark", 15, "ctrl+enter")


def test_a_bad_value_is_its_default_as_in_the_full_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'schema_version = 2\n\n[ui]\ntheme = "purple"\nfont_size = 300\nsend_key = "ctrl+enter"\n',
        encoding="utf-8",
    )

    early = read_ui(path)

    assert early == load_settings(path).settings.ui
    assert (early.theme, early.font_size, early.send_key) == ("system", None, "ctrl+enter")


@pytest.mark.parametrize(
    "content",
    [None, b"", b"[ui\ntheme = ", b"\xff\xfe not utf-8", b'ui = "not a table"\n'],
    ids=["missing", "empty", "broken-toml", "not-utf8", "ui-not-a-table"],
)
def test_a_file_it_cannot_use_gives_the_defaults(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "settings.toml"
    if content is not None:
        path.write_bytes(content)

    assert read_ui(path) == UiSettings()


def test_reading_the_ui_section_loads_no_settings_schema(tmp_path: Path) -> None:
    """The reason it exists: the schema's imports are what the first frame must not wait for."""
    path = tmp_path / "settings.toml"
    path.write_text('[ui]\ntheme = "light"\n', encoding="utf-8")
    probe = (
        "import sys; from pathlib import Path\n"
        "from kibitz.core.settings.early_ui import read_ui\n"
        f"assert read_ui(Path({str(path)!r})).theme == 'light'\n"
        "print(sorted(m for m in sys.modules if m.startswith('kibitz.core.settings.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == str(
        ["kibitz.core.settings.early_ui", "kibitz.core.settings.fields",
         "kibitz.core.settings.sections", "kibitz.core.settings.sections.ui"]
    )  # fmt: skip
