"""A page of settings laid out from the schema: a label, an editor and the help text per row.

Edits apply at once: each accepted value goes through `Settings.with_value` into the holder,
which saves the file and tells the app. A value the file cannot take is reported, not lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from kibitz.core.settings import InvalidSettingError, Settings, spec_for
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import FieldEditor, label_for


def help_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("FieldHelp")
    label.setWordWrap(True)
    return label


def unique_name(taken: Iterable[str], base: str) -> str:
    """`base`, or "base 2", "base 3"...: the first not in `taken`."""
    names = set(taken)
    name, n = base, 2
    while name in names:
        name, n = f"{base} {n}", n + 1
    return name


class _FocusOutFilter(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


def on_focus_out(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` when `widget` loses the focus: multi-line fields commit then, since
    they have no editingFinished."""
    _FocusOutFilter(widget, callback)


class SettingsForm(QWidget):
    """Rows for the given setting paths, bound to the app's settings."""

    def __init__(
        self,
        context: SettingsContext,
        paths: Sequence[str],
        *,
        editor_factory: Callable[[str], FieldEditor] | None = None,
        normalizers: Mapping[str, Callable[[object], object]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._holder = context.settings
        # Checks the schema cannot make (it is Qt-free): value in, stored form out, or
        # ValueError with the reason.
        self._normalizers = dict(normalizers or {})
        self.editors: dict[str, FieldEditor] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setVerticalSpacing(4)
        column.addLayout(self.form)
        column.addStretch(1)
        for path in paths:
            editor = editor_factory(path) if editor_factory else FieldEditor(spec_for(path))
            self.add_editor(editor)
        self._load(self._holder())
        self._holder.changed.connect(self._load)

    def add_editor(self, editor: FieldEditor) -> None:
        path = editor.spec.path
        self.editors[path] = editor
        editor.committed.connect(lambda value, p=path: self._apply(p, value))
        help_text = help_label(editor.spec.info.help)
        if editor.spec.type.base is bool:
            self.form.addRow(editor)  # its label says it; the help is the tooltip
        else:
            self.form.addRow(f"{label_for(editor.spec)}:", editor)
            self.form.addRow("", help_text)

    def _apply(self, path: str, value: object) -> None:
        normalize = self._normalizers.get(path)
        try:
            if normalize is not None:
                value = normalize(value)
                self.editors[path].set_value(value)
            settings = self._holder().with_value(path, value)
        except InvalidSettingError as exc:
            self.editors[path].refuse(exc)
            return
        except ValueError as exc:
            spec = self.editors[path].spec
            self.editors[path].refuse(
                InvalidSettingError(path, value, spec.allowed, reason=str(exc).rstrip("."))
            )
            return
        self.apply(settings)

    def apply(self, settings: Settings) -> None:
        self._context.apply(settings)

    def _load(self, settings: Settings) -> None:
        for path, editor in self.editors.items():
            value = settings.value_at(path)
            if value != editor.value() or editor.error_text():
                # A field the user is in the middle of correcting keeps their text.
                if editor.error_text() and editor.input_widget().hasFocus():
                    continue
                editor.set_value(value)
