"""A new user's first run (issue 6, first "Done when"), played with the real CLI in subprocesses.

A fresh machine: an empty cache (RESOLVER_CACHE) and an empty HOME. The public sites are
loopback stand-ins serving ../shared/corpus: the plugin marketplace API (tests/marketplace_server.py,
reached with `--marketplace-url`) and the Cloudify types site https://cloudify.co (and
http://www.getcloudify.org), reached through an HTTP(S) proxy setting (tests/proxy.py), as users
behind a proxy have. On a copy of a corpus blueprint that imports the Cloudify types and a
`plugin:` package:

1. `resolver --online --marketplace-url URL -f json blueprint.yaml`
2. the servers stopped: `resolver -f json blueprint.yaml`, no options at all, same cache

Both must give the plan the corpus registry gives (`-r corpus/plugins --import-rules
corpus/import-rules.yaml --search-path corpus/types --no-cache`, the corpus README's command).

Compared: the whole plan except, in each `imports` entry, the fields that say where a file was
read and not what it holds: `resolved` (a corpus path in one run, the types site's URL or the
cache's registry folder in the others), `via` (rule/file in the corpus run, network/registry
online, types/registry offline), `types_version` (present only when the types lookup answered,
which the corpus run's rules pre-empt), and for a `plugin:` import `registry` (the source's name) and `candidates` (what that
source offered: every corpus version, the marketplace's versions with their wagons, or the one
version the cache holds offline). Every other field, including each import as written, its
namespace, specifier and distributions, and the package name, version and YAML file of each
`plugin:` import, must be equal; so must the version the candidates mark as chosen.

The types site serves the manager's resources copy (corpus types/cloudify/types/, with its
types_1_3 and types_1_4 variants) as DEFAULT_MANAGER_VERSION, which is what the corpus run reads
for `cloudify/types/types.yaml`, and each version folder types/cloudify/<ver>/ at its spec URLs.
Every marketplace version gets a manylinux wagon, so the marketplace's auto-upload choice
(REGISTRY.md §1.5) is the newest version in the specifier, as the corpus registry's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resolver.types import DEFAULT_MANAGER_VERSION

from .conftest import REPO
from .marketplace_server import corpus_releases, marketplace
from .proxy import proxy
from .servers import text_reply

CORPUS = (REPO.parent / "shared" / "corpus").resolve()
TYPES = CORPUS / "types" / "cloudify"
SPEC_HOSTS = ("cloudify.co", "www.cloudify.co", "getcloudify.org", "www.getcloudify.org")
# Fields of an `imports` entry that say where a file came from (see the module doc).
WHERE_FIELDS = ("resolved", "via", "types_version", "registry", "candidates")
# Proxy settings any user might have: the runs must set their own and inherit none.
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                   "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")

# (corpus blueprint folder, main file, DSL version, the plugin package it imports)
BLUEPRINTS = [
    pytest.param("blueprints/cloudify-community/blueprint-examples/aws-example-network", "blueprint.yaml",
                 "cloudify_dsl_1_5", "cloudify-aws-plugin", id="1_5-resources-types"),
    pytest.param("blueprints/cloudify-community/cloudify-catalog/tabs/aws/network", "blueprint.yaml",
                 "cloudify_dsl_1_4", "cloudify-aws-plugin", id="1_4-resources-types_1_4"),
    pytest.param("blueprints/cloudify-community/cloudify-remediations/change_instance_state/AWS",
                 "start-blueprint.yaml", "cloudify_dsl_1_3", "cloudify-aws-plugin",
                 id="1_3-spec-url-derived-plugin_1_3"),
]

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus beside the repository")


def types_site():
    """Routes for the types site on every spec host: the resources copy as the default version,
    and each corpus version folder at its own URL."""
    files = {f"{DEFAULT_MANAGER_VERSION}/{path.name}": path for path in sorted((TYPES / "types").glob("*.yaml"))}
    for folder in sorted(TYPES.iterdir()):
        if folder.name != "types":
            files.update({f"{folder.name}/{path.name}": path for path in sorted(folder.glob("*.yaml"))})
    return {f"{host}/spec/cloudify/{name}": text_reply(path.read_bytes())
            for host in SPEC_HOSTS for name, path in files.items()}


def run_cli(args, cwd: Path, environ: dict) -> dict:
    """`python -m resolver ARGS` in `cwd`; the JSON report's only result."""
    done = subprocess.run([sys.executable, "-m", "resolver", *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    (result,) = json.loads(done.stdout)["results"]
    return result


def fresh_machine(tmp_path: Path) -> dict:
    """This process's environment without any proxy or cache setting, HOME and caches in tmp."""
    environ = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    home = tmp_path / "home"
    home.mkdir()
    environ.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), RESOLVER_CACHE=str(tmp_path / "cache"),
                   NO_COLOR="1")
    return environ


