"""Which files a piece of code opens, seen through an audit hook (PEP 578).

    with opened() as paths:
        session.resolve(blueprint)
    assert not [p for p in paths if p.startswith(secret)]

The hook is installed once per process (audit hooks cannot be removed) and records only inside an
`opened()` block of the same thread, so other tests and other threads pay one attribute look-up
per audited event. It records `open` (every file opened by Python code or C code that audits it,
`io.open` included) and folder listings (`os.listdir`, `os.scandir`), as absolute paths.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading

_state = threading.local()
_installed = False
_install_lock = threading.Lock()
_EVENTS = frozenset(("open", "os.listdir", "os.scandir"))


def _hook(event: str, args) -> None:
    seen = getattr(_state, "seen", None)
    if seen is None or event not in _EVENTS or not args:
        return
    path = args[0]
    if isinstance(path, (str, bytes, os.PathLike)):
        seen.append(os.path.abspath(os.fsdecode(path)))


@contextlib.contextmanager
def opened():
    """Yield the list of paths this thread opens or lists until the block ends."""
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
    _state.seen = []
    try:
        yield _state.seen
    finally:
        _state.seen = None


def outside(paths, allowed) -> list[str]:
    """The paths (after following links) that lie in none of the `allowed` folders."""
    folders = [os.path.realpath(os.fspath(folder)) for folder in allowed]
    out = []
    for path in paths:
        real = os.path.realpath(path)
        if not any(real == folder or real.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders):
            out.append(path)
    return sorted(set(out))
