"""The model menu over the composer: typing filters, keys choose, models grouped under their
provider with the current one checked, a name no server lists offered as free text; its lists
come from the cache at once and from the server (the fake one) after, and a server that cannot
be reached leaves the cached list, said so quietly."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import DEFAULT_MODELS, FakeOpenAI
from tests.unit.ui.attachment_window import TEST_KEY, until

from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.server_models import ModelCache
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.controllers.model_choice import LOADING, OFFLINE, ModelChoiceController
from kibitz.ui.notify import Notice
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.composer import Composer
from kibitz.ui.views.model_menu import ChosenModel, ModelMenu, ProviderModels

WORK = ProviderModels("work", ("gpt-4o", "gpt-4o-mini", "o3-mini"))
LOCAL = ProviderModels("local", ("llama3.2", "qwen3-8b"), note="offline – cached list")


@pytest.fixture
def menu(qtbot: QtBot) -> Iterator[ModelMenu]:
    anchor = QWidget()
    qtbot.addWidget(anchor)
    anchor.resize(400, 60)
    anchor.move(200, 500)
    anchor.show()
    shown = ModelMenu(anchor)
    shown.set_groups([WORK, LOCAL], ChosenModel("work", "gpt-4o-mini"))
    shown.popup_at(anchor)
    qtbot.waitExposed(shown)
    yield shown
    shown.close()


def test_models_are_grouped_under_their_provider_with_the_current_one_highlighted(
    menu: ModelMenu,
) -> None:
    assert menu.headings() == ["work", "local · offline – cached list"]
    assert menu.choices() == [
        ChosenModel("work", "gpt-4o"),
        ChosenModel("work", "gpt-4o-mini"),
        ChosenModel("work", "o3-mini"),
        ChosenModel("local", "llama3.2"),
        ChosenModel("local", "qwen3-8b"),
    ]
    # Opened at the model in use, so Enter alone keeps it.
    assert menu.current_choice() == ChosenModel("work", "gpt-4o-mini")
    assert menu.search.hasFocus()


def test_typing_filters_and_the_arrow_keys_and_enter_choose(menu: ModelMenu, qtbot: QtBot) -> None:
    chosen: list[ChosenModel] = []
    menu.model_chosen.connect(chosen.append)
    qtbot.keyClicks(menu.search, "4")
    assert [c.model for c in menu.choices()] == ["gpt-4o", "gpt-4o-mini", "4"]
    menu.search.clear()
    qtbot.keyClicks(menu.search, "o3")
    assert menu.choices() == [ChosenModel("work", "o3-mini"), ChosenModel("work", "o3")]
    assert menu.current_choice() == ChosenModel("work", "o3-mini")  # Enter takes the first hit
    assert menu.headings() == ["work"]
    menu.search.clear()
    qtbot.keyClicks(menu.search, "q")
    assert menu.choices()[-2] == ChosenModel("local", "qwen3-8b")
    menu.search.clear()
    qtbot.keyClicks(menu.search, "local")  # a provider's name finds its models
    assert [c.model for c in menu.choices()] == ["llama3.2", "qwen3-8b", "local"]
    qtbot.keyClick(menu.search, Qt.Key.Key_Down)
    qtbot.keyClick(menu.search, Qt.Key.Key_Down)
    qtbot.keyClick(menu.search, Qt.Key.Key_Down)  # stays on the last
    qtbot.keyClick(menu.search, Qt.Key.Key_Up)
    qtbot.keyClick(menu.search, Qt.Key.Key_Up)
    qtbot.keyClick(menu.search, Qt.Key.Key_Down)
    qtbot.keyClick(menu.search, Qt.Key.Key_Return)
    assert chosen == [ChosenModel("local", "qwen3-8b")]
    assert not menu.isVisible()


def test_a_name_no_server_lists_is_offered_as_typed(menu: ModelMenu, qtbot: QtBot) -> None:
    chosen: list[ChosenModel] = []
    menu.model_chosen.connect(chosen.append)
    qtbot.keyClicks(menu.search, "gpt-4o")  # listed: no free-text entry
    assert menu.choices()[0] == ChosenModel("work", "gpt-4o")
    qtbot.keyClicks(menu.search, "-2024-08-06")
    # Not listed: offered with the current model's provider, first and highlighted.
    assert menu.choices() == [ChosenModel("work", "gpt-4o-2024-08-06")]
    assert menu.list.currentItem().text() == "Use “gpt-4o-2024-08-06” with work"
    qtbot.keyClick(menu.search, Qt.Key.Key_Enter)
    assert chosen == [ChosenModel("work", "gpt-4o-2024-08-06")]


def test_esc_closes_without_choosing(menu: ModelMenu, qtbot: QtBot) -> None:
    chosen: list[ChosenModel] = []
    menu.model_chosen.connect(chosen.append)
    qtbot.keyClicks(menu.search, "llama")
    qtbot.keyClick(menu.search, Qt.Key.Key_Escape)
    assert not menu.isVisible()
    assert chosen == []


def test_a_click_chooses(menu: ModelMenu, qtbot: QtBot) -> None:
    chosen: list[ChosenModel] = []
    menu.model_chosen.connect(chosen.append)
    item = menu.list.findItems("o3-mini", Qt.MatchFlag.MatchExactly)[0]
    rect = menu.list.visualItemRect(item)
    qtbot.mouseClick(menu.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen == [ChosenModel("work", "o3-mini")]


# -- the lists, from the cache and the server ---------------------------------------------------


class Picker:
    """A composer and its model choice on a real store, settings with one profile, a key in
    memory and the model cache in a temporary folder."""

    def __init__(self, qtbot: QtBot, tmp_path: Path, base_url: str) -> None:
        self.cache_dir = tmp_path / "cache"
        self.settings = SettingsHolder(
            Settings()
            .with_profile(ProviderProfile("fake", kind="custom", base_url=base_url))
            .with_value("providers.active", "fake"),
            tmp_path / "settings.toml",
        )
        self.store = Store.open(tmp_path / "kibitz.sqlite3")
        secrets = SessionSecretStore(MemorySecretStore())
        secrets.set_key("fake", TEST_KEY, remember=False)
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.runner = TaskRunner()
        self.notices: list[Notice] = []
        self.composer = Composer()
        qtbot.addWidget(self.composer)
        self.composer.resize(700, 120)
        self.composer.show()
        self.choice = ModelChoiceController(
            self.store,
            self.settings,
            secrets,
            self.composer,
            self.runner,
            self.executor,
            self.cache_dir,
            self.notices.append,
        )

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.store.close()

    def group(self) -> ProviderModels:
        assert self.choice.menu is not None
        (group,) = self.choice.menu.groups()
        return group


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.asyncio
async def test_the_cached_list_shows_at_once_then_the_servers(
    qtbot: QtBot, tmp_path: Path, fake: FakeOpenAI
) -> None:
    picker = Picker(qtbot, tmp_path, fake.url)
    try:
        ModelCache(picker.cache_dir).put("fake", fake.url, ["yesterdays-model"])
        qtbot.mouseClick(picker.composer.model_button, Qt.MouseButton.LeftButton)
        assert picker.group() == ProviderModels("fake", ("yesterdays-model",), LOADING)
        await until(lambda: picker.group().note == "", "the server's list")
        assert picker.group().models == tuple(sorted(DEFAULT_MODELS))
        assert [r.path for r in fake.requests] == ["/v1/models"]
        # Kept for next time.
        cached = ModelCache(picker.cache_dir).get("fake", fake.url)
        assert cached is not None
        assert cached.models == tuple(sorted(DEFAULT_MODELS))
    finally:
        await until(lambda: not picker.runner.running_any(), "the fetch's end")
        picker.close()


@pytest.mark.asyncio
async def test_a_server_out_of_reach_leaves_the_cached_list_said_so(
    qtbot: QtBot, tmp_path: Path
) -> None:
    url = closed_port_url()
    picker = Picker(qtbot, tmp_path, url)
    try:
        ModelCache(picker.cache_dir).put("fake", url, ["gpt-4o", "o3-mini"])
        picker.choice.show_menu()
        await until(lambda: picker.group().note != LOADING, "the failed fetch")
        assert picker.group() == ProviderModels("fake", ("gpt-4o", "o3-mini"), OFFLINE)
        assert picker.choice.menu is not None
        assert picker.choice.menu.headings() == [f"fake · {OFFLINE}"]
        assert picker.notices == []  # quiet: no notice for a list
    finally:
        await until(lambda: not picker.runner.running_any(), "the fetch's end")
        picker.close()
