"""A manager's REST API as a plugin source (resolver/registry/manager.py), against a fake manager on loopback.

The fake (tests/manager_server.py) serves the manager's shapes; the official REST client from the
reference venv is pointed at it first, to show the fake speaks the manager's protocol. Then the
registry: paging, listing order and ties, distributions, credentials and tenants, every error
code, retries, time-outs, the cache and offline reuse, and the corpus claim: for every `plugin:`
import of the corpus, the manager source picks the same version and YAML file (and bytes) as a
directory registry of the same plugins; and tests/test_version_choice.py's table of import lines
through the whole pipeline with the manager as the source.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bench.reference import INSTALL_HINT, find_python
from resolver import Resolver, records
from resolver.cache import Cache
from resolver.net import Http, NetOptions
from resolver.registry import DirectoryRegistry, RegistryError, choose_yaml, explain, parse_plugin_import, select
from resolver.registry.manager import ManagerRegistry
from resolver.registry.sources import ManagerAuth, SourceContext, open_source

from .conftest import BASIC_TYPES, REPO, write_tree
from .corpus import corpus_plugin_imports
from .manager_server import DEFAULT_TENANT, TOKENS, USERS, FakeManager, corpus_plugins, plugin
from .servers import json_reply, serve, text_reply
from .test_version_choice import CASES as CHOICE_CASES, PACKAGE as CHOSEN, STORED, check_case, plugin_yaml

CORPUS = REPO.parent / "shared" / "corpus"
PLUGINS = CORPUS / "plugins"
ADMIN = ManagerAuth(username="admin", password=USERS["admin"])
TOKEN = next(iter(TOKENS))
FAST = dict(retries=1, backoff=0.01, timeout=5.0)

PACKAGE = "cloudify-demo-plugin"
FILES = {"plugin.yaml": "plugins: {demo: {executor: central_deployment_agent}}\n# v1\n",
         "plugin_1_4.yaml": "plugins: {demo: {executor: central_deployment_agent}}\n# 1_4\n",
         "plugin_1_5.yaml": "plugins: {demo: {executor: central_deployment_agent}}\n# 1_5\n",
         "v2_plugin.yaml": "plugins: {demo: {executor: central_deployment_agent}}\n# v2\n"}
# upload order on purpose not version order: the listing (upload) order breaks ties
UPLOADS = [
    plugin(PACKAGE, "2.0", FILES, index=0, distribution="centos", distribution_release="core"),
    plugin(PACKAGE, "1.3.0", FILES, index=1, distribution="centos", distribution_release="core"),
    plugin(PACKAGE, "1.3", FILES, index=2, distribution="redhat", distribution_release="maipo"),
    plugin(PACKAGE, "2.0", FILES, index=3, distribution="redhat", distribution_release="maipo"),
    plugin(PACKAGE, "1.0", {"plugin_1_4.yaml": FILES["plugin_1_4.yaml"],
                            "plugin_1_5.yaml": FILES["plugin_1_5.yaml"]}, index=4),
    plugin(PACKAGE, "0.9", {"plugin.yaml": FILES["plugin.yaml"]}, index=5, list_yaml_paths=False),
    plugin(PACKAGE, "3.0", FILES, index=6, tenant="team-b"),
    plugin("cloudify-other-plugin", "1.0", FILES, index=7, tenant="team-b", visibility="global"),
]


def http(cache: Path | None = None, **options) -> Http:
    return Http(Cache(cache) if cache is not None else None, NetOptions(online=True, **{**FAST, "allow_private": True, **options}))


@pytest.fixture(scope="module")
def demo():
    manager = FakeManager(UPLOADS)
    with manager.serve() as server:
        yield manager, server


@pytest.fixture
def fake(demo):
    """The demo manager, its server, and a fresh request log; failures and delays reset after each test."""
    manager, server = demo
    server.requests.clear()
    yield manager, server
    manager.reset()


def registry(server, auth=ADMIN, cache=None, **kwargs) -> ManagerRegistry:
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in ("retries", "timeout", "backoff", "online")}
    return ManagerRegistry(server.url, http(cache, **options), auth, **kwargs)


# --- the official client against the fake -------------------------------------------------

CLIENT_SCRIPT = """
import json, sys
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import CloudifyClientError
port, user, password, token, package = sys.argv[1:6]
client = CloudifyClient(host="127.0.0.1", port=int(port), protocol="http", username=user, password=password,
                        tenant="default_tenant")