def what(plan: dict) -> dict:
    """The plan without the fields that name where files were read (see the module doc)."""
    out = dict(plan)
    out["imports"] = [{k: v for k, v in entry.items() if k not in WHERE_FIELDS} for entry in plan["imports"]]
    return out


def chosen(entry: dict) -> list[str]:
    return [c["version"] for c in entry.get("candidates", ()) if c["verdict"] == "chosen"]


@pytest.mark.parametrize("folder, main, dsl_version, package", BLUEPRINTS)
def test_online_once_then_offline_with_no_options_gives_the_corpus_plan(tmp_path, folder, main, dsl_version,
                                                                         package):
    work = tmp_path / "project"
    shutil.copytree(CORPUS / folder, work)
    environ = fresh_machine(tmp_path)

    corpus_run = run_cli(["-f", "json", "-r", str(CORPUS / "plugins"), "--import-rules",
                          str(CORPUS / "import-rules.yaml"), "--search-path", str(CORPUS / "types"), "--no-cache",
                          main], work, environ)
    assert corpus_run["ok"], corpus_run["problems"]
    expected = corpus_run["plan"]
    assert expected["dsl_version"] == dsl_version
    (plugin_entry,) = [e for e in expected["imports"] if e.get("package_name") == package]

    releases = corpus_releases(CORPUS / "plugins")
    with marketplace(releases) as market, proxy(types_site()) as site:
        online_env = {**environ, **site.environ()}
        online = run_cli(["--online", "--allow-private-addresses", "--marketplace-url", market.url, "-f", "json", main], work, online_env)
        # the sites were really asked: the plugin of the marketplace, the types through the proxy
        assert any(r.path.startswith(f"/files/{package}/") for r in market.requests)
        assert any(r.path.startswith("/spec/cloudify/") for r in site.requests)
        assert all(tunnel.endswith(":443") for tunnel in site.tunnels) and site.tunnels
    assert online["ok"], online["problems"]

    # The servers are gone; the proxy setting stays and points nowhere, so any network use fails.
    offline = run_cli(["-f", "json", main], work, {**environ, **{k: v for k, v in site.environ().items()
                                                                if k != "SSL_CERT_FILE"}})
    assert offline["ok"], offline["problems"]

    assert what(online["plan"]) == what(expected)
    assert what(offline["plan"]) == what(expected)
    for plan in (online["plan"], offline["plan"]):
        (entry,) = [e for e in plan["imports"] if e.get("package_name") == package]
        assert (entry["package_version"], entry["yaml_file"]) == (plugin_entry["package_version"],
                                                                   plugin_entry["yaml_file"])
        assert chosen(entry) == chosen(plugin_entry) == [plugin_entry["package_version"]]
        assert len([e for e in plan["imports"] if "types_version" in e]) == 1
    # offline, everything came from the cache's registry folder, none from the network
    cache_registry = Path(environ["RESOLVER_CACHE"]) / "registry"
    assert all((work / e["resolved"]).resolve().is_relative_to(cache_registry.resolve())
               for e in offline["plan"]["imports"]), offline["plan"]["imports"]
