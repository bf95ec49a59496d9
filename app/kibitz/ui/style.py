"""The app's look: a stylesheet derived from the palette, so light and dark both look right."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Role = QPalette.ColorRole


def _mix(a: QColor, b: QColor, share_of_b: float) -> str:
    """A blend of two palette colours as a CSS rgb() value."""
    r = a.redF() * (1 - share_of_b) + b.redF() * share_of_b
    g = a.greenF() * (1 - share_of_b) + b.greenF() * share_of_b
    bl = a.blueF() * (1 - share_of_b) + b.blueF() * share_of_b
    return f"rgb({round(r * 255)}, {round(g * 255)}, {round(bl * 255)})"


# The design's scales (README, "Design"). Spacing steps in pixels: every margin and gap in the
# window is one of these. Radii: small controls, cards and menus, the composer.
SPACE = (4, 8, 12, 16, 24, 32)
RADIUS_SMALL, RADIUS_CARD, RADIUS_LARGE = 6, 10, 14
# Type: one family (the system's), sizes relative to the base size the user chose (zoom
# scales the conversation's): captions and meta lines, body, section and page headings.
TYPE_SCALE = {
    "caption": 0.88,  # meta lines: dates, token counts, chip details
    "small": 0.92,  # secondary text: reasoning, tool cards, menus' hints
    "body": 1.0,
    "section": 1.15,  # a heading inside a page or card
    "page": 1.45,  # a page's title (Settings)
    "display": 1.8,  # the welcome pane's title
}


def scaled_font(font: QFont, step: str, *, bold: bool | None = None) -> QFont:
    """`font` at the type scale's `step` (a copy): the one way views size their text."""
    scaled = QFont(font)
    if scaled.pointSizeF() > 0:
        scaled.setPointSizeF(scaled.pointSizeF() * TYPE_SCALE[step])
    if bold is not None:
        scaled.setBold(bold)
    return scaled


def is_dark(palette: QPalette) -> bool:
    return palette.color(Role.Window).lightness() < 128


class _Roles(NamedTuple):
    """The palette's colours every rule starts from, and the two blends most rules use."""

    base: QColor
    window: QColor
    text: QColor
    accent: QColor
    border: str  # 14% towards the text
    subtle: str  # muted text, 55% towards it


def _roles(palette: QPalette) -> _Roles:
    base, text = palette.color(Role.Base), palette.color(Role.Text)
    return _Roles(
        base, palette.color(Role.Window), text, palette.color(Role.Highlight),
        _mix(base, text, 0.14), _mix(base, text, 0.55),
    )  # fmt: skip


def stylesheet(palette: QPalette) -> str:
    base, window, text, accent, border, subtle = _roles(palette)
    accent_text = palette.color(Role.HighlightedText)
    dark = is_dark(palette)
    sidebar = _mix(window, text, 0.04 if not dark else 0.02)
    card = _mix(base, text, 0.035)
    warn = "rgb(255, 243, 205)" if not dark else "rgb(92, 72, 20)"
    error = "rgb(253, 226, 226)" if not dark else "rgb(96, 36, 36)"
    return f"""
QMainWindow, #ChatPane {{ background: {base.name()}; }}
#Sidebar {{ background: {sidebar}; border-right: 1px solid {border}; }}
QSplitter::handle {{ background: {border}; width: 1px; }}
#ComposerBox {{
    background: {base.name()}; border: 1px solid {border}; border-radius: 14px;
}}
#ComposerEdit {{ background: transparent; }}
#ComposerStatus {{ color: {subtle}; padding-left: 6px; }}
#SendButton, #PrimaryButton {{
    background: {accent.name()}; color: {accent_text.name()}; border: none;
    border-radius: 9px; padding: 6px 14px; font-weight: 600;
}}
#SendButton:disabled {{ background: {_mix(base, text, 0.12)}; color: {subtle}; }}
#SendButton[busy="true"] {{ background: {_mix(base, text, 0.75)}; color: {base.name()}; }}
#SendButton {{ border-radius: 16px; padding: 0px; }}
#ModelButton, #ReasoningButton {{ padding: 3px 6px; border-radius: 8px; }}
#ReasoningButton::menu-indicator {{ image: none; width: 0px; }}
#WelcomeSubtitle, #SetupNote, #WelcomeShortcuts {{ color: {subtle}; }}
#SetupHeading {{ font-weight: 600; }}
#SetupCard {{ background: {card}; border: 1px solid {border}; border-radius: 12px; }}
#SetupError {{ color: {"rgb(255,150,150)" if dark else "rgb(170,30,30)"}; }}
#SetupWarning {{ color: {"rgb(240,200,120)" if dark else "rgb(140,90,0)"}; }}
#SettingsNav {{ background: {sidebar}; border: none; border-right: 1px solid {border}; }}
#SettingsHeading {{ font-size: {_points("page")}pt; font-weight: 600; }}
#FieldHelp, #KeyStatus, #OverrideSummary {{ color: {subtle}; }}
#FieldError {{ color: {"rgb(255,150,150)" if dark else "rgb(170,30,30)"}; }}
QLineEdit[invalid="true"] {{ border: 1px solid {"rgb(255,120,120)" if dark else "rgb(200,40,40)"};
    border-radius: 3px; padding: 2px; }}
#NoticeBar {{ background: {_mix(base, accent, 0.12)}; border-top: 1px solid {border}; }}
#NoticeBar[kind="warning"] {{ background: {warn}; }}
#NoticeBar[kind="error"] {{ background: {error}; }}
{_controls(palette)}"""