out = {}
page = client.plugins.list(package_name=package, _size=2, _offset=1)
out["page"] = [p.package_version for p in page]
out["pagination"] = dict(page.metadata.pagination)
everything = client.plugins.list(package_name=package, sort="uploaded_at", is_descending=True)
out["sorted"] = [p.package_version for p in everything]
redhat = client.plugins.list(package_name=package, distribution="redhat", _include=["id", "package_version"])
out["redhat"] = [sorted(p.keys()) for p in redhat] + [p.package_version for p in redhat]
one = client.plugins.get(page[0].id)
out["get"] = [one.package_name, one.package_version, one.distribution, one.archive_name, one.yaml_files_paths]
out["yaml_1_3"] = client.plugins.get_yaml(page[0].id, dsl_version="1_3")
out["yaml_1_5"] = client.plugins.get_yaml(page[0].id, dsl_version="1_5")
out["list_yaml_files"] = client.plugins.list_yaml_files(page[0].id, dsl_version="1_4")
try:
    client.plugins.list(package_name=package, colour="blue")
except CloudifyClientError as exc:
    out["bad_filter"] = [exc.status_code, exc.error_code, str(exc)]
by_token = CloudifyClient(host="127.0.0.1", port=int(port), protocol="http", token=token)
out["token"] = len(by_token.plugins.list(package_name=package))
wrong = CloudifyClient(host="127.0.0.1", port=int(port), protocol="http", username=user, password="nope")
try:
    wrong.plugins.list()
except CloudifyClientError as exc:
    out["wrong_password"] = [exc.status_code, exc.error_code]
elsewhere = CloudifyClient(host="127.0.0.1", port=int(port), protocol="http", username="viewer",
                           password=sys.argv[6], tenant="team-b")
try:
    elsewhere.plugins.list()
except CloudifyClientError as exc:
    out["other_tenant"] = [exc.status_code, exc.error_code]
