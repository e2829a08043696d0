"""Start spawned child processes without re-running the parent's script (no torch here)."""
from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

_MAIN_SWAP = threading.Lock()


@contextmanager
def spawn_without_parent_main() -> Iterator[None]:
    """A spawned child first re-runs the parent's `__main__` file (so that classes defined there unpickle).
    Under Streamlit that file is the app's script, since Streamlit installs every script run as
    `__main__`: each child would draw the whole app (the router, the sidebar, the warm-up), or fail
    outright when the script needs arguments, as AppTest's do. Our datasets, models and runners live
    in core, so children need none of it: while they start, `__main__` is a bare module with no file."""
    with _MAIN_SWAP:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
