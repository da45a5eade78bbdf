"""A fake Cloudify manager on loopback: the plugin endpoints of the REST API v3.1, as REGISTRY.md §2.1-2.2
describes them, over tests/servers.py.

    manager = FakeManager(corpus_plugins(CORPUS / "plugins"))
    with manager.serve() as server:        # server.url, server.requests
        ...

What it serves (paths under /api/v3.1; anything else answers 404, as a server that is no manager):

* `GET /plugins`: every query argument not starting with `_` is an exact-equality filter on a
  response field (repeated values OR-ed, different keys AND-ed); an unknown key answers 400 with
  the manager's message. `_include=f1,f2`, `_sort=field` / `-field` (repeatable), `_size`
  (default 1000) and `_offset`. The answer is `{"items", "metadata": {"pagination": {"total",
  "size", "offset"}, "filtered": null}}`, rows in upload order unless sorted.
* `GET /plugins/<id>` (404 with the manager's message when it is not visible) and
  `GET /plugins/<id>/yaml[?dsl_version=1_4]`: the file algorithm A of §1.4 picks among the
  stored files, listed in sorted order (as S3 storage lists them); 404 when it picks none.

Every request is authenticated as a manager does: an `Authentication-Token` header, or HTTP
Basic; 401 otherwise. The `Tenant` header (default `default_tenant`) must be one the user belongs
to, else 403; a tenant sees its own plugins and every `global` one.

Failures can be injected: `fail(status, times)` answers the next requests with that status and a
manager-shaped error body; `delay` seconds are slept before each answer (for time-outs).
Unlike a real manager, the fake stores the YAML files as uploaded: it does not generate the
`plugin_1_3.yaml` a manager writes on upload when none was given (§5.3).
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Mapping

import attrs

from .servers import Reply, Request, serve

API = "/api/v3.1"
DEFAULT_TENANT = "default_tenant"
USERS = {"admin": "admin-secret-pw", "viewer": "viewer-secret-pw"}
TOKENS = {"tok-admin-5ecret": "admin"}
MEMBERSHIPS = {"admin": frozenset({DEFAULT_TENANT, "team-b"}), "viewer": frozenset({DEFAULT_TENANT})}

# the fields of a plugin row (REGISTRY.md §2.1), which are also the keys a filter may name
FIELDS = (
    "id", "package_name", "archive_name", "package_source", "package_version", "supported_platform",
    "supported_py_versions", "distribution", "distribution_version", "distribution_release", "wheels",
    "excluded_wheels", "uploaded_at", "created_by", "title", "tenant_name", "visibility",
    "resource_availability", "private_resource", "yaml_url_path", "file_server_path", "blueprint_labels",
    "labels", "resource_tags", "installation_state", "yaml_files_paths",
)
_VERSIONED = re.compile(r"_(\d_\d+)\.yaml$")


@attrs.frozen
class StoredPlugin:
    """One uploaded plugin: its row as the API shows it and its YAML files as stored."""

    row: Mapping = attrs.field(converter=lambda r: dict(r))
    files: tuple[tuple[str, bytes], ...]

    @property
    def id(self) -> str:
        return self.row["id"]


def plugin(package_name: str, version: str, files: Mapping[str, str | bytes], *, index: int = 0,
           distribution: str | None = None, distribution_release: str | None = None,
           tenant: str = DEFAULT_TENANT, visibility: str = "tenant", list_yaml_paths: bool = True,
           plugin_id: str | None = None) -> StoredPlugin:
    """A plugin as a manager stores it after an upload of a wagon plus `files`.

    `index` orders uploads (it sets `uploaded_at`); `list_yaml_paths=False` leaves out
    `yaml_files_paths`, as older managers do.
    """
    plugin_id = plugin_id or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                            f"fake-manager/{tenant}/{package_name}/{version}/{distribution}"))
    wheel_name = package_name.replace("-", "_")
    platform = "linux_x86_64" if distribution else "any"
    archive = f"{wheel_name}-{version}-py3-none-{platform}" + (f"-{distribution}-{distribution_release}"
                                                              if distribution else "") + ".wgn"
    stored = tuple((name, text.encode("utf-8") if isinstance(text, str) else text)
                   for name, text in sorted(files.items()))
    row = {
        "id": plugin_id, "package_name": package_name, "archive_name": archive, "package_source": package_name,
        "package_version": version, "supported_platform": platform, "supported_py_versions": ["py311"],
        "distribution": distribution, "distribution_version": None,
        "distribution_release": distribution_release, "wheels": [f"{wheel_name}-{version}-py3-none-any.whl"],
        "excluded_wheels": None, "uploaded_at": f"2024-01-01T00:{index // 60 % 60:02d}:{index % 60:02d}.000Z",
        "created_by": "admin", "title": package_name, "tenant_name": tenant, "visibility": visibility,
        "resource_availability": visibility, "private_resource": visibility == "private",
        "yaml_url_path": f"plugin:{package_name}?version={version}&distribution={distribution}",
        "file_server_path": "", "blueprint_labels": None, "labels": None, "resource_tags": None,
        "installation_state": [],
    }
    if list_yaml_paths:
        row["yaml_files_paths"] = [f"plugins/{plugin_id}/{name}" for name, _ in stored]
    return StoredPlugin(row=row, files=stored)


def corpus_plugins(root: Path) -> list[StoredPlugin]:
    """Every `<package>/<version>/*.yaml` under `root` uploaded once, in sorted folder order."""
    out = []
    for package in sorted(p for p in root.iterdir() if p.is_dir()):
        for version in sorted(p for p in package.iterdir() if p.is_dir()):
            files = {f.name: f.read_bytes() for f in version.iterdir() if f.name.endswith(".yaml")}
            out.append(plugin(package.name, version.name, files, index=len(out)))
    return out


def pick_yaml(names: Iterable[str], dsl_version: str | None) -> str:
    """Algorithm A of REGISTRY.md §1.4 over `names` in storage order; '' when it picks none."""
    names = list(names)
    if dsl_version:
        for name in names:
            if name.endswith(f"{dsl_version}.yaml"):
                return name
    versioned = [(m.group(1), name) for name in names for m in [_VERSIONED.search(name)] if m]
    unversioned = [name for name in names if not _VERSIONED.search(name)]
    if dsl_version:
        versioned = [(key, name) for key, name in versioned if key <= dsl_version]
    if versioned:
        top = max(key for key, _ in versioned)
        return next(name for key, name in versioned if key == top)
    return unversioned[0] if unversioned else ""


def _error(status: int, message: str, error_code: str) -> Reply:
    body = json.dumps({"message": message, "error_code": error_code, "server_traceback": None}).encode()
    return Reply(status, body, (("Content-Type", "application/json"),))


def _json(data) -> Reply:
    return Reply(200, json.dumps(data).encode("utf-8"), (("Content-Type", "application/json"),))


class FakeManager:
    """The plugin endpoints of one manager (see the module docstring). Thread-safe."""

    def __init__(self, plugins: Iterable[StoredPlugin], *, users: Mapping[str, str] = USERS,
                 tokens: Mapping[str, str] = TOKENS, memberships: Mapping[str, frozenset] = MEMBERSHIPS) -> None:
        self.plugins = list(plugins)
        self.users = dict(users)
        self.tokens = dict(tokens)
        self.memberships = dict(memberships)
        self.delay = 0.0
        self._failures: list[Reply] = []
        self._lock = threading.Lock()

    @contextmanager
    def serve(self):
        """Serve on loopback during the `with` block; yields the tests/servers.py `Server`."""
        routes = {f"{API}/plugins": self._guarded(self._list)}
        for stored in self.plugins:
            routes[f"{API}/plugins/{stored.id}"] = self._guarded(self._get, stored)
            routes[f"{API}/plugins/{stored.id}/yaml"] = self._guarded(self._yaml, stored)
        with serve(routes) as server:
            yield server

    def fail(self, status: int, times: int = 1, message: str = "injected failure",
             error_code: str = "internal_server_error") -> None:
        """Answer the next `times` requests with `status` and a manager error body."""
        with self._lock:
            self._failures.extend(_error(status, message, error_code) for _ in range(times))

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
        self.delay = 0.0

    # -- the request path -----------------------------------------------------------------
    def _guarded(self, handler, *args):
        def route(request: Request) -> Reply:
            if self.delay:
                time.sleep(self.delay)
            with self._lock:
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                return failure
            user = self._user(request)
            if user is None:
                return _error(401, "User unauthorized: no valid token or user and password", "unauthorized_error")
            tenant = request.headers.get("tenant") or DEFAULT_TENANT
            if tenant not in self.memberships.get(user, ()):
                return _error(403, f"User `{user}` is not permitted to perform the action plugin_list in the "
                                   f"tenant `{tenant}`", "forbidden_error")
            return handler(request, tenant, *args)
        return route

    def _user(self, request: Request) -> str | None:
        token = request.headers.get("authentication-token")
        if token is not None:
            return self.tokens.get(token)
        basic = request.headers.get("authorization", "")
        if not basic.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(basic[6:]).decode("utf-8").partition(":")
        except ValueError:
            return None
        return user if self.users.get(user) == password and password else None

    @staticmethod
    def _sees(tenant: str, stored: StoredPlugin) -> bool:
        return stored.row["tenant_name"] == tenant or stored.row["visibility"] == "global"

    @staticmethod
    def _include(request: Request, row: Mapping) -> dict | Reply:
        wanted = [f for value in request.query.get("_include", ()) for f in value.split(",") if f]
        unknown = [f for f in wanted if f not in FIELDS]
        if unknown:
            return _error(400, f"Unknown _include fields: {unknown}", "bad_parameters_error")
        return {f: row.get(f) for f in wanted} if wanted else dict(row)

    def _list(self, request: Request, tenant: str) -> Reply:
        filters = {k: v for k, v in request.query.items() if not k.startswith("_")}
        unknown = sorted(set(filters) - set(FIELDS))
        if unknown:
            return _error(400, f"Filter keys '{unknown}' do not exist. Allowed keys are: {list(FIELDS)}",
                          "bad_parameters_error")
        try:
            size = int(request.query.get("_size", ["1000"])[0])
            offset = int(request.query.get("_offset", ["0"])[0])
        except ValueError:
            return _error(400, "_size and _offset must be integers", "bad_parameters_error")
        if size < 0 or offset < 0:
            return _error(400, "_size and _offset must not be negative", "bad_parameters_error")
        rows = [p.row for p in self.plugins if self._sees(tenant, p)
                and all(p.row.get(key) in values for key, values in filters.items())]
        for sort in reversed(request.query.get("_sort", [])):
            field = sort.lstrip("-")
            if field not in FIELDS:
                return _error(400, f"Invalid sort key: {field}", "bad_parameters_error")
            rows = sorted(rows, key=lambda r: (r.get(field) is not None, str(r.get(field))),
                          reverse=sort.startswith("-"))
        items = []
        for row in rows[offset:offset + size]:
            item = self._include(request, row)
            if isinstance(item, Reply):
                return item
            items.append(item)
        return _json({"items": items, "metadata": {"pagination": {"total": len(rows), "size": size,
                                                                  "offset": offset}, "filtered": None}})

    def _get(self, request: Request, tenant: str, stored: StoredPlugin) -> Reply:
        if not self._sees(tenant, stored):
            return _error(404, f"Requested `Plugin` with ID `{stored.id}` was not found", "not_found_error")
        item = self._include(request, stored.row)
        return item if isinstance(item, Reply) else _json(item)

    def _yaml(self, request: Request, tenant: str, stored: StoredPlugin) -> Reply:
        if not self._sees(tenant, stored):
            return _error(404, f"Requested `Plugin` with ID `{stored.id}` was not found", "not_found_error")
        dsl = (request.query.get("dsl_version") or [None])[0]
        name = pick_yaml((n for n, _ in stored.files), dsl)
        if not name:
            return _error(404, f"No plugin yaml found for plugin {stored.id} and dsl version {dsl}",
                          "not_found_error")
        body = dict(stored.files)[name]
        return Reply(200, body, (("Content-Type", "application/octet-stream"),
                                 ("Content-Disposition", f"attachment; filename={name}")))
