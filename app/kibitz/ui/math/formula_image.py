"""One formula as a QImage: TeX → SVG (ziamath) → pixels (QtSvg), padded onto the text baseline.

Qt lays out an `align="middle"` inline image with ascent (h + xHeight/2) / 2 and descent
(h - xHeight/2) / 2 (QTextDocumentLayout::resizeInlineObject), but paints it centred in the line's
box (QTextLine::draw), which holds the text's ascent and descent too. Measured: a picture shorter
than the text drifts up to 2.4 px off. So every picture is at least as tall as makes it the
tallest thing on its line in both directions: the line's box is then the tallest picture's,
each picture's centre sits xHeight/2 above the baseline, and the row (h + xHeight/2) / 2 from
its top is on the baseline. The formula's own baseline is padded onto that row, so its letters
stand on the line like the words around them (lines with a formula grow ~1 px).

A formula the renderer cannot draw (refused, unknown command, the library's own error) becomes
a picture of its source in a code style with a dotted warning underline; its error is kept for
the tooltip.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

from kibitz.ui.math.tex_limits import refusal_reason

log = logging.getLogger(__name__)

# KaTeX sets math at 1.21 em: its Latin Modern looks small beside sans text; STIX Two is
# larger on its body, so a little less matches the text's letter height.
MATH_SCALE = 1.15
MAX_SIDE_PX = 4_096  # logical pixels, either side: a render never makes a bigger picture
MAX_PIXELS = 4_000_000  # device pixels (16 MB): a long display formula at 2x is ~1.5 M
MAX_FALLBACK_CHARS = 160  # a refused giant formula shows its start; Copy still gives it whole
_UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")
# Numbered environments: a chat reply has no equation numbers to refer to.
_NUMBERED = re.compile(r"\\(begin|end)\{(align|equation|gather)\}")


@dataclass(frozen=True, slots=True)
class FormulaStyle:
    """What a formula's picture depends on besides its TeX (all part of the cache key)."""

    text_px: float  # pixel size of the text around it
    x_height: float  # that font's x-height, for Qt's middle alignment
    text_ascent: float  # and its ascent and descent: a picture outgrows both
    text_descent: float
    color: str  # the text colour, #rrggbb
    warning: str  # the fallback's underline colour
    code_font: str  # the monospace family for the fallback
    dpr: float  # device pixel ratio of the view


@dataclass(frozen=True, slots=True)
class FormulaImage:
    image: QImage  # with its device pixel ratio set: logical size = size / dpr
    error: str | None  # None: drawn by the renderer; else why the source is shown


@cache
def _ziamath() -> ModuleType:
    """The renderer, imported at the first formula (~150 ms, paid once)."""
    with warnings.catch_warnings():
        # ziamath 0.13 finds its font with importlib.resources.path (deprecated since 3.11).
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath

    # SVG 1.1 (no <symbol>/<use> with viewBox): QtSvg draws SVG Tiny 1.2 only.
    ziamath.config.svg2 = False  # type: ignore[attr-defined]
    return ziamath


def renderer_loaded() -> bool:
    return _ziamath.cache_info().currsize > 0


def render_formula(tex: str, source: str, display: bool, style: FormulaStyle) -> FormulaImage:
    """`tex` drawn in `style`; `source` (as written, delimiters included) shown if it cannot be."""
    reason = refusal_reason(tex)
    if reason is None:
        try:
            return FormulaImage(_render_tex(tex, display, style), None)
        except _Refused as refused:
            reason = str(refused)
        # The library raises anything on input it does not expect (AssertionError,
        # KeyError, ValueError, IndexError...): every one means "this TeX cannot be drawn".
        except Exception as error:  # noqa: BLE001
            log.debug("formula not drawn: %r", error)
            reason = f"Cannot draw this formula: {type(error).__name__} {error}".strip()
    return FormulaImage(_render_source(source, style), reason)


class _Refused(Exception):
    """The formula converts but must not be drawn (unknown command, too large)."""


