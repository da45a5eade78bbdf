"""The wire: sockets, addresses and redirects for `net.Http`, imported on the first request.

Everything here runs only when a URL is really fetched (`--online`), so a run answered from files
and the cache never imports http.client, ssl or socket. The checks are SECURITY.md's: a host's
every address must be public unless private addresses are allowed, checked as the connection is
made (so a name that resolves twice cannot slip through); redirects go to http(s) only, never from
https down to http, at most MAX_REDIRECTS.
"""
from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit

from .net import _PRIVATE_HINT, FETCHED_SCHEMES, MAX_REDIRECTS, NetOptions, _refused, _safe_url, host_allowed


def opener(options: NetOptions):
    """A urllib opener whose connections and redirects are checked for `options`.

    build_opener's default ProxyHandler reads the proxy settings from the environment; the guarded
    handlers replace its HTTP, HTTPS and redirect handlers."""
    guard = Guard(options)
    return urllib.request.build_opener(GuardedHTTP(guard), GuardedHTTPS(guard), CheckedRedirects())


def public_address(address: str) -> bool:
    """Whether an IP address is public: not loopback, private, link-local, shared, reserved,
    unspecified or multicast (an IPv4 address mapped into IPv6 is judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class Guard:
    """The checks of the module doc, for one session's NetOptions."""

    def __init__(self, options: "NetOptions") -> None:
        self.options = options

    def check_url(self, url: str, *, resolve: bool) -> None:
        """Refuse `url` (a `url-refused` NetError) for its scheme or host; with `resolve`, also
        for its addresses (a proxied request: the connection itself goes to the proxy)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in FETCHED_SCHEMES:
            raise _refused(url, f"only {' and '.join(FETCHED_SCHEMES)} URLs are fetched, not {parts.scheme or 'none'}:")
        try:
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise _refused(url, "the address is not a valid host and port") from None
        if not host:
            raise _refused(url, "it names no host")
        if self.options.allow_hosts and not host_allowed(host, self.options.allow_hosts):
            raise _refused(url, f"{host} is not an allowed host ({', '.join(self.options.allow_hosts)})",
                           hint="Add the host with --allow-host HOST (Options.allow_hosts).")
        if resolve and not self.options.allow_private:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError):
                return  # the proxy resolves what this machine cannot: its answer is the proxy's affair
            self._vet(url, host, infos)

    def _vet(self, url: str, host: str, infos) -> None:
        for info in infos:
            address = info[4][0]
            if not public_address(address):
                raise _refused(url, f"{host} has the address {address}, which is loopback, private, link-local "
                                    "or otherwise not public", hint=_PRIVATE_HINT)

    def connect(self, url: str):
        """A `socket.create_connection` for http.client that connects only to checked addresses."""

        def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
            host, port = address
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise OSError(f"cannot resolve {host}: {exc.strerror or exc}") from None
            if not self.options.allow_private:
                self._vet(url, host, infos)
            last: OSError | None = None
            for family, kind, proto, _, sockaddr in infos:
                sock = socket.socket(family, kind, proto)
                try:
                    if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                        sock.settimeout(timeout)
                    if source_address:
                        sock.bind(source_address)
                    sock.connect(sockaddr)
                    return sock
                except OSError as exc:
                    sock.close()
                    last = exc
            raise last or OSError(f"no address for {host}")

        return create_connection


def _proxied(request) -> bool:
    return request.has_proxy() or bool(getattr(request, "_tunnel_host", None))


def _guarded(kind, guard: Guard, request):
    """A connection factory for `do_open`: `kind` connecting through `guard`, unless the request
    goes to a proxy (then the target was checked by URL, and the proxy is the user's choice)."""
    proxied = _proxied(request)
    guard.check_url(request.full_url, resolve=proxied)

    def make(host, **kwargs):
        connection = kind(host, **kwargs)
        if not proxied:
            connection._create_connection = guard.connect(request.full_url)
        return connection

    return make


class GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def http_open(self, request):
        return self.do_open(_guarded(http.client.HTTPConnection, self.guard, request), request)


class GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def https_open(self, request):
        extra = {"context": self._context}
        if hasattr(self, "_check_hostname"):  # Python < 3.12
            extra["check_hostname"] = self._check_hostname
        return self.do_open(_guarded(http.client.HTTPSConnection, self.guard, request), request, **extra)


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects to http(s) only, never from https down to http, at most MAX_REDIRECTS; the host
    and its addresses are checked again when the new request is opened."""

    max_redirections = MAX_REDIRECTS

    def http_error_302(self, req, fp, code, msg, headers):
        # urllib refuses some schemes itself, as an HTTP error; checked first, it is a refusal
        location = headers.get("location") or headers.get("uri")
        if location:
            self._check(req, urljoin(req.full_url, location))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self._check(req, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    @staticmethod
    def _check(req, newurl: str) -> None:
        scheme = urlsplit(newurl).scheme.lower()
        if scheme not in FETCHED_SCHEMES:
            raise _refused(req.full_url, f"it redirects to {_safe_url(newurl)}, which is not http or https")
        if scheme == "http" and urlsplit(req.full_url).scheme.lower() == "https":
            raise _refused(req.full_url, f"it redirects from https down to {_safe_url(newurl)}")


def body_excerpt(exc: HTTPError) -> str:
    try:
        body = exc.read(2000).decode("utf-8", "replace").strip()
    except Exception:  # the body is a courtesy; its absence is no fault
        return ""
    if not body:
        return ""
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
            body = parsed["message"]
            # a manager's error body also names its kind: {"message", "error_code"}
            if isinstance(parsed.get("error_code"), str):
                body += f" [{parsed['error_code']}]"
    except ValueError:
        pass
    return f": {body[:300]}"


