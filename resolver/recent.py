"""What a session keeps for its later blueprints: values by key, the most recently used, bounded."""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

# What a session keeps by default, in characters of YAML text: the corpus twice over.
DEFAULT_KEPT_CHARS = 8 * 1024 * 1024


class Recent:
    """Values by key, each counted by its size, at most `max_size` in all: keeping one drops the
    least recently used past the bound, and a value bigger than the bound is not kept (a
    long-running process resolving uploads one after another must not keep them all).

    Safe from several threads: two threads making the same value at once both make it, and the
    first one kept stays. `kept(value)` and `dropped(value)`, when given, are called as a value is
    kept and dropped, under the same lock, so whoever tracks what is kept never sees it stale.
    """

    def __init__(self, max_size: int, kept: Callable[[Any], None] | None = None,
                 dropped: Callable[[Any], None] | None = None) -> None:
        self.max_size = max_size
        self.held = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._kept, self._dropped = kept, dropped

    def get(self, key, default=None):
        """The value kept for `key`, now the most recently used; `default` when none is kept."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def keep(self, key, value, size: int) -> None:
        """Keep `value` of `size` for `key`, unless it is bigger than the bound or `key` is kept."""
        if size > self.max_size:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, size)
            self.held += size
            if self._kept is not None:
                self._kept(value)
            while self.held > self.max_size:
                _, (old, old_size) = self._items.popitem(last=False)
                self.held -= old_size
                if self._dropped is not None:
                    self._dropped(old)

    def pop(self, key, default=None):
        """The value kept for `key`, no longer kept; `default` when none is kept."""
        with self._lock:
            item = self._items.pop(key, None)
            if item is None:
                return default
            self.held -= item[1]
            return item[0]

    def drop_oldest(self) -> bool:
        """Drop the least recently used value (`dropped` is told); False when none is kept."""
        with self._lock:
            if not self._items:
                return False
            _, (old, old_size) = self._items.popitem(last=False)
            self.held -= old_size
            if self._dropped is not None:
                self._dropped(old)
            return True

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list:
        """The keys kept, the least recently used first."""
        with self._lock:
            return list(self._items)


# A file system's clock ticks coarsely (a kernel tick, up to two seconds on some): a file changed
# within the tick it was read in keeps its time. What was modified this recently is not kept.
SETTLED_NS = 2_000_000_000


def settled(mtime_ns: int) -> bool:
    """Whether a modification time is old enough that a later change would show in it."""
    return time.time_ns() - mtime_ns > SETTLED_NS


class FileTexts:
    """The texts of files by path, the most recently read up to `max_chars` characters (`Recent`),
    each given again only while its file is unchanged: the same size, modification time, inode and
    device as when it was read, one `stat` per look-up. A session lives long in an orchestrator or
    an editor's server: a blueprint edited, or uploaded again under the same path, is read again,
    never answered from what an earlier version said. A file modified within `SETTLED_NS` of its
    reading is not kept: an edit in the same tick of the file system's clock would not show."""

    def __init__(self, max_chars: int) -> None:
        self._recent = Recent(max_chars)

    @property
    def max_size(self) -> int:
        return self._recent.max_size

    @property
    def held(self) -> int:
        return self._recent.held

    def get(self, path: str) -> str | None:
        """The text kept for `path` if its file is as it was when read, else None (and dropped)."""
        kept = self._recent.get(path)
        if kept is None:
            return None
        text, read_as = kept
        try:
            now = _identity(os.stat(path))
        except OSError:
            now = None
        if now != read_as:
            self._recent.pop(path)
            return None
        return text

    def keep(self, path: str, text: str, status: os.stat_result) -> None:
        """Keep `text`, read from `path` whose status (`os.fstat` of the handle read) was `status`:
        a file changed after that status was taken has another one and is read again."""
        if settled(status.st_mtime_ns):
            self._recent.keep(path, (text, _identity(status)), len(text))


def _identity(status: os.stat_result) -> tuple:
    return status.st_mtime_ns, status.st_size, status.st_ino, status.st_dev
