"""A stand-in for the plugin marketplace API on loopback, serving plugins the test chooses.

    releases = corpus_releases(CORPUS / "plugins", ["cloudify-aws-plugin"])   # from the corpus
    releases = {"demo-plugin": [Release("1.0", {"plugin.yaml": TEXT}, wagons=MANYLINUX)]}
    with marketplace(releases) as market:
        market.url                                   # the --marketplace-url
        market.yaml_url("demo-plugin", "1.0", "plugin.yaml")
        market.requests                              # every request seen (tests/servers.py)

It answers what a manager's auto-upload and `registry sync` read (REGISTRY.md §4.2):
`GET /plugins[?name=]` and `GET /plugins/<id>/versions` (`{items, metadata.pagination}`; with
`page_size` the lists come in pages followed by `_offset`), `GET /plugins/<id>/<version>`; the
YAML files at `/files/<package>/<version>/<file>` (the `yaml_urls` point back there), and a
small placeholder body at each wagon URL `/wagons/<package>/<version>/<file>.wgn`.
Plugin ids are `p<n>` in the package order given. `extra_routes` adds routes of other sites
(e.g. the types files), as tests/servers.py routes them.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Mapping, Sequence
from urllib.parse import quote

import attrs

from .servers import Reply, Request, json_reply, serve

MANYLINUX = (("manylinux", "x86_64"),)
CENTOS = (("Centos Core", "x86_64"),)

_DSL_OF_FILE = {"plugin.yaml": "cloudify_dsl_1_3", "v2_plugin.yaml": "cloudify_dsl_1_4"}
_VERSIONED = re.compile(r"_(\d_\d+)\.yaml$")


def dsl_version_of(file_name: str) -> str:
    """The `dsl_version` the marketplace publishes a YAML file under (REGISTRY.md §4.2 fixtures)."""
    if file_name in _DSL_OF_FILE:
        return _DSL_OF_FILE[file_name]
    match = _VERSIONED.search(file_name)
    return f"cloudify_dsl_{match.group(1)}" if match else "cloudify_dsl_1_3"


@attrs.frozen
class Release:
    """One version as the marketplace lists it.

    `files`: {YAML file name: text, bytes or a Path read when asked}, listed in this order.
    `wagons`: (release, arch) pairs, e.g. ("manylinux", "x86_64"), ("Centos Core", "x86_64").
    `yaml_urls`: when given, the `yaml_urls` entries as written (dicts), instead of ones made from
    `files` (to serve odd shapes: absolute URLs, shared names, missing keys).
    """

    version: str
    files: Mapping[str, object] = attrs.field(factory=dict)
    wagons: Sequence[tuple[str, str]] = MANYLINUX
    yaml_urls: Sequence[dict] | None = None


def corpus_releases(plugins_root: str | os.PathLike, packages: Sequence[str] | None = None, *,
                    wagons: Sequence[tuple[str, str]] = MANYLINUX) -> dict[str, list[Release]]:
    """Releases made from a directory registry (`<package>/<version>/*.yaml`), files read lazily.

    Versions are listed in the directory registry's order (sorted folder names), so that ties
    break the same way; every version gets `wagons`.
    """
    root = Path(plugins_root)
    names = packages if packages is not None else sorted(
        p.name for p in root.iterdir() if p.is_dir())
    out: dict[str, list[Release]] = {}
    for name in names:
        releases = []
        for vdir in sorted(p for p in (root / name).iterdir() if p.is_dir()):
            files = {f.name: f for f in sorted(vdir.iterdir()) if f.name.endswith(".yaml")}
            releases.append(Release(vdir.name, files, wagons=tuple(wagons)))
        out[name] = releases
    return out


class Marketplace:
    """The served data and its URLs; `server` is the running tests/servers.Server."""

    def __init__(self, releases: Mapping[str, Sequence[Release]], page_size: int | None) -> None:
        self.releases = {name: list(items) for name, items in releases.items()}
        self.page_size = page_size
        self.ids = {name: f"p{index}" for index, name in enumerate(self.releases, 1)}
        self.server = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def yaml_url(self, package: str, version: str, file_name: str) -> str:
        return f"{self.url}/files/{quote(package)}/{quote(version)}/{quote(file_name)}"

    def wagon_url(self, package: str, version: str, release: str, arch: str) -> str:
        build = release.replace(" ", "-")
        return f"{self.url}/wagons/{quote(package)}/{quote(version)}/{package.replace('-', '_')}-{version}-{build}" \
               f"-py311-none-linux_{arch}.wgn"

    def version_item(self, package: str, release: Release) -> dict:
        yaml_urls = release.yaml_urls if release.yaml_urls is not None else [
            {"dsl_version": dsl_version_of(name), "url": self.yaml_url(package, release.version, name)}
            for name in release.files]
        return {"version": release.version, "plugin_name": package, "yaml_urls": list(yaml_urls),
                "wagon_urls": [{"release": rel, "arch": arch, "file_size": 1024,
                                "url": self.wagon_url(package, release.version, rel, arch)}
                               for rel, arch in release.wagons]}

    def plugin_item(self, package: str) -> dict:
        return {"id": self.ids[package], "name": package, "display_name": package,
                "logo_url": f"{self.url}/logos/{package}.png", "description": f"{package} (stand-in)"}

    def page(self, items: list, request: Request) -> Reply:
        offset = int((request.query.get("_offset") or ["0"])[0])
        if self.page_size is None:
            chosen, size = items, len(items)
        else:
            chosen, size = items[offset:offset + self.page_size], self.page_size
        return json_reply({"items": chosen, "metadata": {
            "pagination": {"total": len(items), "size": size, "offset": offset}}})(request)

    def routes(self) -> dict[str, Callable[[Request], Reply]]:
        routes: dict[str, Callable[[Request], Reply]] = {}

        def plugins(request: Request) -> Reply:
            names = request.query.get("name")
            chosen = [n for n in self.releases if not names or n in names]
            return self.page([self.plugin_item(n) for n in chosen], request)

        routes["/plugins"] = plugins
        for package, releases in self.releases.items():
            base = f"/plugins/{self.ids[package]}"
            routes[f"{base}/versions"] = (
                lambda request, package=package, releases=releases:
                self.page([self.version_item(package, r) for r in releases], request))
            for release in releases:
                routes[f"{base}/{release.version}"] = (
                    lambda request, package=package, release=release:
                    json_reply(self.version_item(package, release))(request))
                for name, content in release.files.items():
                    routes[f"/files/{quote(package)}/{quote(release.version)}/{quote(name)}"] = _file_reply(content)
                for rel, arch in release.wagons:
                    path = self.wagon_url(package, release.version, rel, arch)[len(self.url):]
                    routes[path] = _file_reply(b"not a real wagon")
        return routes


def _file_reply(content) -> Callable[[Request], Reply]:
    def reply(request: Request) -> Reply:
        body = content.read_bytes() if isinstance(content, Path) else (
            content.encode("utf-8") if isinstance(content, str) else bytes(content))
        return Reply(200, body, (("Content-Type", "text/yaml"),))

    return reply


@contextmanager
def marketplace(releases: Mapping[str, Sequence[Release]], *, page_size: int | None = None,
                extra_routes: Mapping[str, Callable[[Request], Reply]] | None = None):
    """Serve `releases` as the marketplace API during the `with` block; yields the `Marketplace`.

    The routes are made once the server listens, because its answers hold absolute URLs.
    """
    market = Marketplace(releases, page_size)
    with serve({}) as server:
        market.server = server
        server.routes.update(market.routes())
        server.routes.update(extra_routes or {})
        yield market
