"""Wayland back end: the xdg-desktop-portal GlobalShortcuts interface, over D-Bus (jeepney).

CreateSession, then BindShortcuts with our preferred trigger; the desktop may ask the user and
answers through a Request object's Response signal; afterwards each press arrives as an
Activated signal. It all runs as one task on the app's asyncio loop; cancelling it drops the
D-Bus connection, which ends the portal session. The desktop file name set before the
QApplication exists (bootstrap) is how the portal knows which app is asking.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    DBusErrorResponse,
    MatchRule,
    MessageType,
    Properties,
    message_bus,
    new_method_call,
)
from jeepney.io.asyncio import open_dbus_router  # type: ignore[import-untyped]
from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]
from PySide6.QtCore import QObject

from kibitz.ui.hotkey.protocol import Combination, OnActivated, OnConfirmed, OnFailed

log = logging.getLogger(__name__)

PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS_IFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_IFACE = "org.freedesktop.portal.Request"
SHORTCUT_ID = "quick-ask"
NO_PORTAL = "Wayland session without the GlobalShortcuts portal"
_TRIGGER_MODIFIERS = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "super": "LOGO"}


def portal_trigger(combination: Combination) -> str:
    """The XDG shortcuts notation: "CTRL+ALT+space" (modifier names, then an xkb keysym)."""
    mods = [_TRIGGER_MODIFIERS[m] for m in combination.modifiers]
    return "+".join((*mods, combination.codes.x11))


def request_path(unique_name: str, token: str) -> str:
    """Where the portal puts the Request object for a call made with `handle_token=token`."""
    sender = unique_name.lstrip(":").replace(".", "_")
    return f"{PORTAL_PATH}/request/{sender}/{token}"


def response_results(body: tuple[Any, ...]) -> dict[str, Any]:
    """A Response signal's results; PortalRefusedError for a cancelled or failed request."""
    code, results = body
    if code == 1:
        raise PortalRefusedError("the desktop did not allow the shortcut")
    if code != 0:
        raise PortalRefusedError("the desktop could not set the shortcut")
    return {key: value for key, (_signature, value) in results.items()}


def is_activation(body: tuple[Any, ...], session_handle: str) -> bool:
    """Whether an Activated signal (session, shortcut id, timestamp, options) is our press."""
    return len(body) >= 2 and body[0] == session_handle and body[1] == SHORTCUT_ID


class PortalRefusedError(Exception):
    """The portal answered, but not with a shortcut; str() says why in plain words."""


class PortalHotkeyBackend(QObject):
    name = "Wayland GlobalShortcuts portal"
    asynchronous = True

    def __init__(
        self,
        on_activated: OnActivated,
        on_failed: OnFailed,
        on_confirmed: OnConfirmed,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_activated = on_activated
        self._on_failed = on_failed
        self._on_confirmed = on_confirmed
        self._task: asyncio.Task[None] | None = None

    def grab(self, combination: Combination) -> None:
        self.release()
        self._task = asyncio.get_event_loop().create_task(
            self._run(combination), name="hotkey-portal"
        )

    def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, combination: Combination) -> None:
        try:
            async with open_dbus_router("SESSION") as router:
                if not await _has_portal(router):
                    self._on_failed(NO_PORTAL)
                    return
                await self._bind_and_listen(router, combination)
        except PortalRefusedError as exc:
            self._on_failed(str(exc))
        except (DBusErrorResponse, OSError, ValueError, KeyError) as exc:
            log.warning("GlobalShortcuts portal failed: %s", exc)
            self._on_failed(f"the desktop's shortcut portal failed ({exc})")

    async def _bind_and_listen(self, router: Any, combination: Combination) -> None:
        session_token = "kibitz_" + secrets.token_hex(6)
        created = await _request(
            router, "CreateSession", "", options={"session_handle_token": ("s", session_token)}
        )
        session = str(created["session_handle"])
        activated = MatchRule(
            type="signal", interface=SHORTCUTS_IFACE, member="Activated", path=PORTAL_PATH
        )
        await router.send_and_get_reply(message_bus.AddMatch(activated))
        with router.filter(activated, bufsize=16) as queue:
            shortcut = (
                SHORTCUT_ID,
                {
                    "description": ("s", "Open the Kibitz quick-ask window"),
                    "preferred_trigger": ("s", portal_trigger(combination)),
                },
            )
            await _request(router, "BindShortcuts", "oa(sa{sv})s", session, [shortcut], "")
            log.info("GlobalShortcuts portal bound %s", combination.label)
            self._on_confirmed()
            while True:
                signal = await queue.get()
                if is_activation(signal.body, session):
                    self._on_activated()


async def _has_portal(router: Any) -> bool:

    portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=SHORTCUTS_IFACE)
    reply = await router.send_and_get_reply(Properties(portal).get("version"))
    return bool(reply.header.message_type is MessageType.method_return)


async def _request(
    router: Any, method: str, signature: str, *args: Any, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Call a portal method that answers through a Request object; its results.

    `signature` and `args` leave out the last argument, the options (a{sv}), which gets the
    handle token that names the Request object.
    """

    token = "kibitz_" + secrets.token_hex(6)
    path = request_path(router.unique_name, token)
    # Subscribed before the call: a quick portal may answer before the call returns.
    rule = MatchRule(type="signal", interface=REQUEST_IFACE, member="Response", path=path)
    await router.send_and_get_reply(message_bus.AddMatch(rule))
    portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=SHORTCUTS_IFACE)
    call = new_method_call(
        portal,
        method,
        signature + "a{sv}",
        (*args, {**(options or {}), "handle_token": ("s", token)}),
    )
    with router.filter(rule) as queue:
        unwrap_msg(await router.send_and_get_reply(call))  # DBusErrorResponse for an error
        response = await queue.get()
    return response_results(response.body)