def _controls(palette: QPalette) -> str:
    """Every control's states, one way across the app: hover a faint wash of the text colour,
    pressed a stronger one, keyboard focus a ring in the accent, selection the accent washed
    into the background, disabled the muted text; thin overlay-style scroll bars; rounded
    menus and tooltips."""
    base, window, text, accent, border, subtle = _roles(palette)
    hover = _mix(base, text, 0.07)
    pressed = _mix(base, text, 0.13)
    selected = _mix(base, accent, 0.22)
    s, r = SPACE, RADIUS_SMALL
    return f"""
QToolButton[autoRaise="true"] {{ border: 1px solid transparent; border-radius: {r}px;
    padding: 3px; }}
QToolButton[autoRaise="true"]:hover {{ background: {hover}; }}
QToolButton[autoRaise="true"]:pressed, QToolButton[autoRaise="true"]:checked {{
    background: {pressed}; }}
QToolButton[autoRaise="true"]:focus {{ border: 1px solid {accent.name()}; }}
QPushButton {{ background: {_mix(window, text, 0.05)}; border: 1px solid {border};
    border-radius: {r}px; padding: {s[0] + 1}px {s[2]}px; }}
QPushButton:hover {{ background: {hover}; }}
QPushButton:pressed {{ background: {pressed}; }}
QPushButton:focus {{ border: 1px solid {accent.name()}; }}
QPushButton:default {{ border: 1px solid {_mix(base, accent, 0.7)}; }}
QPushButton:disabled {{ color: {subtle}; }}
QPushButton:flat {{ background: transparent; border: 1px solid transparent; }}
QPushButton:flat:hover {{ background: {hover}; }}
QLineEdit {{ border: 1px solid {border}; border-radius: {r}px; padding: 3px {s[1] - 2}px;
    background: {base.name()}; selection-background-color: {accent.name()}; }}
QLineEdit:focus {{ border: 1px solid {accent.name()}; }}
#SettingsNav {{ outline: none; }}
#SettingsNav::item {{ padding: {s[0] + 2}px {s[1] - 2}px; margin: 1px {s[0]}px;
    border-radius: {r}px; }}
#SettingsNav::item:hover {{ background: {hover}; }}
#SettingsNav::item:selected {{ background: {selected}; color: {text.name()}; }}
QMenu {{ background: {base.name()}; border: 1px solid {border}; border-radius: {RADIUS_CARD}px;
    padding: {s[0]}px; }}
QMenu::item {{ padding: {s[0] + 1}px {s[4]}px {s[0] + 1}px {s[2]}px; border-radius: {r}px; }}
QMenu::item:selected {{ background: {selected}; color: {text.name()}; }}
QMenu::item:disabled {{ color: {subtle}; }}
QMenu::separator {{ height: 1px; background: {border}; margin: {s[0]}px {s[1]}px; }}
QToolTip {{ background: {_mix(base, text, 0.9)}; color: {base.name()}; border: none;
    border-radius: {r}px; padding: {s[0]}px {s[1]}px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 2px; }}
QScrollBar::handle:vertical, QScrollBar::handle:horizontal {{
    background: {_mix(base, text, 0.22)}; border-radius: 3px; min-height: 32px; min-width: 32px; }}
QScrollBar::handle:hover {{ background: {_mix(base, text, 0.4)}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
#NewChatButton {{ text-align: left; padding: {s[1] - 2}px {s[2] - 2}px; font-weight: 600;
    background: transparent; border: 1px solid transparent; }}
#NewChatButton:hover {{ background: {hover}; }}
#NewChatButton:focus {{ border: 1px solid {accent.name()}; }}
#ModelMenu {{ background: {base.name()}; border: 1px solid {border}; }}
#ModelList {{ outline: none; }}
#ModelList::item {{ padding: 3px {s[1] - 2}px; border-radius: {r}px; }}
#ModelList::item:hover {{ background: {hover}; }}
#ModelList::item:selected {{ background: {selected}; color: {text.name()}; }}
#KeyCap {{ font-family: monospace; color: {text.name()}; }}
#ShortcutSection, #AboutCredits, #AboutRuntime {{ color: {subtle}; }}
"""


