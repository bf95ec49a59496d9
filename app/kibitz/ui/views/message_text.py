"""MessageTextView: one message's rendered Markdown as selectable native rich text.

Finished messages are set in one go (their HTML cached); a streamed reply is built up in
place: each finished Markdown block is inserted once at the end, and only the open tail is
replaced on each repaint, so a repaint costs the same at the start and the end of a reply.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QHelpEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QTextEdit, QToolTip, QWidget

from kibitz.ui.math.document_math import OBJECT, MathResources, is_math_url, selection_source
from kibitz.ui.views.message_html import (
    BREAK,
    COPY_PREFIX,
    COPY_SCHEME,
    blocks_html,
    break_long_runs,
    render_finished,
    renderer_for,
)

if TYPE_CHECKING:  # the renderer loads with the first message shown, not with the window
    from kibitz.core.render import IncrementalRenderer, RenderedBlock, RenderUpdate

log = logging.getLogger(__name__)

# Only these open in the system browser (and only on a click): never javascript:, file:, data:.
OPEN_SCHEMES = frozenset({"http", "https", "mailto"})
_MARK = "\u200b"  # a zero-width space, inserted and removed again around each insertion
_REDRAW_MATH = frozenset(
    {
        QEvent.Type.FontChange,
        QEvent.Type.PaletteChange,
        QEvent.Type.ApplicationPaletteChange,
        QEvent.Type.DevicePixelRatioChange,
    }
)


class MessageTextView(QTextBrowser):
    """Read-only, selectable, as tall as its text (no inner scroll bars); refuses remote loads."""

    copied = Signal(str)  # a description of what went to the clipboard
    link_opened = Signal(QUrl)
    rendered = Signal()  # the document changed (one per repaint while streaming)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(self.verticalScrollBarPolicy().ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(self.horizontalScrollBarPolicy().ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        # Growing taller while a reply streams must not repaint the text already shown.
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setAccessibleName("Message text")
        # Read-only text takes no drops; files dropped on it reach the chat view, which
        # attaches them (a drop is delivered to the widget that took the drag's enter).
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        # A 2 MB line or a long code line wraps instead of widening the column.
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc = self.document()
        doc.setDocumentMargin(0)
        doc.setUndoRedoEnabled(False)  # read-only: an undo stack would only grow per repaint
        doc.documentLayout().documentSizeChanged.connect(self._on_layout_size_changed)
        self.anchorClicked.connect(self._on_anchor_clicked)
        self._codes: list[str] = []
        self._finished_codes = 0
        # Where the open tail starts while streaming; None: no finished block yet.
        self._tail_start: int | None = None
        # That block's format, font and whether it is a list item (see _restore_junction).
        self._junction: tuple[QTextBlockFormat, QTextCharFormat, bool] | None = None
        self._incremental: IncrementalRenderer | None = None
        # The open tail when it is one code block: its code and language (see _append_code).
        self._tail_code: tuple[str, str | None] | None = None
        self.code_appends = 0  # tail updates done by appending (for tests and benchmarks)
        self._layout_width: tuple[int, bool] | None = None
        self._shrink = False
        self._shrinking = False
        self._hint = (0, 0)  # (width, height) the text wants at the layout width
        self.refused_resources: list[QUrl] = []
        self._math = MathResources(self)

    # -- content ------------------------------------------------------------------------------

    @property
    def codes(self) -> list[str]:
        return list(self._codes)

    def set_markdown(self, text: str, dark: bool, *, line_breaks: bool = False) -> None:
        """Show a finished message's text, rendered (once per text and theme); with
        `line_breaks`, each line break inside a paragraph is kept, as a person typed it."""
        self._incremental = None
        body, codes = render_finished(text, dark, line_breaks=line_breaks)
        self._codes = list(codes)
        self._finished_codes = len(codes)
        self._tail_start = None
        self._junction = None
        self._unshrink()
        self.document().setHtml(body)
        self._after_change()

    def set_plain(self, text: str) -> None:
        self._incremental = None
        self._codes = []
        self._tail_start = None
        self._junction = None
        self._unshrink()
        self.document().setPlainText(break_long_runs(text))
        self._after_change()

    def begin_stream(self, dark: bool) -> None:
        from kibitz.core.render import IncrementalRenderer

        self._incremental = IncrementalRenderer(renderer_for(dark))
        self._tail_code = None
        self._codes = []
        self._finished_codes = 0
        self._tail_start = None
        self._junction = None
        self.document().clear()
        self._math.forget()

    @property
    def streaming(self) -> bool:
        return self._incremental is not None

    def end_stream(self) -> None:
        if self._incremental is not None:
            # Code shown plain while its lexer loaded gets its colours now that it is final.
            settled = self._incremental.settle()
            if settled is not None:
                self._apply(settled)
        self._incremental = None

    def stream_text(self, text: str) -> None:
        """Show the reply so far: new finished blocks go in once, the open tail is replaced."""
        if self._incremental is None:
            return
        self._apply(self._incremental.update(text))

    def _apply(self, update: RenderUpdate) -> None:
        if self._append_code(update):
            self._after_change()
            return
        if update.restarted:
            # The text did not go on from what is shown: everything is rendered again.
            self._tail_start = None
            self._junction = None
            self._codes = []
            self._finished_codes = 0
        tail = update.tail
        self._tail_code = (
            (tail[0].code, tail[0].language) if len(tail) == 1 and tail[0].code else None
        )
        doc = self.document()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        if self._tail_start is not None:
            cursor.setPosition(min(self._tail_start, doc.characterCount() - 1))
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._restore_junction(cursor)
        del self._codes[self._finished_codes :]
        if update.new_blocks:
            self._insert(cursor, update.new_blocks)
            self._finished_codes = len(self._codes)
            self._tail_start = doc.characterCount() - 1
            self._keep_junction(cursor)
        if update.tail:
            self._insert(cursor, update.tail)
        elif self._tail_start is None:
            doc.clear()
        cursor.endEditBlock()
        self._after_change()

    def _keep_junction(self, cursor: QTextCursor) -> None:
        """Remember the block the tail is appended to (the last one of the finished part)."""
        cursor.setPosition(self._tail_start or 0)
        block = cursor.block()
        self._junction = (block.blockFormat(), block.charFormat(), block.textList() is not None)

    def _restore_junction(self, cursor: QTextCursor) -> None:
        """Give the block the tail was removed back to back the format it had before.

        Removing text from a block's start hands that block the format of the block the removal
        ends in (QTextDocumentPrivate::remove keeps the last block's format): after a table or
        a quote, the finished part ends in an empty block, which took the removed tail's list
        membership and margins. It then showed a stray "1." and a gap that rendering the whole
        text at once does not (issue 17).
        """
        if self._junction is None:
            return
        block_format, char_format, in_list = self._junction
        block = cursor.block()
        listed = block.textList()
        if listed is not None and not in_list:
            listed.remove(block)  # before the format: remove() adds the list's indent
        cursor.setBlockFormat(block_format)
        cursor.setBlockCharFormat(char_format)

    def _append_code(self, update: RenderUpdate) -> bool:
        """A long code block that only grew: append its new text to the shown block.

        Replacing the tail lays the whole block out again: a 200 KB block streamed would stall
        the window for ~0.2 s per repaint. Past MAX_HIGHLIGHT_CHARS the block is plain text in
        a plain <pre>, so appending the new characters shows exactly what rendering it would.
        """
        from kibitz.core.render.code_html import MAX_HIGHLIGHT_CHARS

        shown, tail = self._tail_code, update.tail
        if shown is None or update.new_blocks or update.restarted or len(tail) != 1:
            return False
        old, language = shown
        new = tail[0].code
        if (
            new is None
            or tail[0].language != language
            or len(old) <= MAX_HIGHLIGHT_CHARS
            or not new.startswith(old)
        ):
            return False
        # Such a block is a plain <pre> that ends the document (code_html.block_html), shown
        # without one trailing newline.
        added = _as_shown(new)[len(_as_shown(old)) :]
        end = QTextCursor(self.document())
        end.movePosition(QTextCursor.MoveOperation.End)
        end.insertText(break_long_runs(added))
        self._codes[-1] = new
        self._tail_code = (new, language)
        self.code_appends += 1
        return True

    def _insert(self, cursor: QTextCursor, blocks: Sequence[RenderedBlock]) -> None:
        body, codes = blocks_html(blocks, len(self._codes))
        self._codes.extend(codes)
        doc = self.document()
        if self._tail_start is None:
            # Nothing final above: the text so far is the whole document.
            doc.setHtml(body)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            return
        start = doc.characterCount() - 1
        # insertHtml merges the first inserted paragraph into the current block, losing its
        # margins or list (or the current block's, if it is empty). A throw-away paragraph
        # takes that merge, and a mark keeps the current block non-empty; both are removed,
        # leaving exactly what rendering the whole text at once gives.
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(_MARK)
        cursor.insertHtml(f"<p>{_MARK}</p>{body}")
        marks = QTextCursor(doc)
        marks.setPosition(start)
        marks.setPosition(start + 2, QTextCursor.MoveMode.KeepAnchor)
        marks.removeSelectedText()

    def _after_change(self) -> None:
        self._shrink_to_text()
        self._fit()
        self.rendered.emit()

    # -- size ---------------------------------------------------------------------------------

    def set_layout_width(self, width: int, *, shrink: bool = False) -> None:
        """Lay the text out `width` pixels wide; with shrink, narrow to the text (a bubble).

        The width is set explicitly (not taken from resize events) so a new message is laid
        out once, at its final width, before it is first shown.
        """
        width = max(40, width)
        if (width, shrink) == self._layout_width:
            return
        self._layout_width = (width, shrink)
        self._shrink = shrink
        self.setLineWrapMode(QTextEdit.LineWrapMode.FixedPixelWidth)
        self.setLineWrapColumnOrWidth(width)
        self._math.refresh()  # a formula wider than the old column may fit now, or not
        if not shrink:
            self.setMinimumWidth(0)
            self.setMaximumWidth(16777215)
        self._shrink_to_text()
        self._fit()

    def _on_layout_size_changed(self, _size: Any) -> None:
        self._fit()

    def _unshrink(self) -> None:
        # New text is laid out at the widest the bubble may be, never at the width that fitted
        # the old text (a short line would make a long message wrap a letter per line).
        if self._shrink and self._layout_width is not None:
            self.document().clear()
            self.setLineWrapColumnOrWidth(self._layout_width[0])

    def _shrink_to_text(self) -> None:
        # Lay out at the widest the bubble may be, then narrow the lines to the text, or
        # the view would scroll sideways inside a bubble narrower than its lines.
        if not self._shrink or self._layout_width is None or self._shrinking:
            return
        self._shrinking = True
        try:
            widest = self._layout_width[0]
            if self.lineWrapColumnOrWidth() != widest:
                self.setLineWrapColumnOrWidth(widest)
            natural = min(widest, math.ceil(self.document().idealWidth()) + 1)
            if natural != widest:
                self.setLineWrapColumnOrWidth(natural)
        finally:
            self._shrinking = False

    def _fit(self) -> None:
        if self._shrinking:
            return
        self._math.place_strips()
        margins = self.contentsMargins()
        width = self.lineWrapColumnOrWidth() + margins.left() + margins.right()
        doc_height = math.ceil(self.document().size().height())
        height = max(1, doc_height + margins.top() + margins.bottom())
        self.horizontalScrollBar().setValue(0)
        if (width, height) != self._hint:
            self._hint = (width, height)
            if self._shrink:
                # A maximum, not a fixed width: a narrower window can still squeeze it.
                self.setMaximumWidth(width)
            self.setFixedHeight(height)
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        return QSize(*self._hint)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(40, self._hint[0]), self._hint[1])

    # -- links and resources ------------------------------------------------------------------

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        # Model output may carry tracking or exfiltration image URLs: nothing loads by itself.
        # Formulas are the one exception: drawn here from the TeX their URL carries.
        url = QUrl(name)
        if kind == QTextDocument.ResourceType.ImageResource.value and is_math_url(url):
            image = self._math.load(url)
            if image is not None:
                return image
        self.refused_resources.append(url)
        log.debug("refused to load resource %s", url.toString()[:200])
        return None

    def _on_anchor_clicked(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme == COPY_SCHEME and url.path().startswith(COPY_PREFIX):
            self._copy_code(url.path()[len(COPY_PREFIX) :])
        elif scheme in OPEN_SCHEMES:
            QDesktopServices.openUrl(url)
            self.link_opened.emit(url)
        else:
            log.info("ignored a link with scheme %r", scheme[:20])

    def _copy_code(self, number: str) -> None:
        if not number.isdigit() or int(number) >= len(self._codes):
            return
        QGuiApplication.clipboard().setText(self._codes[int(number)])
        self.copied.emit("Code copied")

    @property
    def math(self) -> MathResources:
        return self._math

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Zoom (a new font), the theme (a new palette) and the screen change the pictures.
        if event.type() in _REDRAW_MATH and self._math.refresh():
            self._fit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            error = self._math_error_at(event)
            if error is not None:
                QToolTip.showText(event.globalPos(), error, self)
                return True
        return super().event(event)

    def _math_error_at(self, event: QHelpEvent) -> str | None:
        """The renderer's error for the broken formula under the pointer, if any."""
        point = self.viewport().mapFrom(self, event.pos())
        point.setX(point.x() + self.horizontalScrollBar().value())
        point.setY(point.y() + self.verticalScrollBar().value())
        position = self.document().documentLayout().hitTest(point, Qt.HitTestAccuracy.ExactHit)
        if position < 0:
            return None
        # A hit on a picture's right half reports the position after it.
        for at in (position, position - 1):
            name = self._math.formula_at(at) if at >= 0 else None
            if name is not None:
                return self._math.error_for(name)
        return None

    def createMimeDataFromSelection(self) -> QMimeData:
        data = super().createMimeDataFromSelection()
        cursor = self.textCursor()
        if OBJECT in cursor.selectedText():
            # Formula pictures copy as the TeX the model wrote, delimiters included. Qt's own
            # mime data makes its text from the selection when first read, over any set:
            # a plain QMimeData carries the HTML and our text instead.
            source = QMimeData()
            source.setHtml(data.html())
            source.setText(selection_source(cursor))
            data = source
        text = data.text()
        if BREAK in text:
            # Break opportunities we added to very long runs are not part of the message.
            data.setText(text.replace(BREAK, ""))
        return data

    def wheelEvent(self, event: Any) -> None:
        # No scroll bars of its own: let the chat's scroll area take the wheel.
        event.ignore()


def _as_shown(code: str) -> str:
    return code[:-1] if code.endswith("\n") else code
