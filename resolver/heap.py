"""glibc's malloc in a process the command owns: big blocks given back to the system when freed.

glibc serves a block of 128 KiB or more with a mapping of its own, returned to the system when the
block is freed; and each time it frees such a block it raises that threshold to the block's size
(up to 32 MiB on 64 bits). Resolving a big blueprint frees big blocks early (the file's bytes once
decoded, the text once parsed), so every later block under their size comes from the heap, where
what is freed between blocks still in use stays resident. A 10,000-node blueprint (10.8 MB) peaked
at 162 MB in a first resolve and at 172 MB from the second on; with the threshold fixed at
`THRESHOLD`, at 146 MB each time, in the same time (`make bench`, README *Benchmarks*).

Only for a process the command owns (`claim`: the CLI and the hook, through
`Batch(owns_process=True)`, and the workers they fork): how a library caller's process allocates is
its own business. Applied when the first file of `BIG` bytes or more is read (`big_file`, from
`sources.FileLoader`), before that file's blocks are freed, so a run on small blueprints neither
imports ctypes (1.6 ms) nor changes anything. A C library without `mallopt` (musl, macOS, Windows)
is left as it is.
"""
from __future__ import annotations

import sys

BIG = 1 << 20  # a file this big makes blocks over glibc's first threshold, freed while others live
THRESHOLD = 1 << 20  # blocks of this size and over get a mapping of their own, whatever was freed before
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h; setting it also stops the threshold moving

_claimed = False
applied: bool | None = None  # None: not tried in this process; else whether mallopt took it


def claim() -> None:
    """The process is the command's: the first big file read fixes malloc's threshold."""
    global _claimed
    _claimed = True


def big_file(size: int) -> None:
    """A file of `size` bytes is being read: fix the threshold now, once, if the process is claimed."""
    if size >= BIG and _claimed and applied is None:
        _fix_threshold()


def _fix_threshold() -> None:
    global applied
    applied = False
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = getattr(libc, "mallopt", None)  # glibc's; musl has none
        if mallopt is not None and hasattr(libc, "gnu_get_libc_version"):
            applied = mallopt(_M_MMAP_THRESHOLD, THRESHOLD) == 1
    except (ImportError, OSError, AttributeError):  # no ctypes, no C library to open: nothing changes
        pass
