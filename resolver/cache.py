"""The user cache: one folder every run reads and `--online` runs fill.

Layout under the root (`--cache DIR`, else `$RESOLVER_CACHE`, else the platform's user cache
folder, e.g. `~/.cache/resolver` on Linux):

    blobs/<2 hex>/<sha256>         file contents, named by their sha256 (content-addressed)
    urls/<2 hex>/<sha256 of key>.json
                                   one entry per fetched URL: the URL, the blob's sha256 (or the
                                   HTTP status of a refusal), when it was fetched
    registry/                      a directory registry (`<package>/<version>/*.yaml`), filled by
                                   `registry sync` and by online runs, read by every run

Safe when several processes write at once: every file is written to a temporary name in its
own folder and renamed into place (atomic on POSIX and Windows), and a blob is checked against
its name when read, so a partial or damaged file is never served; it is treated as missing.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Optional

from . import records

ENV_VAR = "RESOLVER_CACHE"


def default_root() -> str:
    """`$RESOLVER_CACHE`, else the platform's user cache folder for `resolver`."""
    env = os.environ.get(ENV_VAR)
    if env:
        return os.path.abspath(env)
    return _linux_cache_root() or _platform_cache_root()


def _linux_cache_root() -> str | None:
    """The folder platformdirs names on Linux, from the environment alone: `$XDG_CACHE_HOME/resolver`
    when that is an absolute path, else `$HOME/.cache/resolver`. None elsewhere (Android, macOS,
    Windows) and when HOME is unset or relative (platformdirs then asks the password database):
    platformdirs answers those. Importing it is about 10 ms (tempfile, shutil, random come
    with it), a tenth of a hook's run on a small blueprint; tests/test_api.py holds the two
    answers equal."""
    if not sys.platform.startswith("linux") or hasattr(sys, "getandroidapilevel"):
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return os.path.join(xdg, "resolver")
    home = os.environ.get("HOME")
    if not home or not os.path.isabs(home):
        return None
    return os.path.join(home.rstrip("/") + "/.cache", "resolver")


def _platform_cache_root() -> str:
    import platformdirs

    return platformdirs.user_cache_dir("resolver", appauthor=False)


try:
    from _sha256 import sha256 as _small_sha256  # CPython 3.11
except ImportError:  # pragma: no cover - CPython 3.12 and later name it _sha2; other interpreters
    try:
        from _sha2 import sha256 as _small_sha256
    except ImportError:
        from hashlib import sha256 as _small_sha256

# Until a process has hashed this much, texts are hashed by CPython's built-in sha256: importing
# hashlib loads OpenSSL, ~3 ms of every run's start-up (issue 10), for the few KB a blueprint and
# its imports weigh. Past it OpenSSL's is worth its import: six times faster (8 ms instead of 54
# for 10 MB), and a batch or a long-running session hashes megabytes (7.7 MB for the corpus).
SMALL_DIGEST = 1024 * 1024

_hashed = 0  # bytes hashed by the built-in so far (a lost update under threads only delays the switch)
_large_sha256 = None  # OpenSSL's, once imported


def sha256(data: bytes) -> str:
    """The hex sha256 of `data` (the same digest whichever implementation makes it)."""
    global _hashed, _large_sha256
    if _large_sha256 is None:
        _hashed += len(data)
        if _hashed < SMALL_DIGEST:
            return _small_sha256(data).hexdigest()
        import hashlib

        _large_sha256 = hashlib.sha256
    return _large_sha256(data).hexdigest()


def write_atomic(path: str, data: bytes) -> None:
    """Write `data` to `path` so that no reader ever sees a partial file."""
    import tempfile  # on the first write only: most runs only read

    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path)[:40])
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


@records.frozen
class Entry:
    """What the cache knows of one URL: its content's sha256, or the status that refused it."""

    url: str
    sha256: Optional[str]
    status: int
    fetched_at: float

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.fetched_at


class Cache:
    """The cache folder (see the module docstring). Cheap to create; creates folders on first write."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = os.path.abspath(os.fspath(root)) if root is not None else default_root()

    @property
    def registry_root(self) -> str:
        return os.path.join(self.root, "registry")

    # -- blobs ---------------------------------------------------------------------------
    def _blob_path(self, digest: str) -> str:
        return os.path.join(self.root, "blobs", digest[:2], digest)

    def put_blob(self, data: bytes) -> str:
        digest = sha256(data)
        path = self._blob_path(digest)
        if not os.path.isfile(path):
            write_atomic(path, data)
        return digest

    def blob(self, digest: str) -> bytes | None:
        """The content named `digest`, or None when it is missing or does not match its name."""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return None
        try:
            with open(self._blob_path(digest), "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        return data if sha256(data) == digest else None

    # -- URL entries ---------------------------------------------------------------------
    def _entry_path(self, key: str) -> str:
        digest = sha256(key.encode("utf-8"))
        return os.path.join(self.root, "urls", digest[:2], digest + ".json")

    def entry(self, key: str) -> Entry | None:
        """The entry for `key` (a URL, or a URL plus whatever else makes the answer differ)."""
        try:
            with open(self._entry_path(key), encoding="utf-8") as handle:
                raw = json.load(handle)
            entry = Entry(url=str(raw["url"]), sha256=raw.get("sha256"), status=int(raw["status"]),
                          fetched_at=float(raw["fetched_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.url != key:
            return None
        return entry

    def get(self, key: str) -> tuple[Entry, bytes | None] | None:
        """(entry, content) for `key`; content is None for a cached refusal. None when not held."""
        entry = self.entry(key)
        if entry is None:
            return None
        if entry.sha256 is None:
            return entry, None
        data = self.blob(entry.sha256)
        return None if data is None else (entry, data)

    def put(self, key: str, data: bytes | None, status: int = 200) -> Entry:
        """Record `data` (or, with None, a refusal with `status`) as the answer for `key`."""
        digest = self.put_blob(data) if data is not None else None
        entry = Entry(url=key, sha256=digest, status=status, fetched_at=time.time())
        payload = json.dumps(records.as_dict(entry), sort_keys=True).encode("utf-8")
        write_atomic(self._entry_path(key), payload)
        return entry