def _render_tex(tex: str, display: bool, style: FormulaStyle) -> QImage:
    from PySide6.QtSvg import QSvgRenderer  # with the renderer: not at start-up

    ziamath = _ziamath()
    mml = ziamath.tex.tex2mml(_NUMBERED.sub(r"\\\1{\2*}", tex), inline=not display)
    unknown = _UNKNOWN_COMMAND.search(mml)
    if unknown:
        raise _Refused(f"Unknown command {unknown.group(1)}")
    import xml.etree.ElementTree as ET  # with the renderer, at the first formula

    element = ET.fromstring(mml)
    element.attrib["mathcolor"] = style.color
    formula = ziamath.Math(element, size=style.text_px * MATH_SCALE, margin=1.0)
    svg = formula.svg()
    bbox = formula.node.bbox
    margin = formula.margin
    width = bbox.xmax - bbox.xmin + 2 * margin
    height = bbox.ymax - bbox.ymin + 2 * margin
    ascent = bbox.ymax + margin  # the SVG's top to the formula's baseline
    pixels = width * height * style.dpr * style.dpr
    if not (0 < width <= MAX_SIDE_PX and 0 < height <= MAX_SIDE_PX and pixels <= MAX_PIXELS):
        raise _Refused(f"Formula too large to draw ({width:.0f}×{height:.0f} px)")
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    if not renderer.isValid():
        raise _Refused("The renderer made an unreadable picture")
    image, top = _baseline_canvas(width, height, ascent, style)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, top, width, height))
    painter.end()
    return image


def _baseline_canvas(
    width: float, height: float, ascent: float, style: FormulaStyle
) -> tuple[QImage, float]:
    """A clear image holding a `height`-tall picture whose baseline is `ascent` from its top,
    padded so Qt's middle alignment puts that baseline on the text's; and the picture's top."""
    half_x = style.x_height / 2
    # Qt's baseline row from the top of an image H tall is (H + half_x) / 2; the picture's
    # baseline is top + ascent. Padding only one side by |h + half_x - 2 ascent| joins them.
    pad = height + half_x - 2 * ascent
    # Tall enough to set the line's ascent and descent (see the module's docstring).
    least = max(2 * style.text_ascent - half_x, 2 * style.text_descent + half_x) + 0.5
    total = max(height + abs(pad), least)
    dpr = style.dpr
    image = QImage(
        max(1, math.ceil(width * dpr)),
        max(1, math.ceil(total * dpr)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    # Rounding up to whole device pixels made it taller: Qt's row moves by half of that.
    shown = image.height() / dpr
    top = (shown + half_x) / 2 - ascent
    return image, top


def _render_source(source: str, style: FormulaStyle) -> QImage:
    """The formula's source in a code style with a dotted underline in the warning colour."""
    text = source if len(source) <= MAX_FALLBACK_CHARS else source[:MAX_FALLBACK_CHARS] + "…"
    text = " ".join(text.split())  # one line: a display formula's line breaks are its own
    font = QFont(style.code_font)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPixelSize(max(6, round(style.text_px * 0.9)))
    metrics = QFontMetricsF(font)
    underline_gap = max(2.0, style.text_px / 8)
    width = min(MAX_SIDE_PX, metrics.horizontalAdvance(text) + 4)
    height = metrics.ascent() + metrics.descent() + underline_gap
    image, top = _baseline_canvas(width, height, metrics.ascent(), style)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    shade = QColor(style.color)
    shade.setAlphaF(0.08)  # inline code's faint box, in any scheme
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(shade)
    painter.drawRoundedRect(QRectF(0, top, width, height), 3, 3)
    painter.setFont(font)
    painter.setPen(QColor(style.color))
    baseline = top + metrics.ascent()
    painter.drawText(QPointF(2, baseline), text)
    pen = QPen(QColor(style.warning))
    pen.setWidthF(max(1.0, style.text_px / 12))
    pen.setStyle(Qt.PenStyle.DotLine)
    painter.setPen(pen)
    under = baseline + metrics.descent() + underline_gap / 2
    painter.drawLine(QPointF(2, under), QPointF(width - 2, under))
    painter.end()
    return image
