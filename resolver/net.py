"""HTTP for the online sources, through the cache: with wire.py (its sockets, imported on the first
request), the one place that opens a socket.

`Http.get` answers from the cache when it can and goes to the network only when the session
is online. File contents (plugin YAML, types, wagons) are kept for good: a URL that names a
release asset does not change. Listings (catalogs, marketplace and manager answers) expire after
`listing_ttl` seconds when online; offline, whatever the cache holds is used, however old.
`refresh` fetches everything again. Proxies come from the environment (`https_proxy`,
`http_proxy`, `no_proxy`), as every HTTP client on the machine reads them.

What may be fetched (SECURITY.md): http and https URLs only; with `allow_hosts`, only those
hosts; never a host any of whose addresses is loopback, private, link-local or otherwise not
public (unless `allow_private`): the host name is resolved and every address checked, and the
connection is made to a checked address, so a name cannot change its answer between the check
and the connection. Through a proxy (the user's choice, never checked), the target host is
checked when it resolves here. Each redirect is checked again: http or https only, no step down
from https to http, an allowed host, and no more than `MAX_REDIRECTS`. A refused URL is a
`url-refused` NetError and no request is sent.

Failures are `NetError`s carrying a problem code (`registry-*`, `url-refused`), never urllib's
exceptions.
"""
from __future__ import annotations

import json
import time
from typing import Iterable, Mapping
from urllib.parse import urlsplit


from . import __version__
from . import records
from .cache import Cache

USER_AGENT = f"resolver/{__version__} (+https://github.com/cloudify-cosmo)"
FETCHED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5


