"""The Wayland GlobalShortcuts back end: its D-Bus message shapes, its dispatch of Activated
signals, and, on the private session bus of tests/run.sh (which has no desktop portal), the
service's status saying so instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kibitz.core.settings import Settings
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.hotkey import portal
from kibitz.ui.hotkey.protocol import HotkeyState, HotkeyStatus, parse_combination
from kibitz.ui.hotkey.service import HotkeyService


def test_trigger_uses_the_xdg_shortcut_names() -> None:
    assert portal.portal_trigger(parse_combination("ctrl+alt+space")) == "CTRL+ALT+space"
    assert portal.portal_trigger(parse_combination("shift+super+f5")) == "SHIFT+LOGO+F5"
    assert portal.portal_trigger(parse_combination("ctrl+pgup")) == "CTRL+Prior"


def test_request_path_follows_the_portal_convention() -> None:
    assert (
        portal.request_path(":1.42", "kibitz_ab12")
        == "/org/freedesktop/portal/desktop/request/1_42/kibitz_ab12"
    )


def test_responses() -> None:
    results = portal.response_results((0, {"session_handle": ("o", "/session/1")}))
    assert results == {"session_handle": "/session/1"}
    with pytest.raises(portal.PortalRefusedError, match="did not allow"):
        portal.response_results((1, {}))
    with pytest.raises(portal.PortalRefusedError, match="could not set"):
        portal.response_results((2, {}))


def test_only_our_shortcut_in_our_session_activates() -> None:
    session = "/org/freedesktop/portal/desktop/session/1_42/kibitz_1"
    assert portal.is_activation((session, "quick-ask", 123, {}), session)
    assert not portal.is_activation((session, "other", 123, {}), session)
    assert not portal.is_activation(("/session/other", "quick-ask", 123, {}), session)
    assert not portal.is_activation((), session)


@pytest.mark.keyring  # the private D-Bus session bus that tests/run.sh starts
@pytest.mark.asyncio
async def test_no_portal_on_the_bus_is_a_status(tmp_path: Path) -> None:
    holder = SettingsHolder(Settings(), tmp_path / "settings.toml")
    service = HotkeyService(
        holder, lambda a, f, c, parent: portal.PortalHotkeyBackend(a, f, c, parent)
    )
    done: asyncio.Future[HotkeyStatus] = asyncio.get_running_loop().create_future()

    def on_status(status: HotkeyStatus) -> None:
        if status.state is not HotkeyState.PENDING and not done.done():
            done.set_result(status)

    service.status_changed.connect(on_status)
    service.start()
    assert service.status().state is HotkeyState.PENDING  # asked; the answer comes later
    status = await asyncio.wait_for(done, 10)
    assert status == HotkeyStatus(HotkeyState.UNAVAILABLE, "Ctrl+Alt+Space", portal.NO_PORTAL)
    assert service.status_text() == (
        "Unavailable: Wayland session without the GlobalShortcuts portal"
    )
    service.stop()