def _points(step: str) -> str:
    size = QGuiApplication.font().pointSizeF()
    return f"{(size if size > 0 else 10) * TYPE_SCALE[step]:.1f}"


def apply_style(app: QApplication) -> None:
    sheet = stylesheet(QGuiApplication.palette())
    if app.styleSheet() != sheet:  # setting the same sheet again would re-polish everything
        app.setStyleSheet(sheet)


def dark_palette() -> QPalette:
    """A dark palette for platforms whose theme offers none (plain X11, Xvfb)."""
    palette = QPalette()
    window, base, text = QColor(38, 39, 43), QColor(30, 31, 34), QColor(228, 229, 232)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, Role.Window, window)
        palette.setColor(group, Role.WindowText, text)
        palette.setColor(group, Role.Base, base)
        palette.setColor(group, Role.AlternateBase, window)
        palette.setColor(group, Role.Text, text)
        palette.setColor(group, Role.Button, QColor(48, 49, 54))
        palette.setColor(group, Role.ButtonText, text)
        palette.setColor(group, Role.ToolTipBase, window)
        palette.setColor(group, Role.ToolTipText, text)
        palette.setColor(group, Role.PlaceholderText, QColor(140, 142, 148))
        palette.setColor(group, Role.Highlight, QColor(66, 133, 244))
        palette.setColor(group, Role.HighlightedText, QColor(255, 255, 255))
        palette.setColor(group, Role.Link, QColor(120, 170, 255))
        palette.setColor(group, Role.Mid, QColor(70, 72, 78))
        palette.setColor(group, Role.Dark, QColor(20, 20, 22))
        palette.setColor(group, Role.Light, QColor(64, 66, 72))
    disabled = QPalette.ColorGroup.Disabled
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(disabled, role, QColor(120, 122, 128))
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """ "system" follows the desktop; "light" and "dark" override it: the palette, then the
    stylesheet made from it."""
    apply_palette(app, theme)
    apply_style(app)


def apply_palette(app: QApplication, theme: str) -> None:
    """The colour scheme and palette of `theme`, without the stylesheet. The start sets the
    palette before building the window (widgets read its colours as they are made) and the
    stylesheet after: set first, the sheet polishes every widget again each time it is added
    to a layout (~13 ms of the first frame); set after, each is polished once, when shown.
    (The start's first frame sets the palette kept from the last one: kept_palette.)"""
    set_color_scheme(app, theme)
    app.setPalette(made_palette(app, theme))


def set_color_scheme(app: QApplication, theme: str) -> None:
    hints = app.styleHints()
    if theme == "dark":
        hints.setColorScheme(Qt.ColorScheme.Dark)
    elif theme == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
    else:
        hints.unsetColorScheme()


def made_palette(app: QApplication, theme: str) -> QPalette:
    """The palette of `theme` under the colour scheme set (set_color_scheme): the style's."""
    wants_dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark or theme == "dark"
    standard = app.style().standardPalette()
    if wants_dark and not is_dark(standard):
        # The platform theme could not switch (no GTK/portal theme): paint it ourselves.
        return dark_palette()
    return standard


class ThemeFollower(QObject):
    """Re-derives the stylesheet when the system switches between light and dark, or its
    palette changes. Through signals, not an event filter on the app: a filter would hand
    every event of every widget to Python (PySide6 then builds every widget class it meets,
    and each event pays the crossing)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        # Deprecated in favour of the ApplicationPaletteChange event, which only a filter on
        # the whole app would see; the signal is still emitted by Qt 6.
        app.paletteChanged.connect(self._on_palette_changed)
        app.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)

    def _on_palette_changed(self, _palette: QPalette) -> None:
        apply_style(self._app)

    def _on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        apply_style(self._app)
