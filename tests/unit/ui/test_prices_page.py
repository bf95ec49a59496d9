"""Settings → Prices as a user meets it: the shipped prices with their date, a price edited
in its cell (stored, marked as edited, reset to the shipped one), a new price added for a
profile, a wrong value refused. Real page and Settings window, real store file.

Screenshot prices-light.png goes to $KIBITZ_TEST_SCREENSHOTS.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.core.paths import AppPaths
from kibitz.core.pricing import DEFAULT_PRICES, DEFAULTS_AS_OF, Price
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import PRICES, SettingsDialog
from kibitz.ui.settings.prices_page import HEADERS, PricesPage
from kibitz.ui.tasks import TaskRunner

INPUT, OUTPUT, SOURCE = HEADERS.index("Input"), HEADERS.index("Output"), HEADERS.index("Source")


@pytest.fixture
def page(qtbot: QtBot, store: Store) -> PricesPage:
    page = PricesPage(store)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    return page


def row_of(page: PricesPage, provider: str, model: str) -> int:
    table = page.table
    for row in range(table.rowCount()):
        cells = (table.item(row, 0), table.item(row, 1))
        if all(c is not None for c in cells) and (
            cells[0].text(),  # type: ignore[union-attr]
            cells[1].text(),  # type: ignore[union-attr]
        ) == (provider, model):
            return row
    raise AssertionError(f"no row for {provider} {model}")


def cell(page: PricesPage, row: int, column: int) -> str:
    item = page.table.item(row, column)
    assert item is not None
    return item.text()


def set_cell(page: PricesPage, row: int, column: int, text: str) -> None:
    item = page.table.item(row, column)
    assert item is not None
    item.setText(text)  # what finishing an edit in the cell does


@pytest.mark.asyncio  # the Settings window's other pages start work on the event loop
async def test_settings_has_a_prices_page_with_the_shipped_prices_and_their_date(
    qtbot: QtBot, paths: AppPaths, store: Store, tmp_path: Path
) -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    context = SettingsContext(
        SettingsHolder(Settings(), paths.settings_file),
        SessionSecretStore(MemorySecretStore()),
        TaskRunner(),
        executor,
        paths,
        lambda notice: None,
    )
    try:
        dialog = SettingsDialog(context, store=store)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.open_page(PRICES)
        assert dialog.page() == PRICES
        page = dialog.prices
        assert page.table.rowCount() == len(DEFAULT_PRICES)
        assert DEFAULTS_AS_OF in page.defaults_note.text()
        row = row_of(page, "openai", "gpt-4o-mini")
        assert (cell(page, row, INPUT), cell(page, row, OUTPUT)) == ("0.15", "0.6")
        assert cell(page, row, SOURCE).endswith(DEFAULTS_AS_OF)
        dialog.resize(1000, 640)
        dialog.grab().save(str(shots_dir(tmp_path) / "prices-light.png"))
        dialog.close()
    finally:
        executor.shutdown(wait=True)


def test_an_edited_price_is_stored_and_can_be_reset(page: PricesPage, store: Store) -> None:
    row = row_of(page, "openai", "gpt-4o-mini")
    page.table.setCurrentCell(row, INPUT)
    set_cell(page, row, INPUT, "0.2")
    stored = store.stored_prices()[("openai", "gpt-4o-mini")]
    assert (stored.input, stored.output, stored.cached_input) == (200_000, 600_000, 75_000)
    assert stored.source == "edited"
    assert cell(page, row, SOURCE).startswith("edited")
    assert page.remove_button.text() == "Reset to shipped price"
    page.remove_button.click()
    assert store.stored_prices() == {}
    row = row_of(page, "openai", "gpt-4o-mini")
    assert cell(page, row, INPUT) == "0.15"


def test_a_wrong_value_is_refused_and_nothing_stored(page: PricesPage, store: Store) -> None:
    row = row_of(page, "openai", "gpt-4.1")
    set_cell(page, row, OUTPUT, "eight dollars")
    assert store.stored_prices() == {}
    assert page.error.isVisibleTo(page)
    assert "not a price" in page.error.text()


def test_a_new_price_for_a_profile(page: PricesPage, store: Store) -> None:
    page.add_button.click()
    row = page.table.rowCount() - 1
    set_cell(page, row, 0, "groq")
    set_cell(page, row, 1, "llama-3.3-70b")
    assert store.stored_prices() == {}  # no price yet
    set_cell(page, row, INPUT, "0.59")
    assert "Input and Output" in page.error.text()
    set_cell(page, row, OUTPUT, "0.79")
    assert store.stored_prices()[("groq", "llama-3.3-70b")].output == 790_000
    assert not page.error.isVisibleTo(page)
    page.table.setCurrentCell(row, 0)
    assert page.remove_button.text() == "Remove"
    page.remove_button.click()
    assert store.stored_prices() == {}


def test_prices_listed_by_openrouter_show_their_source(qtbot: QtBot, store: Store) -> None:
    store.set_price("openrouter", "openai/gpt-4o", Price(1, 2, source="OpenRouter model list",
                                                         as_of="2026-12-07"))  # fmt: skip
    page = PricesPage(store)
    qtbot.addWidget(page)
    row = row_of(page, "openrouter", "openai/gpt-4o")
    assert cell(page, row, SOURCE) == "OpenRouter model list, 2026-12-07"
