"""The Help menu's windows: the keyboard shortcuts, and About (version, folders, credits)."""

from __future__ import annotations

import logging
import platform
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kibitz import APP_NAME, __version__
from kibitz.core.paths import AppPaths
from kibitz.ui.style import scaled_font

log = logging.getLogger(__name__)

# What the keys do, by where they work. The README's table says the same; keep them together.
SHORTCUTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Writing",
        (
            ("Enter", "Send (Settings can make it Ctrl+Enter)"),
            ("Shift+Enter", "New line"),
            ("Up", "Edit your last message (in an empty composer)"),
            ("Ctrl+V", "Paste text, a screenshot or copied files"),
            ("Esc", "Stop the reply"),
            ("Ctrl+Shift+M", "Choose the model for this conversation"),
            ("Ctrl+Shift+K", "Compare: ask two to four models at once, side by side"),
            ("Alt+1 / Alt+2 / Alt+3 / Alt+4", "Compare: continue with that column's reply"),
            ("Ctrl+Shift+I", "Show the request sending now would make"),
        ),
    ),
    (
        "Conversations",
        (
            ("Ctrl+N", "New chat"),
            ("Ctrl+K", "Search every message"),
            ("F2", "Rename the selected conversation"),
            ("Delete", "Move the selected conversation to the Trash"),
            ("Ctrl+Z", "Undo the last delete"),
            ("Ctrl+Shift+O / Ctrl+Shift+E", "Import / Export"),
        ),
    ),
    (
        "Replies",
        (
            ("Ctrl+R", "Regenerate the last reply"),
            ("Alt+Left / Alt+Right", "Previous / next version of the last reply"),
            ("Ctrl+= / Ctrl+- / Ctrl+0", "Larger / smaller / default text size"),
        ),
    ),
    (
        "Windows",
        (
            ("Ctrl+,", "Settings"),
            ("Ctrl+Shift+,", "The open conversation's own settings"),
            ("Ctrl+Alt+Space", "Quick ask, from anywhere (Settings can change it)"),
            ("F1", "This list"),
            ("Ctrl+Q", "Quit"),
        ),
    ),
)


def open_folder(folder: Path) -> bool:
    """Show `folder` in the file manager (made first if missing); False when nothing opened."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("could not make %s: %s", folder, exc)
    opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    if not opened:
        log.warning("no application opened the folder %s", folder)
    return opened


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, grouped by where it works, keys in a key-cap style."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ShortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(20, 16, 20, 16)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        row = 0
        for section, keys in SHORTCUTS:
            heading = QLabel(section)
            heading.setObjectName("ShortcutSection")
            heading.setFont(scaled_font(heading.font(), "body", bold=True))
            grid.addWidget(heading, row, 0, 1, 2)
            grid.setRowMinimumHeight(row, 28)
            row += 1
            for key, what in keys:
                cap = QLabel(key)
                cap.setObjectName("KeyCap")
                cap.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(cap, row, 0)
                grid.addWidget(QLabel(what), row, 1)
                row += 1
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 12)
        layout.addWidget(scroll, 1)
        inner = QHBoxLayout()
        inner.setContentsMargins(0, 0, 16, 0)
        inner.addWidget(buttons)
        layout.addLayout(inner)
        # As wide as the longest row (the key caps are monospace), the height within reason;
        # measured in the stylesheet's fonts.
        self.ensurePolished()
        bar = scroll.verticalScrollBar().sizeHint().width()
        self.resize(
            max(560, body.sizeHint().width() + bar + 8), min(700, body.sizeHint().height() + 60)
        )

    def rows(self) -> list[tuple[str, str]]:
        """The (keys, what) pairs shown, in order (for tests)."""
        return [pair for _section, keys in SHORTCUTS for pair in keys]


class AboutDialog(QDialog):
    """Name, version, what Kibitz runs on, where it keeps its files (each openable), credits."""

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self._paths = paths
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)

        head = QHBoxLayout()
        head.setSpacing(14)
        logo = QLabel()
        app_icon = QGuiApplication.windowIcon()
        if not app_icon.isNull():
            logo.setPixmap(app_icon.pixmap(64, 64))
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        title_box = QVBoxLayout()
        title = QLabel(APP_NAME)
        title.setObjectName("AboutTitle")
        title.setFont(scaled_font(title.font(), "page", bold=True))
        title_box.addWidget(title)
        self.version_label = QLabel(f"Version {__version__}")
        self.version_label.setObjectName("AboutVersion")
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        title_box.addWidget(self.version_label)
        tagline = QLabel("A fast, native desktop assistant for OpenAI-compatible chat servers.")
        tagline.setWordWrap(True)
        title_box.addWidget(tagline)
        head.addLayout(title_box, 1)
        layout.addLayout(head)

        runtime = QLabel(
            f"Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}"
        )
        runtime.setObjectName("AboutRuntime")
        runtime.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(runtime)

        folders = QGridLayout()
        folders.setHorizontalSpacing(10)
        folders.setVerticalSpacing(4)
        self.folder_buttons: dict[str, QPushButton] = {}
        places = (
            ("Conversations", paths.data_dir),
            ("Settings", paths.config_dir),
            ("Logs", paths.log_dir),
        )
        for row, (name, folder) in enumerate(places):
            folders.addWidget(QLabel(f"{name}:"), row, 0)
            where = QLabel(str(folder))
            where.setObjectName("AboutFolder")
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            folders.addWidget(where, row, 1)
            button = QPushButton("Open log folder" if name == "Logs" else "Open")
            button.setAccessibleName(f"Open the {name.lower()} folder")
            button.clicked.connect(lambda _=False, f=folder: open_folder(f))
            folders.addWidget(button, row, 2)
            self.folder_buttons[name] = button
        folders.setColumnStretch(1, 1)
        layout.addLayout(folders)

        credits = QLabel(
            "Icons: Lucide (ISC licence). Code highlighting: Pygments. Made with Qt for Python."
        )
        credits.setObjectName("AboutCredits")
        credits.setWordWrap(True)
        layout.addWidget(credits)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())
