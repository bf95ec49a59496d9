"""The Wayland GlobalShortcuts back end: its D-Bus message shapes, its dispatch of Activated
signals, and, on the private session bus of tests/run.sh (which has no desktop portal), the
service's status saying so instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

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


class StandInPortal:
    """A GlobalShortcuts portal on the private session bus, as xdg-desktop-portal answers:
    CreateSession and BindShortcuts reply with a Request path and answer through its Response
    signal; `press()` emits Activated for the bound shortcut. (A stand-in for the desktop's
    service, which is not ours and cannot run headless here.)"""

    def __init__(self) -> None:
        import threading

        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.conn = open_dbus_connection("SESSION")
        reply = self.conn.send_and_get_reply(message_bus.RequestName(portal.PORTAL_BUS_NAME))
        assert reply.body == (1,)  # primary owner
        self.bound: list[tuple[str, dict[str, object]]] = []
        self.session = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType

        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            if msg.header.message_type is MessageType.method_call:
                self._answer(msg, msg.header.fields.get(HeaderFields.member))

    def _answer(self, msg: Any, member: object) -> None:
        from jeepney import DBusAddress, HeaderFields, new_method_return, new_signal

        sender = msg.header.fields[HeaderFields.sender]
        body = msg.body
        if member == "Get":  # Properties.Get(GlobalShortcuts, "version")
            self.conn.send(new_method_return(msg, "v", (("u", 1),)))
            return
        options = body[-1]
        request = portal.request_path(sender, options["handle_token"][1])
        self.conn.send(new_method_return(msg, "o", (request,)))
        if member == "CreateSession":
            token = options["session_handle_token"][1]
            self.session = request.replace("/request/", "/session/").rsplit("/", 1)[0]
            self.session += f"/{token}"
            results = {"session_handle": ("s", self.session)}
        else:  # BindShortcuts
            self.bound = [(sid, {k: v for k, (_s, v) in props.items()}) for sid, props in body[1]]
            results = {}
        emitter = DBusAddress(request, interface=portal.REQUEST_IFACE)
        self.conn.send(new_signal(emitter, "Response", "ua{sv}", (0, results)))

    def press(self, shortcut: str = portal.SHORTCUT_ID) -> None:
        from jeepney import DBusAddress, new_signal

        emitter = DBusAddress(portal.PORTAL_PATH, interface=portal.SHORTCUTS_IFACE)
        self.conn.send(
            new_signal(emitter, "Activated", "osta{sv}", (self.session, shortcut, 1, {}))
        )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.conn.close()


@pytest.mark.keyring  # the private D-Bus session bus that tests/run.sh starts
@pytest.mark.asyncio
async def test_bound_through_the_portal_and_pressed(tmp_path: Path) -> None:
    desktop = StandInPortal()
    holder = SettingsHolder(Settings(), tmp_path / "settings.toml")
    service = HotkeyService(
        holder, lambda a, f, c, parent: portal.PortalHotkeyBackend(a, f, c, parent)
    )
    loop = asyncio.get_running_loop()
    active: asyncio.Future[HotkeyStatus] = loop.create_future()
    service.status_changed.connect(
        lambda s: active.done() or s.state is HotkeyState.PENDING or active.set_result(s)
    )
    presses: list[int] = []
    service.activated.connect(lambda: presses.append(1))
    try:
        service.start()
        assert (await asyncio.wait_for(active, 10)).state is HotkeyState.ACTIVE
        assert desktop.bound == [
            (
                "quick-ask",
                {
                    "description": "Open the Kibitz quick-ask window",
                    "preferred_trigger": "CTRL+ALT+space",
                },
            )
        ]
        desktop.press("another-shortcut")  # not ours: ignored
        desktop.press()
        deadline = loop.time() + 10
        while not presses:
            assert loop.time() < deadline, "the Activated signal never arrived"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert presses == [1]
    finally:
        service.stop()
        await asyncio.sleep(0.05)  # the cancelled task closes its D-Bus connection
        desktop.close()
