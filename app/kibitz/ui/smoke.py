"""`kibitz --smoke-test`: one real start of the app that checks an installed or frozen build.

From a throwaway data folder it starts a loopback server (kibitz.ui.smoke_server), stores a
throwaway key for it in the system keyring, runs the ordinary start-up (kibitz.ui.bootstrap),
streams one reply into the main window and one into the quick-ask window through the real chat
engine and renderer, prints a short report and exits 0; on any failure it exits 1 with the
reason. The user's own data, settings and keyring entries are never read or changed.

The keyring check matters for frozen builds: without PyInstaller's keyring hook the `keyring`
library silently falls back to its `fail` backend (notes/feasibility.md, section 4).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kibitz import __version__
from kibitz.core import errors
from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import PLACEHOLDER_KEY, KeyringSecretStore
from kibitz.core.settings import (
    ChatSettings,
    ProviderProfile,
    ProvidersSettings,
    RequestDefaults,
    Settings,
    UiSettings,
    save_settings,
)
from kibitz.ui.smoke_server import MODEL, SmokeServer

if TYPE_CHECKING:
    from kibitz.ui.desktop import DesktopPresence
    from kibitz.ui.main_window import MainWindow

log = logging.getLogger(__name__)

TIMEOUT_S = 90.0  # the whole GUI part; a frozen start on a busy 2-core machine takes ~3 s
_WATCHDOG_GRACE_S = 20.0  # past the timeout, for a loop too stuck to notice it
EXIT_FAILED = 1
TOKEN_PROBE, TOKEN_PROBE_COUNT = "Hello, world!", 4  # in both encodings
EXIT_HUNG = 3


@dataclass
class SmokeReport:
    """What was checked, in order, and what failed."""

    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def ok(self, text: str) -> None:
        self.lines.append(f"ok    {text}  (+{time.monotonic() - self.started:.2f}s)")

    def info(self, text: str) -> None:
        self.lines.append(f"      {text}")

    def fail(self, text: str) -> None:
        self.failures.append(text)
        self.lines.append(f"FAIL  {text}")

    @property
    def passed(self) -> bool:
        return not self.failures

    def render(self) -> str:
        verdict = "SMOKE TEST PASSED" if self.passed else "SMOKE TEST FAILED"
        took = time.monotonic() - self.started
        return "\n".join(
            [f"kibitz {__version__} smoke test", *self.lines, f"{verdict} in {took:.1f}s"]
        )


def run_smoke_test(args: argparse.Namespace) -> int:
    """The `--smoke-test` entry point; the exit code is the verdict."""
    report = SmokeReport()
    report.info(f"executable: {sys.executable}{' (frozen)' if _frozen() else ''}")
    watchdog = threading.Timer(TIMEOUT_S + _WATCHDOG_GRACE_S, _hung, args=(report,))
    watchdog.daemon = True
    watchdog.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kibitz-smoke-") as base:
            code = _run(args, report, Path(base))
    finally:
        watchdog.cancel()
    print(report.render(), flush=True)
    return 0 if report.passed else (code or EXIT_FAILED)


def _run(args: argparse.Namespace, report: SmokeReport, base: Path) -> int:
    checks = (_check_display, _check_tokens, _check_attachments, _check_tools)
    if not all(check(report) for check in checks):
        return EXIT_FAILED
    keyring = _check_keyring(report, allow_missing=args.smoke_allow_no_keyring)
    if keyring is None and not args.smoke_allow_no_keyring:
        return EXIT_FAILED
    profile = f"smoke-test-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        return _run_app(args, report, base, keyring, profile)
    finally:
        if keyring is not None:  # deleting a key that was never stored is no error
            _forget_key(report, keyring, profile)


def _run_app(
    args: argparse.Namespace,
    report: SmokeReport,
    base: Path,
    keyring: KeyringSecretStore | None,
    profile: str,
) -> int:
    key = PLACEHOLDER_KEY
    if keyring is not None:
        key = "sk-smoke-" + secrets.token_urlsafe(24)
        if not _store_key(report, keyring, profile, key):
            return EXIT_FAILED
    server = SmokeServer(api_key=key).start()
    try:
        _write_settings(base, profile, server.url, keyless=keyring is None)
        report.ok(f"fake server on {server.url}; data folder {base}")
        driver = SmokeDriver(report, server)
        gui_args = argparse.Namespace(
            basedir=str(base), quick_ask=False, tray=False, verbose=args.verbose, command=None
        )
        from kibitz.ui.bootstrap import run_gui

        code = run_gui(gui_args, on_started=driver.start)
        if code != 0:
            report.fail(f"the app exited with {code}")
        elif not driver.finished:
            report.fail("the app quit before the smoke test finished")
        if server.errors:
            report.fail("the fake server: " + "; ".join(server.errors))
        return code or (0 if report.passed else EXIT_FAILED)
    finally:
        server.stop()


def _check_display(report: SmokeReport) -> bool:
    """Qt aborts the process when it finds no display: say why before that can happen."""
    env = os.environ
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return True
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return True
    report.fail(
        "no display to show windows on (DISPLAY and WAYLAND_DISPLAY are unset): run it in a "
        "desktop session, or off screen with QT_QPA_PLATFORM=offscreen"
    )
    return False


def _check_tokens(report: SmokeReport) -> bool:
    """Both token tables load into tiktoken from the bundle (kibitz.core.conversation.tokenizer)."""
    from kibitz.core.conversation.context import count_tokens

    counts = {model: count_tokens(TOKEN_PROBE, model) for model in ("gpt-4o", "gpt-4")}
    if set(counts.values()) != {TOKEN_PROBE_COUNT}:
        report.fail(f"token counts of {TOKEN_PROBE!r}: {counts}, not {TOKEN_PROBE_COUNT} each")
        return False
    report.ok("token counting (o200k_base and cl100k_base)")
    return True


def _check_attachments(report: SmokeReport) -> bool:
    """Pillow and pypdf work from the bundle: an image is read, turned into what is sent and a
    thumbnail; a PDF without text is refused, which takes pypdf reading it."""
    import io

    from PIL import Image
    from pypdf import PdfWriter

    from kibitz.core.attachments.images import image_for_sending, thumbnail_png
    from kibitz.core.attachments.reading import attachment_from_bytes, read_attachment
    from kibitz.core.errors import AttachmentError

    picture = io.BytesIO()
    Image.new("RGB", (3000, 1000), "teal").save(picture, "JPEG")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "photo.jpg")
        path.write_bytes(picture.getvalue())
        image = read_attachment(path)
    sent, mime = image_for_sending(image.data, image.mime_type)
    with Image.open(io.BytesIO(sent)) as scaled:
        size = scaled.size
    thumb = thumbnail_png(image.data, 64)
    if (image.width, image.height) != (3000, 1000) or size != (2048, 683) or not thumb:
        report.fail(
            f"attachments: a 3000x1000 JPEG was read as {image.width}x{image.height}, "
            f"sent as {size[0]}x{size[1]} {mime}"
        )
        return False
    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(blank)
    try:
        attachment_from_bytes(blank.getvalue(), "scan.pdf")
    except AttachmentError:
        report.ok("attachments: an image read, scaled and thumbnailed; a PDF without text refused")
        return True
    report.fail("attachments: a PDF with no text was accepted")
    return False


def _check_tools(report: SmokeReport) -> bool:
    """The mcp SDK works from the bundle: its transports load, and a stdio server whose
    command does not exist is reported as such (the SDK tried to start it), not as a crash."""
    import asyncio
    import importlib

    from kibitz.core.secrets import MemorySecretStore
    from kibitz.core.settings.schema import McpServer, ToolsSettings
    from kibitz.core.tools import ServerState
    from kibitz.core.tools.mcp import ToolHub

    for module in ("mcp.client.stdio", "mcp.client.streamable_http", "mcp.client.sse"):
        importlib.import_module(module)
    missing = "kibitz-smoke-no-such-mcp-server"
    settings = ToolsSettings(servers=(McpServer("smoke", command=missing),))

    async def start() -> tuple[int, str, str]:
        async with ToolHub(settings, MemorySecretStore()) as hub:
            tools = await hub.tools()
            (status,) = hub.status()
            return len(tools), status.state, status.error or ""

    count, state, error = asyncio.run(start())
    if count == 0 and state == ServerState.FAILED and missing in error:
        report.ok("tools: the mcp SDK's transports load; a missing server command is named")
        return True
    report.fail(f"tools: a missing MCP server command gave {state} ({error!r}), {count} tools")
    return False


# -- the keyring ------------------------------------------------------------------------------


def _check_keyring(report: SmokeReport, *, allow_missing: bool) -> KeyringSecretStore | None:
    store = KeyringSecretStore()
    try:
        name = store.backend_name()
    except errors.SecretsError as exc:
        message = f"no usable system keyring: {exc.detail}"
        if allow_missing:
            report.info(f"{message} (allowed by --smoke-allow-no-keyring: not checked)")
        else:
            report.fail(
                f"{message}. A frozen build without PyInstaller's keyring hook looks like this; "
                "on a machine without a keyring service, pass --smoke-allow-no-keyring"
            )
        return None
    report.ok(f"keyring backend: {name}")
    return store


def _store_key(report: SmokeReport, store: KeyringSecretStore, profile: str, key: str) -> bool:
    try:
        store.set_key(profile, key)
        back = store.get_key(profile)
    except errors.SecretsError as exc:
        report.fail(f"the keyring refused a throwaway key: {' '.join(exc.lines())}")
        return False
    if back != key:
        report.fail("the keyring gave back a different key than it was given")
        return False
    report.ok("keyring round trip (a throwaway key, deleted at the end)")
    return True


def _forget_key(report: SmokeReport, store: KeyringSecretStore, profile: str) -> None:
    try:
        store.delete_key(profile)
    except errors.SecretsError as exc:
        report.fail(f"the throwaway key {profile!r} could not be deleted: {exc.detail}")


def _write_settings(base: Path, profile: str, url: str, *, keyless: bool) -> None:
    paths = resolve_paths(base).ensure()
    settings = Settings(
        defaults=RequestDefaults(model=MODEL),
        # "custom" takes its key from the keyring only; llama.cpp needs none.
        providers=ProvidersSettings(
            profiles=(
                ProviderProfile(
                    name=profile, kind="llamacpp" if keyless else "custom", base_url=url
                ),
            ),
            active=profile,
        ),
        chat=ChatSettings(auto_title=False, max_retries=0),
        # No global hotkey: a Kibitz the user is running may own it.
        ui=UiSettings(hotkey=""),
    )
    save_settings(paths.settings_file, settings)


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _hung(report: SmokeReport) -> None:
    report.fail(f"no result after {TIMEOUT_S + _WATCHDOG_GRACE_S:.0f}s: the app hung")
    print(report.render(), flush=True)
    os._exit(EXIT_HUNG)  # the event loop is stuck: nothing else would end the process


class SmokeDriver:
    """Drives the started app; `start` is bootstrap's on_started hook (the loop is set)."""

    def __init__(self, report: SmokeReport, server: SmokeServer) -> None:
        self.report = report
        self.server = server
        self.finished = False

    def start(self, window: MainWindow, desktop: DesktopPresence) -> None:
        from kibitz.ui.smoke_steps import drive

        drive(self, window, desktop, TIMEOUT_S)
