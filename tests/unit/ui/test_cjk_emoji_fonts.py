"""Japanese, Chinese and emoji draw with real glyphs (a font that has them), emoji in colour.

A fresh Debian has DejaVu alone, where these were empty boxes; the setup installs Noto CJK and
Noto Color Emoji and fontconfig hands them to Qt as fallbacks. Checked on the glyphs Qt lays
out (the font each run came from, no glyph 0: the .notdef box), not on pixels, except that an
emoji must draw in colour. Screenshots of a reply mixing them, light and dark, are saved to
$KIBITZ_TEST_SCREENSHOTS as cjk-emoji-reply-{light,dark}.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGlyphRun,
    QImage,
    QPainter,
    QTextDocument,
    QTextLayout,
)
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import Role
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView

SAMPLE = "日本語 中文 😀"
CJK = "日本語中文"
EMOJI = "😀"  # yellow in every colour emoji font (DejaVu Sans has it too, in black and white)
QUESTION = "How do I say “good morning” in Japanese and Chinese? 🙂"
ANSWER = (
    "**Japanese:** おはようございます (*ohayō gozaimasu*) 🌅\n\n"
    "**Chinese:** 早上好 (*zǎoshang hǎo*), or simply 早安 😀\n\n"
    "- 日本語: おはよう — casual, among friends\n"
    "- 中文: 你好 — hello, at any time of day 👋\n\n"
    "Enjoy practising! 🎉"
)


def _runs(text: str, font: QFont) -> list[QGlyphRun]:
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    return list(layout.glyphRuns())


def _family_for(char: str, font: QFont) -> str:
    """The family Qt draws `char` in with `font` (itself or a fallback); "" for a box."""
    runs = _runs(char, font)
    assert len(runs) == 1, [run.rawFont().familyName() for run in runs]
    if 0 in runs[0].glyphIndexes():  # glyph 0 is .notdef: the empty box
        return ""
    return runs[0].rawFont().familyName()


def _document_runs(document: QTextDocument) -> list[QGlyphRun]:
    runs: list[QGlyphRun] = []
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        # Per line: a block's QTextLayout has no text of its own, so glyphRuns() over "all of
        # its text" (the default range) is empty.
        for i in range(layout.lineCount()):
            runs.extend(layout.lineAt(i).glyphRuns())
        block = block.next()
    return runs


def _warm_yellow_pixels(image: QImage) -> int:
    """Pixels of a saturated yellow-orange (😀's face), which no text or theme colour is."""
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            colour = QColor(image.pixel(x, y))
            hue, saturation, value = colour.hsvHue(), colour.hsvSaturation(), colour.value()
            if 30 <= hue <= 60 and saturation > 120 and value > 120:
                count += 1
    return count


def test_a_font_covering_cjk_and_emoji_is_installed(qapp: QApplication) -> None:
    families = QFontDatabase.families()
    japanese = QFontDatabase.families(QFontDatabase.WritingSystem.Japanese)
    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    assert japanese, f"no Japanese font among {families}: install fonts-noto-cjk"
    assert chinese, f"no Chinese font among {families}: install fonts-noto-cjk"
    emoji = [f for f in families if "emoji" in f.lower()]
    assert emoji, f"no emoji font among {families}: install fonts-noto-color-emoji"


def test_the_interface_font_falls_back_to_them_for_cjk_and_emoji(qapp: QApplication) -> None:
    font = QApplication.font()
    for char in CJK:
        family = _family_for(char, font)
        assert "CJK" in family, f"{char} has no glyph in {font.family()} or its fallbacks"
    assert "Emoji" in _family_for(EMOJI, font)
    runs = _runs(SAMPLE, font)
    assert all(0 not in run.glyphIndexes() for run in runs), "a character drew as a box"


def test_a_label_draws_the_emoji_in_colour(qtbot: QtBot) -> None:
    label = QLabel(SAMPLE)
    qtbot.addWidget(label)
    label.setStyleSheet("background: white; color: black;")
    label.resize(label.sizeHint())
    image = label.grab().toImage()
    assert _warm_yellow_pixels(image) > 20, "the emoji drew without its colours"
    # The same text in a rich-text document (what the chat view uses) lays out the same fonts.
    document = QTextDocument()
    document.setPlainText(SAMPLE)
    document.setTextWidth(400)
    image = QImage(400, 80, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    document.drawContents(painter)
    painter.end()
    families = {run.rawFont().familyName() for run in _document_runs(document)}
    assert any("CJK" in family for family in families), families
    assert any("Emoji" in family for family in families), families
    assert _warm_yellow_pixels(image) > 20


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshot_of_a_reply_in_japanese_chinese_and_emoji(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str
) -> None:
    shots = Path(os.environ.get("KIBITZ_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    conv = store.create_conversation("Good morning")
    question = store.add_message(conv.id, None, Role.USER, QUESTION)
    store.add_message(
        conv.id, question.id, Role.ASSISTANT, ANSWER, model="gpt-4o-mini", finish_reason="stop"
    )
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(880, 520)
    view.show()
    qtbot.waitExposed(view)
    view.show_conversation(conv.id)
    widgets = view.message_widgets()
    assert [w.plain_text().count("早") for w in widgets] == [0, 2]
    for widget in widgets:
        text_view = widget.text_view
        runs = _document_runs(text_view.document())
        assert all(0 not in run.glyphIndexes() for run in runs), "a character drew as a box"
        families = {run.rawFont().familyName() for run in runs}
        assert any("Emoji" in family for family in families), families
        for char in "日本語中文早上好おは":
            if char in widget.plain_text():
                assert "CJK" in _family_for(char, text_view.font()), char
    qtbot.wait(REPAINT_MS * 2)
    image = view.grab().toImage()
    path = shots / f"cjk-emoji-reply-{scheme}.png"
    assert image.save(str(path))
    assert _warm_yellow_pixels(image) > 50, "the reply's emoji drew without colour"
    if scheme == "dark":
        assert image.pixelColor(4, 4).lightness() < 60
