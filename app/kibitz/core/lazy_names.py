"""Names a package hands out from its modules, each module imported when a name is first asked
for (PEP 562): `import kibitz.core.render` or `kibitz.core.settings` costs nothing until used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The package's module `__getattr__`: `homes` maps each name to the submodule defining it;
    a name is looked up once, then kept in the package's `namespace` (its globals())."""

    def module_getattr(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value  # asked for once
        return value

    return module_getattr
