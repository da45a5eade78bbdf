"""An HTTP(S) proxy on loopback that answers from a route table, for tests that play public sites.

    with proxy({"cloudify.co/spec/cloudify/7.0.0/types.yaml": text_reply("...")}) as site:
        site.url              # http://127.0.0.1:PORT, for https_proxy / http_proxy
        site.ca_file          # PEM bundle of the test CA, for SSL_CERT_FILE
        site.environ()        # those variables (plus no_proxy for loopback) to pass to a client
        site.tunnels          # every host:port a client asked to CONNECT to
        site.requests         # every request answered: tests/servers.py's Request, host set

A client that sends `GET http://host/path` (plain HTTP through a proxy) is answered from the
table directly. A client that sends `CONNECT host:443` gets a TLS tunnel that this proxy ends
itself, with a certificate for `host` issued by a throw-away `trustme` CA, so a client that
trusts that CA (SSL_CERT_FILE) sees a valid https://host. Requests are routed as in
tests/servers.py: by `host + path` (the port only when not the scheme's default), then by path;
anything else answers 404. Nothing is forwarded: no traffic leaves the machine.
"""
from __future__ import annotations

import os
import socket
import ssl
import tempfile
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Callable, Mapping
from urllib.parse import urlsplit

import trustme

from .servers import Reply, Request, Server, answer, running


class ProxyServer(Server):
    """A `Server` reached as a proxy; `tunnels` records the CONNECT targets in order."""

    def __init__(self, routes: Mapping[str, Callable[[Request], Reply]], ca: trustme.CA, ca_file: str) -> None:
        super().__init__(routes)
        self.ca = ca
        self.ca_file = ca_file
        self.tunnels: list[str] = []
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context with a certificate for `host`, made once per host."""
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self.ca.issue_cert(host).configure_cert(context)
                self._contexts[host] = context
            return context

    def environ(self) -> dict[str, str]:
        """The environment a client needs to go through this proxy and trust its certificates.

        Loopback is excluded (no_proxy), as users exclude internal hosts, so a test's other
        loopback servers are reached directly.
        """
        return {"https_proxy": self.url, "http_proxy": self.url, "HTTPS_PROXY": self.url,
                "HTTP_PROXY": self.url, "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost",
                "SSL_CERT_FILE": self.ca_file, "REQUESTS_CA_BUNDLE": self.ca_file}


def _handler_class(server: ProxyServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        tunnel_host = ""  # set once a CONNECT tunnel is open: the host every later request is for
        tls: ssl.SSLSocket | None = None

        def do_CONNECT(self) -> None:
            host, _, port = self.path.rpartition(":")
            if not host or not port.isdigit():
                self.send_error(400, "CONNECT needs host:port")
                return
            server.tunnels.append(self.path)
            self.send_response(200, "Connection Established")
            self.end_headers()
            self.wfile.flush()
            try:
                tls = server.context_for(host).wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                # the client refused our certificate (it does not trust the test CA): nothing to serve
                self.close_connection = True
                return
            # From here on the same connection carries HTTP inside TLS; handle() keeps reading it.
            self.connection = self.tls = tls
            self.rfile = tls.makefile("rb")
            self.wfile = tls.makefile("wb")
            self.tunnel_host = host if port == "443" else self.path
            self.close_connection = False

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            if self.tunnel_host:
                host = self.tunnel_host
            elif parts.scheme:
                host = parts.netloc[:-3] if parts.scheme == "http" and parts.netloc.endswith(":80") else parts.netloc
            else:
                host = self.headers.get("Host", "")
            answer(self, server, host)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, ssl.SSLError, socket.timeout):
                pass  # a client that hangs up mid-request is not the test's concern

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                if self.tls is not None:  # the server closes only the plain socket it accepted
                    self.tls.close()

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    return Handler


@contextmanager
def proxy(routes: Mapping[str, Callable[[Request], Reply]]):
    """Run the proxy for `routes` during the `with` block; yields the `ProxyServer`.

    The CA bundle is written to a temporary file that lives as long as the block.
    """
    ca = trustme.CA()
    with tempfile.TemporaryDirectory(prefix="resolver-proxy-") as folder:
        ca_file = os.path.join(folder, "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        server = ProxyServer(routes, ca, ca_file)
        with running(server, _handler_class(server)):
            yield server
