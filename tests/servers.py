"""Real HTTP servers on loopback for the network tests: one small route table per test.

    with serve({"/plugins": json_reply({...})}) as server:
        server.url            # http://127.0.0.1:PORT
        server.requests       # every request seen: Request(method, path, query, headers)

A route maps a path (without the query) to a function `(request) -> Reply`; a path not in the
table answers 404. Requests with an absolute URI (what a client sends to an HTTP proxy) are
routed by `host + path` first (e.g. "www.getcloudify.org/spec/cloudify/6.4.0/types.yaml"), then
by path, so one server can stand in for several public sites behind a proxy setting.
The server runs in a daemon thread and stops when the `with` block ends.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.frozen
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    host: str = ""
    body: bytes = b""


@attrs.frozen
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(data, status: int = 200) -> Callable[[Request], Reply]:
    body = json.dumps(data).encode("utf-8")
    return lambda request: Reply(status, body, (("Content-Type", "application/json"),))


def text_reply(text: str | bytes, status: int = 200) -> Callable[[Request], Reply]:
    body = text if isinstance(text, bytes) else text.encode("utf-8")
    return lambda request: Reply(status, body, (("Content-Type", "text/plain"),))


class Server:
    def __init__(self, routes: Mapping[str, Callable[[Request], Reply]]) -> None:
        self.routes = dict(routes)
        self.requests: list[Request] = []
        self.url = ""

    def route(self, request: Request) -> Reply:
        self.requests.append(request)
        handler = self.routes.get(request.host + request.path) if request.host else None
        handler = handler or self.routes.get(request.path)
        if handler is None:
            return Reply(404, b'{"message": "not found"}', (("Content-Type", "application/json"),))
        return handler(request)


def answer(handler: BaseHTTPRequestHandler, server: Server, host: str) -> None:
    """Read the request `handler` holds, route it through `server` as for `host`, write the reply."""
    parts = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    request = Request(method=handler.command, path=parts.path or "/", query=parse_qs(parts.query),
                      headers={k.lower(): v for k, v in handler.headers.items()}, host=host, body=body)
    reply = server.route(request)
    handler.send_response(reply.status)
    for name, value in reply.headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(reply.body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(reply.body)


def _handler_class(server: Server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            answer(self, server, parts.netloc if parts.scheme else "")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    return Handler


@contextmanager
def serve(routes: Mapping[str, Callable[[Request], Reply]]):
    """Run a loopback server for `routes` during the `with` block; yields the `Server`."""
    server = Server(routes)
    with running(server, _handler_class(server)):
        yield server


@contextmanager
def running(server: Server, handler_class):
    """Serve `server` on a loopback port with `handler_class` in a thread, `server.url` set, for
    the `with` block (the plain server above, and tests/proxy.py's proxy)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