print(json.dumps(out))
"""


def test_the_official_rest_client_speaks_to_the_fake_manager(fake):
    manager, server = fake
    python, why = find_python(REPO)
    # `make test` creates the reference venv; without it this proof cannot run, which is a failure
    assert python is not None, f"no reference venv with cloudify-common ({why}); run `make reference` " \
                               f"or: {INSTALL_HINT}"
    port = server.url.rsplit(":", 1)[1]
    run = subprocess.run([os.fspath(python), "-c", CLIENT_SCRIPT, port, "admin", USERS["admin"], TOKEN, PACKAGE,
                          USERS["viewer"]], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    # default_tenant sees rows 0-5 in upload order; 3.0 is team-b's, the other package is global
    assert out["page"] == ["1.3.0", "1.3"]
    assert out["pagination"] == {"total": 6, "size": 2, "offset": 1}
    assert out["sorted"] == ["0.9", "1.0", "2.0", "1.3", "1.3.0", "2.0"]
    assert out["redhat"] == [["id", "package_version"], ["id", "package_version"], "1.3", "2.0"]
    assert out["get"][:4] == [PACKAGE, "1.3.0", "centos",
                              "cloudify_demo_plugin-1.3.0-py3-none-linux_x86_64-centos-core.wgn"]
    assert [p.rsplit("/", 1)[1] for p in out["get"][4]] == sorted(FILES)
    assert out["yaml_1_3"] == FILES["plugin.yaml"]          # no 1_3 file: the first unversioned one
    assert out["yaml_1_5"] == FILES["plugin_1_5.yaml"]
    assert [p.rsplit("/", 1)[1] for p in out["list_yaml_files"]] == ["plugin_1_4.yaml"]
    status, error_code, message = out["bad_filter"]
    assert (status, error_code) == (400, "bad_parameters_error") and "colour" in message
    assert out["token"] == 6
    assert out["wrong_password"] == [401, "unauthorized_error"]
    assert out["other_tenant"] == [403, "forbidden_error"]
    sent = [r for r in server.requests if r.headers.get("tenant") == DEFAULT_TENANT]
    assert sent and all(r.headers["authorization"].startswith("Basic ") for r in sent)


# --- listing --------------------------------------------------------------------------------

def test_versions_read_every_page_in_the_managers_order(fake):
    manager, server = fake
    records = registry(server, page_size=2).versions(PACKAGE)
    assert [(r.version, r.distribution) for r in records] == [
        ("2.0", "centos"), ("1.3.0", "centos"), ("1.3", "redhat"), ("2.0", "redhat"), ("1.0", None), ("0.9", None)]
    pages = [r.query for r in server.requests if r.path == "/api/v3.1/plugins"]
    assert [(q["_offset"], q["_size"], q["package_name"]) for q in pages] == [
        (["0"], ["2"], [PACKAGE]), (["2"], ["2"], [PACKAGE]), (["4"], ["2"], [PACKAGE])]
    assert not any("_sort" in q for q in pages)  # the manager's default order is the upload order


def test_one_page_when_everything_fits(fake):
    manager, server = fake
    assert len(registry(server).versions(PACKAGE)) == 6
    assert len([r for r in server.requests if r.path == "/api/v3.1/plugins"]) == 1


def test_records_carry_the_rows_fields(fake):
    manager, server = fake
    first = registry(server).versions(PACKAGE)[0]
    assert first.location == f"{server.url}/api/v3.1/plugins/{UPLOADS[0].id}"
    assert first.yaml_files == tuple(sorted(FILES))
    assert (first.distribution, first.distribution_release, first.supported_platform) == \
           ("centos", "core", "linux_x86_64")
    assert first.archive_name == UPLOADS[0].row["archive_name"]


def test_ties_go_to_the_earliest_upload_and_distribution_filters(fake):
    manager, server = fake
    records = registry(server).versions(PACKAGE)
    chosen = select(parse_plugin_import(f"plugin:{PACKAGE}"), records)
    assert (chosen.version, chosen.distribution) == ("2.0", "centos")   # uploaded before redhat's 2.0
    redhat = explain(parse_plugin_import(f"plugin:{PACKAGE}?distribution=redhat"), records)
    assert (redhat.chosen.version, redhat.chosen.distribution) == ("2.0", "redhat")
    assert [c.verdict for c in redhat.candidates] == ["distribution", "distribution", "older", "chosen",
                                                      "distribution", "distribution"]
    equal = select(parse_plugin_import(f"plugin:{PACKAGE}?version===1.3"), records)
    assert equal.version == "1.3.0"                                      # 1.3 == 1.3.0; 1.3.0 came first


def test_a_tenant_sees_its_own_plugins_and_global_ones(fake):
    manager, server = fake
    team_b = registry(server, auth=ManagerAuth(username="admin", password=USERS["admin"], tenant="team-b"))
    assert [r.version for r in team_b.versions(PACKAGE)] == ["3.0"]
    assert team_b.packages() == ("cloudify-demo-plugin", "cloudify-other-plugin")
    assert registry(server).packages() == ("cloudify-demo-plugin", "cloudify-other-plugin")
    assert [r.headers.get("tenant") for r in server.requests] == ["team-b", "team-b", None]
    assert "team-b" in team_b.name


def test_packages_pages_and_asks_only_for_names(fake):
    manager, server = fake
    assert registry(server, page_size=3).packages() == ("cloudify-demo-plugin", "cloudify-other-plugin")
    queries = [r.query for r in server.requests]
    assert [q["_offset"] for q in queries] == [["0"], ["3"], ["6"]]
    assert all(q["_include"] == ["package_name"] for q in queries)


def test_an_unknown_package_has_no_versions(fake):
    manager, server = fake
    assert registry(server).versions("cloudify-absent-plugin") == ()


# --- the YAML ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dsl, name", [("1_3", "plugin.yaml"), ("1_4", "plugin_1_4.yaml"),
                                       ("1_5", "plugin_1_5.yaml"), ("1_6", "plugin_1_5.yaml")])
def test_read_for_dsl_is_the_managers_choice(fake, dsl, name):
    manager, server = fake
    record = registry(server).versions(PACKAGE)[0]
    assert registry(server).read_for_dsl(record, dsl) == (name, FILES[name])
    (asked,) = [r for r in server.requests if r.path.endswith("/yaml")]
    assert asked.query == {"dsl_version": [dsl]}


def test_no_yaml_for_the_dsl_version(fake):
    manager, server = fake
    source = registry(server)
    only_newer = source.versions(PACKAGE)[4]           # plugin_1_4 and plugin_1_5 only
    assert source.read_for_dsl(only_newer, "1_3") is None
    assert source.read_for_dsl(only_newer, "1_4") == ("plugin_1_4.yaml", FILES["plugin_1_4.yaml"])


def test_a_manager_that_lists_no_yaml_files_is_still_read_by_dsl_version(fake):
    manager, server = fake
    source = registry(server)
    bare = source.versions(PACKAGE)[5]
    assert bare.yaml_files == ()
    assert source.read_for_dsl(bare, "1_4") == ("yaml?dsl_version=1_4", FILES["plugin.yaml"])
    assert source.read(bare, "yaml?dsl_version=1_4") == FILES["plugin.yaml"]


def test_read_by_file_name_where_a_dsl_version_singles_it_out(fake):
    manager, server = fake
    source = registry(server)
    full, only_newer = source.versions(PACKAGE)[0], source.versions(PACKAGE)[4]
    assert source.read(full, "plugin_1_4.yaml") == FILES["plugin_1_4.yaml"]
    assert source.read(only_newer, "plugin_1_5.yaml") == FILES["plugin_1_5.yaml"]
    with pytest.raises(OSError, match="singles out plugin.yaml"):
        source.read(full, "plugin.yaml")               # v2_plugin.yaml is unversioned too
    with pytest.raises(OSError, match="no file"):
        source.read(full, "other.yaml")
    single = registry(server).versions("cloudify-other-plugin")  # global, seen from default_tenant
    assert source.read(single[0], "plugin_1_5.yaml") == FILES["plugin_1_5.yaml"]


def test_a_plugin_deleted_after_listing(fake):
    manager, server = fake
    source = registry(server)
    record = source.versions(PACKAGE)[0]
    gone = records.replace(record, location=record.location[:-36] + "0" * 36, yaml_files=())
    with pytest.raises(RegistryError) as caught:
        source.read_for_dsl(gone, "1_4")
    assert caught.value.code == "registry-not-found"
    assert "no longer holds" in caught.value.message


# --- credentials and tenants ------------------------------------------------------------------

def test_a_token_is_sent_as_the_official_client_sends_it(fake):
    manager, server = fake
    assert len(registry(server, auth=ManagerAuth(token=TOKEN, tenant=DEFAULT_TENANT)).versions(PACKAGE)) == 6
    (request,) = server.requests
    assert request.headers["authentication-token"] == TOKEN
    assert "authorization" not in request.headers
    assert request.headers["tenant"] == DEFAULT_TENANT


@pytest.mark.parametrize("auth, given", [
    (ManagerAuth(username="admin", password="wrong-pw-123"), "user admin and the password"),
    (ManagerAuth(username="admin"), "without a password"),
    (ManagerAuth(), "no credentials"),
    (ManagerAuth(token="not-a-token-456"), "the token"),
])
def test_refused_credentials(fake, auth, given):
    manager, server = fake
    source = registry(server, auth=auth)
    with pytest.raises(RegistryError) as caught:
        source.versions(PACKAGE)
    error = caught.value
    assert error.code == "registry-auth-failed"
    assert given in error.message and "unauthorized_error" in error.message
    assert "CLOUDIFY_TOKEN" in error.hint and "CLOUDIFY_PASSWORD" in error.hint and "--manager-user" in error.hint
    for secret in ("wrong-pw-123", "not-a-token-456"):
        assert secret not in error.message + error.hint + repr(source) + source.name
    assert len(server.requests) == 1                   # a refusal is not retried


def test_a_tenant_the_user_is_not_in(fake):
    manager, server = fake
    source = registry(server, auth=ManagerAuth(username="viewer", password=USERS["viewer"], tenant="team-b"))
    with pytest.raises(RegistryError) as caught:
        source.versions(PACKAGE)
    assert caught.value.code == "registry-forbidden"
    assert "tenant team-b" in caught.value.message
    assert "--manager-tenant" in caught.value.hint and "CLOUDIFY_TENANT" in caught.value.hint


def test_secrets_stay_out_of_the_cache_and_reprs(fake, tmp_path):
    manager, server = fake
    source = registry(server, cache=tmp_path, auth=ManagerAuth(token=TOKEN, username="admin",
                                                               password=USERS["admin"]))
    source.read_for_dsl(source.versions(PACKAGE)[0], "1_4")
    assert TOKEN not in repr(source) and USERS["admin"] not in repr(source)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and USERS["admin"].encode() not in data, path


def test_credentials_in_the_address_are_refused():
    with pytest.raises(RegistryError) as caught:
        ManagerRegistry("https://admin:pw-in-url@manager.example", http(), ADMIN)
    assert caught.value.code == "registry-auth-failed"
    assert "pw-in-url" not in caught.value.message + caught.value.hint


# --- failures -----------------------------------------------------------------------------------

def test_not_a_manager():
    with serve({"/": text_reply("hello")}) as server:
        with pytest.raises(RegistryError) as caught:
            ManagerRegistry(server.url, http(), ADMIN).versions(PACKAGE)
    assert caught.value.code == "registry-not-found"
    assert "is this a manager?" in caught.value.message and "/api/v3.1/plugins" in caught.value.message


@pytest.mark.parametrize("body", [{"plugins": []}, {"items": [], "metadata": {}}, [1, 2],
                                  {"items": [{"package_name": PACKAGE}], "metadata": {"pagination": {
                                      "total": 1, "size": 1000, "offset": 0}}}])
def test_answers_of_the_wrong_shape(body):
    with serve({"/api/v3.1/plugins": json_reply(body)}) as server:
        with pytest.raises(RegistryError) as caught:
            ManagerRegistry(server.url, http(), ADMIN).versions(PACKAGE)
    assert caught.value.code == "registry-bad-response"


def test_an_answer_that_is_not_json():
    with serve({"/api/v3.1/plugins": text_reply("<html>login</html>")}) as server:
        with pytest.raises(RegistryError) as caught:
            ManagerRegistry(server.url, http(), ADMIN).packages()
    assert caught.value.code == "registry-bad-response"


def test_a_server_that_ignores_the_offset():
    page = {"items": [{"id": "a", "package_name": PACKAGE, "package_version": "1.0"}],
            "metadata": {"pagination": {"total": 3, "size": 1, "offset": 0}}}
    with serve({"/api/v3.1/plugins": json_reply(page)}) as server:
        with pytest.raises(RegistryError) as caught:
            ManagerRegistry(server.url, http(), ADMIN, page_size=1).versions(PACKAGE)
    assert caught.value.code == "registry-bad-response" and "offset 0, not 1" in caught.value.message


def test_a_server_error_is_retried_then_answered(fake):
    manager, server = fake
    manager.fail(500)
    assert len(registry(server, retries=1).versions(PACKAGE)) == 6
    assert len(server.requests) == 2


def test_a_server_error_after_every_retry(fake):
    manager, server = fake
    manager.fail(503, times=3, message="database unavailable")
    with pytest.raises(RegistryError) as caught:
        registry(server, retries=2).versions(PACKAGE)
    assert caught.value.code == "registry-server-error"
    assert "503" in caught.value.message and "database unavailable" in caught.value.message
    assert len(server.requests) == 3


def test_a_refused_request_shows_the_managers_message_and_error_code(fake):
    manager, server = fake
    manager.fail(400, message="Filter keys '['package_name']' do not exist", error_code="bad_parameters_error")
    with pytest.raises(RegistryError) as caught:
        registry(server).versions(PACKAGE)
    assert caught.value.code == "registry-server-error"
    assert "do not exist" in caught.value.message and "[bad_parameters_error]" in caught.value.message
    assert len(server.requests) == 1


def test_unreachable():
    with socket.socket() as probe:                    # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RegistryError) as caught:
        ManagerRegistry(f"http://127.0.0.1:{port}", http(retries=0), ADMIN).versions(PACKAGE)
    assert caught.value.code == "registry-unreachable"
    assert caught.value.hint


def test_a_slow_manager_times_out_within_the_bound(fake):
    manager, server = fake
    manager.delay = 1.0
    started = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        registry(server, timeout=0.2, retries=1).versions(PACKAGE)
    elapsed = time.monotonic() - started
    assert caught.value.code == "registry-unreachable"
    assert elapsed < 0.95, elapsed                    # two attempts of 0.2 s, not one slow answer


# --- the cache ----------------------------------------------------------------------------------

def test_an_online_run_fills_the_cache_and_an_offline_run_reuses_it(fake, tmp_path):
    manager, server = fake
    online = registry(server, cache=tmp_path)
    records = online.versions(PACKAGE)
    answer = online.read_for_dsl(records[0], "1_4")
    assert online.read_for_dsl(records[4], "1_3") is None
    seen = len(server.requests)
    offline = ManagerRegistry(server.url, Http(Cache(tmp_path), NetOptions(online=False)), ADMIN)
    assert offline.versions(PACKAGE) == records
    assert offline.read_for_dsl(records[0], "1_4") == answer
    assert offline.read_for_dsl(records[4], "1_3") is None
    assert len(server.requests) == seen


def test_the_cache_key_holds_the_tenant(fake, tmp_path):
    manager, server = fake
    registry(server, cache=tmp_path).versions(PACKAGE)
    team_b = ManagerRegistry(server.url, Http(Cache(tmp_path), NetOptions(online=False)),
                             ManagerAuth(username="admin", password=USERS["admin"], tenant="team-b"))
    with pytest.raises(RegistryError) as caught:
        team_b.versions(PACKAGE)
    assert caught.value.code == "registry-offline"


def test_offline_with_nothing_cached(tmp_path):
    source = ManagerRegistry("https://manager.invalid", Http(Cache(tmp_path), NetOptions(online=False)), ADMIN)
    with pytest.raises(RegistryError) as caught:
        source.versions(PACKAGE)
    assert caught.value.code == "registry-offline" and "--online" in caught.value.hint


# --- how users name a manager ---------------------------------------------------------------------

@pytest.mark.parametrize("written, base", [
    ("manager+http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("https://manager.example", "https://manager.example"),
    ("https://manager.example/", "https://manager.example"),
    ("https://manager.example:8443/api/v3.1", "https://manager.example:8443"),
])
def test_open_source_names_a_manager(written, base):
    source = open_source(written, SourceContext(http=http(), manager_auth=ADMIN))
    assert isinstance(source, ManagerRegistry)
    assert source.base_url == base and source.api == base + "/api/v3.1"


# --- the corpus claim ---------------------------------------------------------------------------

def test_every_corpus_plugin_import_gets_what_the_directory_registry_gives():
    imports = corpus_plugin_imports()
    assert len(imports) >= 100
    directory = DirectoryRegistry(PLUGINS)
    manager = FakeManager(corpus_plugins(PLUGINS))
    with manager.serve() as server:
        source = ManagerRegistry(server.url, http(), ManagerAuth(token=TOKEN))
        compared = 0
        for text, dsl in imports:
            request = parse_plugin_import(text)
            want = select(request, directory.versions(request.package_name))
            got = select(request, source.versions(request.package_name))
            assert (got and got.version) == (want and want.version), text
            if want is None:
                continue
            expected = choose_yaml(want.yaml_files, dsl)
            answer = source.read_for_dsl(got, dsl)
            if expected is None:
                assert answer is None, (text, dsl)
                continue
            name, yaml_text = answer
            # the directory registry reads text with universal newlines; the manager sends the bytes
            assert (name, yaml_text.replace("\r\n", "\n")) == (expected, directory.read(want, expected)), \
                (text, dsl)
            # a 1_3 blueprint without a 1_3 file: the walker derives from the first file in
            # sorted order; the manager's fallback (first unversioned file) is that same file
            if dsl == "1_3" and not any(f.endswith("1_3.yaml") for f in want.yaml_files):
                assert answer[0] == sorted(want.yaml_files)[0], (text, dsl)
            compared += 1
    assert compared >= 100


# --- the version-choice table through the pipeline ------------------------------------------------

@pytest.fixture(scope="module")
def choice_session(tmp_path_factory):
    """tests/test_version_choice.py's stored versions uploaded to a manager, in that listing order."""
    root = tmp_path_factory.mktemp("manager-choice")
    write_tree(root, {"types.yaml": BASIC_TYPES})
    uploads = [plugin(CHOSEN, version, {"plugin.yaml": plugin_yaml(version)}, index=index,
                      distribution=distribution, distribution_release="core")
               for index, (version, distribution) in enumerate(STORED)]
    with FakeManager(uploads).serve() as server:
        source = ManagerRegistry(server.url, http(), ManagerAuth(token=TOKEN), page_size=4)
        yield root, Resolver(registries=[source])


@pytest.mark.parametrize("query, expected", CHOICE_CASES, ids=[q or "(none)" for q, _ in CHOICE_CASES])
def test_version_choice_table_through_the_pipeline(choice_session, query, expected, tmp_path):
    root, resolver = choice_session
    check_case(resolver, root / "types.yaml", query, expected, tmp_path)
