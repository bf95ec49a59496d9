"""The stylesheet follows the palette: a system switch to dark (a new application palette)
re-derives it, through Qt's signals, with no event filter on the whole application."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from kibitz.ui.style import ThemeFollower, apply_style, dark_palette, stylesheet


def test_a_new_palette_re_derives_the_stylesheet(qapp: QApplication) -> None:
    before_palette, before_sheet = qapp.palette(), qapp.styleSheet()
    follower = ThemeFollower(qapp)
    try:
        apply_style(qapp)
        light = qapp.styleSheet()
        qapp.setPalette(dark_palette())
        QApplication.processEvents()
        assert qapp.styleSheet() == stylesheet(dark_palette())
        assert qapp.styleSheet() != light
    finally:
        follower.setParent(None)
        follower.deleteLater()
        qapp.setPalette(before_palette)
        qapp.setStyleSheet(before_sheet)
