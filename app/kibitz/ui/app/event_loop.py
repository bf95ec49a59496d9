"""The app's asyncio loop: qasync's, with the async-generator hooks asyncio's own loops install.

qasync runs Qt's event loop in place of `BaseEventLoop.run_forever`, which is where asyncio
registers its async-generator hooks, so under qasync an abandoned async generator (httpx's body
stream after a stopped reply) was closed by whichever garbage collection found it, outside any
task. Its cleanup then fails ("AsyncLibraryNotFoundError" from sniffio, printed at exit) and
`shutdown_asyncgens` knew of no generator to close. With the hooks, the loop closes such a
generator in a task of its own, and closes the ones still open when the app stops.
"""

from __future__ import annotations

import sys
from typing import Any

import qasync


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    def run_forever(self) -> Any:
        previous = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook
        )
        try:
            return super().run_forever()
        finally:
            sys.set_asyncgen_hooks(*previous)