class NetError(Exception):
    """A URL could not be answered. `code` is a `registry-*` problem code; `status` the HTTP status."""

    def __init__(self, code: str, message: str, *, url: str = "", status: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.url = url
        self.status = status
        self.hint = hint


@records.frozen
class NetOptions:
    """How the network may be used. `online=False` means the cache alone answers."""

    online: bool = False
    refresh: bool = False
    listing_ttl: float = 24 * 3600.0
    timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.5
    max_bytes: int = 64 * 1024 * 1024
    # seconds one answer may take in all (`timeout` bounds each wait for data)
    deadline: float = 300.0
    # hosts that may be fetched from (`name`, or `*.name` for its subdomains); empty: any host
    allow_hosts: tuple[str, ...] = records.field(default=(), converter=tuple)
    # fetch also from loopback, private, link-local and other non-public addresses
    allow_private: bool = False


_STATUS_CODES = {401: "registry-auth-failed", 403: "registry-forbidden", 404: "registry-not-found"}
_PRIVATE_HINT = ("Pass --allow-private-addresses (Options.allow_private_addresses) to fetch from a host on the "
                 "local machine or network you trust.")


def _refused(url: str, why: str, hint: str | None = None) -> NetError:
    return NetError("url-refused", f"{_safe_url(url)} is not fetched: {why}", url=url, hint=hint)


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether `host` is one of `patterns`: a name matches itself, `*.name` its subdomains."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
            return True
        if host == pattern:
            return True
    return False


def _safe_url(url: str) -> str:
    """The URL without any user:password part, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return parts._replace(netloc=host).geturl()
    return url


class Http:
    """GET through the cache. Thread-safe: it keeps no per-request state.

    `fetched` maps every URL answered in this session to the sha256 of its content, so a lock
    file can record what was read.
    """

    def __init__(self, cache: Cache | None = None, options: NetOptions | None = None, opener=None) -> None:
        self.cache = cache
        self.options = options or NetOptions()
        self._opener = opener
        self.fetched: dict[str, str] = {}

    @property
    def online(self) -> bool:
        return self.options.online

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, listing: bool = False,
            cache_key: str | None = None) -> bytes:
        """The body of `url`. Raises NetError (with `registry-offline` when offline and not cached).

        `cache_key` replaces the URL as the cache key when the answer depends on more than the
        URL (a manager's tenant); it never holds a secret.
        """
        key = cache_key or url
        held = self.cache.get(key) if self.cache is not None else None
        if held is not None:
            entry, data = held
            stale = listing or data is None
            if not self.online or not (self.options.refresh or (stale and entry.age() > self.options.listing_ttl)):
                if data is None:
                    raise NetError(_STATUS_CODES.get(entry.status, "registry-server-error"),
                                   f"{_safe_url(url)} answered HTTP {entry.status} (cached)",
                                   url=url, status=entry.status)
                self._record(url, data)
                return data
        if not self.online:
            raise NetError("registry-offline", f"{_safe_url(url)} is not in the cache and the network is off",
                           url=url, hint="Run once with --online (or `resolver registry sync`) to fill the cache.")
        data = self._fetch(url, headers or {}, key)
        self._record(url, data)
        return data

    def get_json(self, url: str, **kwargs):
        """`get` and parse JSON; a body that is not JSON is `registry-bad-response`."""
        data = self.get(url, **kwargs)
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise NetError("registry-bad-response", f"{_safe_url(url)} did not answer with JSON: {exc}",
                           url=url) from None

    def _record(self, url: str, data: bytes) -> None:
        from .cache import sha256

        self.fetched[url] = sha256(data)

    # -- the network ---------------------------------------------------------------------
    def _open(self, request, timeout):
        if self._opener is None:
            from . import wire

            self._opener = wire.opener(self.options)
        return self._opener.open(request, timeout=timeout)

    def _fetch(self, url: str, headers: Mapping[str, str], key: str) -> bytes:
        # the sockets' modules are imported here, on the first request: a run answered from files
        # and the cache never pays for them
        import socket
        import urllib.request
        from urllib.error import HTTPError, URLError

        from . import wire

        # refused before any request: a scheme or host that is never fetched (addresses are
        # checked as the connection is made, in wire.Guard)
        wire.Guard(self.options).check_url(url, resolve=False)
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*", **headers})
        last: NetError | None = None
        for attempt in range(self.options.retries + 1):
            if attempt:
                time.sleep(self.options.backoff * (2 ** (attempt - 1)))
            try:
                with self._open(request, self.options.timeout) as response:
                    data = self._read_bounded(response, url)
                if self.cache is not None:
                    self.cache.put(key, data)
                return data
            except HTTPError as exc:
                status = exc.code
                body = wire.body_excerpt(exc)
                if status in _STATUS_CODES:
                    if status == 404 and self.cache is not None:
                        self.cache.put(key, None, status)
                    raise NetError(_STATUS_CODES[status], f"{_safe_url(url)} answered HTTP {status}{body}",
                                   url=url, status=status) from None
                last = NetError("registry-server-error", f"{_safe_url(url)} answered HTTP {status}{body}",
                                url=url, status=status)
                if status < 500 and status != 429:
                    raise last from None
            except (URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = NetError("registry-unreachable", f"cannot reach {_safe_url(url)}: {reason}", url=url,
                                hint="Check the address, the network and any proxy setting (https_proxy).")
        assert last is not None
        raise last


    def _read_bounded(self, response, url: str) -> bytes:
        """The body, at most `max_bytes`, within `deadline` seconds in all: `timeout` bounds each
        wait for data, and a server sending a byte now and then must not hold a run forever."""
        started = time.monotonic()
        chunks: list[bytes] = []
        held = 0
        while True:
            chunk = response.read(min(1 << 16, self.options.max_bytes + 1 - held))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            held += len(chunk)
            if held > self.options.max_bytes:
                raise NetError("registry-bad-response",
                               f"{_safe_url(url)} answered more than {self.options.max_bytes} bytes", url=url)
            if time.monotonic() - started > self.options.deadline:
                raise NetError("registry-unreachable", f"{_safe_url(url)} took more than "
                                                       f"{self.options.deadline:g} s to answer", url=url)


def join(base: str, *parts: Iterable[str]) -> str:
    """`base` with path parts appended, one slash between each."""
    out = base.rstrip("/")
    for part in parts:
        out += "/" + str(part).strip("/")
    return out
