"""ComposerAttachments: the chips above the composer's text, and what each one stands for.

A chip shows as soon as a file is offered (reading, until a controller fills it with what it
read or withdraws it); an image's chip gets its thumbnail once the value is known.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.types import FilePart, ImagePart
from kibitz.ui.attachments.thumbnails import ThumbnailLoader, side_for
from kibitz.ui.views.attachment_chip import CHIP_HEIGHT, AttachmentChip
from kibitz.ui.views.flow_layout import FlowLayout

ComposerValue = Attachment | ImagePart | FilePart


class _ComposerItem:
    """A chip in the composer and what it stands for (None while the file is being read)."""

    __slots__ = ("chip", "value")

    def __init__(self, chip: AttachmentChip, value: ComposerValue | None) -> None:
        self.chip = chip
        self.value = value


class ComposerAttachments(QObject):
    """The strip of chips (`widget`, hidden while empty). Emits `changed` whenever a chip
    comes, goes or is filled, and `chip_removed` after the user took one away with its ×."""

    changed = Signal()
    chip_removed = Signal()

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self._owner = owner  # its screen sets the thumbnails' pixel size
        self._items: list[_ComposerItem] = []
        self._thumbnails: ThumbnailLoader | None = None
        self.widget = QWidget()
        self.widget.setObjectName("ComposerAttachments")
        self.widget.setAccessibleName("Attachments")
        self._flow = FlowLayout(self.widget, spacing=8)
        self.widget.hide()

    def set_thumbnails(self, loader: ThumbnailLoader) -> None:
        self._thumbnails = loader

    @property
    def values(self) -> tuple[ComposerValue, ...]:
        """The attachments read so far, in the order shown."""
        return tuple(item.value for item in self._items if item.value is not None)

    @property
    def reading(self) -> bool:
        return any(item.value is None for item in self._items)

    @property
    def any_shown(self) -> bool:
        """Some chip shows (read or still reading)."""
        return bool(self._items)

    def chips(self) -> list[AttachmentChip]:
        return [item.chip for item in self._items]

    def add_reading(self, name: str, *, image: bool) -> AttachmentChip:
        chip = self._add_chip(name, image=image, size=None, mime_type="")
        chip.set_reading(True)
        self._items.append(_ComposerItem(chip, None))
        self._changed()
        return chip

    def fill(self, chip: AttachmentChip, value: ComposerValue) -> None:
        item = self._item_of(chip)
        if item is None:
            return
        item.value = value
        chip.set_file(value.name, value.size, value.mime_type, image=is_image(value))
        self._load_thumbnail(item)
        self._changed()

    def withdraw(self, chip: AttachmentChip) -> None:
        item = self._item_of(chip)
        if item is not None:
            self._remove(item)

    def set_values(self, values: Iterable[ComposerValue]) -> None:
        for item in self._items:
            self._drop_chip(item)
        self._items.clear()
        self.add_values(values)

    def add_values(self, values: Iterable[ComposerValue]) -> None:
        for value in values:
            chip = self._add_chip(
                value.name, image=is_image(value), size=value.size, mime_type=value.mime_type
            )
            item = _ComposerItem(chip, value)
            self._items.append(item)
            self._load_thumbnail(item)
        self._changed()

    def _add_chip(
        self, name: str, *, image: bool, size: int | None, mime_type: str
    ) -> AttachmentChip:
        chip = AttachmentChip(
            name, image=image, size=size, mime_type=mime_type, removable=True, parent=self.widget
        )
        chip.remove_clicked.connect(lambda: self._on_chip_remove_clicked(chip))
        self._flow.addWidget(chip)
        chip.show()
        return chip

    def _item_of(self, chip: AttachmentChip) -> _ComposerItem | None:
        return next((item for item in self._items if item.chip is chip), None)

    def _remove(self, item: _ComposerItem) -> None:
        self._items.remove(item)
        self._drop_chip(item)
        self._changed()

    def _drop_chip(self, item: _ComposerItem) -> None:
        self._flow.removeWidget(item.chip)
        item.chip.hide()
        item.chip.deleteLater()

    def _load_thumbnail(self, item: _ComposerItem) -> None:
        value, chip = item.value, item.chip
        if self._thumbnails is None or value is None or not is_image(value):
            return
        side = side_for(CHIP_HEIGHT, self._owner.devicePixelRatioF())
        if isinstance(value, ImagePart):
            self._thumbnails.request_blob(
                value.blob, side, chip, chip.set_thumbnail, chip.set_broken
            )
        elif isinstance(value, Attachment):
            self._thumbnails.request_bytes(
                value.data, side, chip, chip.set_thumbnail, chip.set_broken
            )

    def _changed(self) -> None:
        self.widget.setVisible(bool(self._items))
        self.changed.emit()

    def _on_chip_remove_clicked(self, chip: AttachmentChip) -> None:
        item = self._item_of(chip)
        if item is not None:
            self._remove(item)
            self.chip_removed.emit()


def is_image(value: ComposerValue) -> bool:
    if isinstance(value, Attachment):
        return value.kind is AttachmentKind.IMAGE
    return isinstance(value, ImagePart)
