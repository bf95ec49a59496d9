"""A cheaper answer to the question PySide6 asks of every module imported after it.

PySide6 wraps `import` to support `from __feature__ import snake_case`: after each import it
asks whether the new module "uses PySide" (its source contains "PySide6") and answers with
`inspect.getsource`, which parses the module's lines and keeps them in linecache. Over a
start-up of ~300 modules that costs ~30 ms of the first frame and leaves ~8 MB of source text
in memory. Reading the file's bytes and looking for the same word gives the same answer in a
quarter of the time and keeps nothing. Kibitz never selects a feature, so the answer only
sorts modules into "default" and "ignored", which behave alike for us; a wrong answer could
not change an API we call.
"""

from __future__ import annotations

import linecache
import sys
from types import ModuleType

_MARK = b"PySide6"


def uses_pyside(module: ModuleType) -> bool:
    """Whether the module's source file mentions PySide6, as PySide6's own test decides (a
    module without a source file, built in or frozen, does not)."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if not isinstance(origin, str) or not origin.endswith(".py"):
        return False
    try:
        with open(origin, "rb") as source:
            return _MARK in source.read()
    except OSError:
        return False


def install() -> bool:
    """Swap PySide6's test for `uses_pyside`; call after importing PySide6. False (and nothing
    changed) when this PySide6 has no such test: its import hook then works as it always did.

    Importing PySide6 ran its own test on every module imported before it (~60 sources kept):
    those go from linecache too, which reads a file again if a traceback ever needs it."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    linecache.clearcache()
    return True
