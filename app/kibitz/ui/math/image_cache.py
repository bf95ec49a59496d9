"""FormulaCache: formula pictures by everything they depend on, least recently used first out.

Bounded in bytes, not entries: one display matrix can weigh as much as a hundred inline
symbols. Streaming re-inserts the open tail on every repaint; its formulas come from here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from kibitz.ui.math.formula_image import FormulaImage

DEFAULT_BUDGET_BYTES = 48 * 1024 * 1024  # ~2,000 inline formulas at 2x, ~150 KB display ones


class FormulaCache:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._budget = budget_bytes
        self._items: OrderedDict[Hashable, FormulaImage] = OrderedDict()
        self._bytes = 0
        self.renders = 0  # how many pictures were made (for tests and benchmarks)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, key: Hashable) -> FormulaImage | None:
        """The picture if it is cached (and now the most recently used), else None."""
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def get(self, key: Hashable, make: Callable[[], FormulaImage]) -> FormulaImage:
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        made = make()
        self.renders += 1
        self._items[key] = made
        self._bytes += made.image.sizeInBytes()
        while self._bytes > self._budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.image.sizeInBytes()
        return made

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0
