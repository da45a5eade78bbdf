"""The command line, run as users run it: `python -m resolver ...` in a subprocess.

Exit codes: 0 clean, 1 problems found, 2 usage or environment error.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import resolver

from .conftest import BASIC_TYPES, REPO, blueprint, write_tree

EXAMPLE = "fixtures/example/blueprint.yaml"
EXAMPLE_REGISTRY = "fixtures/example/registry"

# path:line:col: severity code message
PROBLEM_LINE = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<column>\d+): "
                          r"(?P<severity>error|warning) (?P<code>[a-z0-9-]+) (?P<message>\S.*)$")


def run(*args, cwd=REPO):
    # the repository goes on the path so that a run from another folder finds the package even when
    # it is not installed
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "resolver", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=env)


def problem_lines(stdout: str) -> list[tuple]:
    out = []
    for line in stdout.splitlines():
        match = PROBLEM_LINE.match(line)
        if match:
            out.append((match["path"], int(match["line"]), int(match["column"]), match["severity"], match["code"]))
    return out


@pytest.fixture
def tree(tmp_path):
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "good.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"),
        "bad.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Nope}\n"
                              "  m: {type: cloudify.nodes.Gone}\n"),
        "warned.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"
                                 "  n: {type: cloudify.nodes.Root}\n"),
    })
    return tmp_path


# --- exit codes and usage ---------------------------------------------------------------------


def test_version():
    completed = run("--version")
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"resolver {resolver.__version__}"


@pytest.mark.parametrize("args", [(), ("--no-such-option", EXAMPLE), ("-f", "xml", EXAMPLE)],
                         ids=["no-blueprint", "unknown-option", "unknown-format"])
def test_usage_errors_exit_2(args):
    completed = run(*args)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "usage:" in completed.stderr


def test_a_registry_that_is_not_a_folder_exits_2(tree):
    completed = run("-r", tree / "nowhere", tree / "good.yaml")
    assert completed.returncode == 2
    assert completed.stdout == "" and str(tree / "nowhere") in completed.stderr


@pytest.mark.parametrize("option, name", [("--import-rules", "rules.yaml"), ("--import-rules", "absent.yaml"),
                                          ("--blueprint-catalog", "absent.yaml"), ("--import-rules", "broken.yaml"),
                                          ("--blueprint-catalog", "broken.yaml")],
                         ids=["malformed-rules", "absent-rules", "absent-catalog", "rules-not-yaml", "catalog-not-yaml"])
def test_unusable_configuration_files_exit_2(tree, option, name):
    (tree / "rules.yaml").write_text("rules: not-a-list\n")
    (tree / "broken.yaml").write_text("rules: [a: b\n")
    completed = run(option, tree / name, tree / "good.yaml")
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.startswith("resolver: error:") and "internal error" not in completed.stderr
    if name == "broken.yaml":  # where the YAML breaks, as a blueprint's problem would say it
        assert completed.stderr.startswith(f"resolver: error: {tree / name}:2:1: invalid YAML: ")


@pytest.mark.parametrize("module, args", [("resolver", ["good.yaml", "bad.yaml"]),
                                          ("resolver.hook", ["--no-config", "bad.yaml", "warned.yaml"])])
def test_a_reader_that_goes_away_stops_the_command_quietly_with_141(tree, module, args):
    """`resolver ... | head`: the output is printed as the batch goes; once its reader is gone the
    command stops with the status a process killed by SIGPIPE has, and no traceback."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-m", module, "-j", "1", *args], cwd=tree, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    process.stdout.close()  # the reader goes away before anything is printed
    stderr = process.stderr.read().decode()
    assert (process.wait(timeout=60), stderr) == (141, "")


def test_clean_blueprint_exits_0_and_prints_the_plan(tree):
    completed = run("good.yaml", cwd=tree)
    assert completed.returncode == 0, completed.stdout
    assert problem_lines(completed.stdout) == []
    assert completed.stdout.startswith("good.yaml: cloudify_dsl_1_4, 1 nodes, install order: n")
    assert "\033[" not in completed.stdout


def test_problems_exit_1_in_path_line_column_severity_code_form(tree):
    completed = run("bad.yaml", cwd=tree)
    assert completed.returncode == 1
    assert problem_lines(completed.stdout) == [("bad.yaml", 5, 13, "error", "node-type-unknown"),
                                               ("bad.yaml", 6, 13, "error", "node-type-unknown")]
    # every problem line is followed by nothing but hints
    for line in completed.stdout.splitlines():
        assert PROBLEM_LINE.match(line) or line.startswith("    hint: ")


def test_warnings_exit_0_unless_strict(tree):
    relaxed = run("warned.yaml", cwd=tree)
    assert relaxed.returncode == 0
    assert problem_lines(relaxed.stdout) == [("warned.yaml", 6, 3, "warning", "yaml-duplicate-key")]
    strict = run("--strict", "warned.yaml", cwd=tree)
    assert strict.returncode == 1
    assert problem_lines(strict.stdout) == problem_lines(relaxed.stdout)


def test_a_missing_blueprint_is_reported_without_a_position(tree):
    completed = run("missing.yaml", cwd=tree)
    assert completed.returncode == 1
    assert re.match(r"^missing\.yaml: error file-unreadable \S", completed.stdout)


# --- JSON report ------------------------------------------------------------------------------


def test_json_report_shape_for_several_blueprints(tree):
    completed = run("-f", "json", "good.yaml", "bad.yaml", "warned.yaml", cwd=tree)
    assert completed.returncode == 1
    report = json.loads(completed.stdout)
    assert (report["format"], report["version"]) == ("resolver-report", 1)
    assert [(r["blueprint"], r["ok"]) for r in report["results"]] == [
        ("good.yaml", True), ("bad.yaml", False), ("warned.yaml", True)]
    for result in report["results"]:
        assert set(result) == {"blueprint", "ok", "problems", "plan"}
    good, bad, warned = report["results"]
    assert good["problems"] == [] and good["plan"]["install_order"] == ["n"]
    assert bad["plan"] is None
    assert [(p["code"], p["severity"], p["file"], p["line"], p["column"], p["ref_code"]) for p in bad["problems"]] == [
        ("node-type-unknown", "error", "bad.yaml", 5, 13, 7), ("node-type-unknown", "error", "bad.yaml", 6, 13, 7)]
    assert set(bad["problems"][0]) == {"code", "severity", "message", "file", "line", "column", "ref_code", "hint", "chain"}
    assert [p["code"] for p in warned["problems"]] == ["yaml-duplicate-key"] and warned["plan"] is not None


# --- the `make run` example -------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_json():
    completed = run("-f", "json", "-r", EXAMPLE_REGISTRY, EXAMPLE)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = json.loads(completed.stdout)["results"]
    assert result["ok"] and result["problems"] == []
    return result["plan"]


def test_make_run_example_exits_0_and_prints_the_mapping():
    completed = run("-r", EXAMPLE_REGISTRY, EXAMPLE)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert problem_lines(completed.stdout) == []
    assert lines[0] == (f"{EXAMPLE}: cloudify_dsl_1_4, 4 nodes, "
                        "install order: app_network, orders_db, web_vm, shop_app")
    text = "\n".join(line.strip() for line in lines)
    assert "[cloudify-demo-cloud-plugin 2.3.1, plugin_1_4.yaml]" in text
    assert "[cloudify-demo-db-plugin 1.2.0, plugin.yaml]" in text
    assert "node shop_app (cloudify.nodes.WebServer, host web_vm)" in text
    assert "cloudify.interfaces.lifecycle.configure: script script_runner.tasks.run [host_agent]" in text
    assert "cloudify.interfaces.lifecycle.start: script script_runner.tasks.run [auto]" in text
    assert "workflow refresh_config: script script_runner.tasks.execute_workflow" in text
    assert "workflow backup_orders_db: demodb demodb_plugin.workflows.backup" in text


def test_make_run_example_imports(example_json):
    imports = [(e["import"], e.get("package_name"), e.get("package_version"), e.get("yaml_file"), e["via"])
               for e in example_json["imports"]]
    assert imports == [
        ("types/types.yaml", None, None, None, "file"),
        # >=2.0,<3 allows 2.3.1 and 2.9.0rc1; pre-releases are never picked
        ("plugin:cloudify-demo-cloud-plugin?version= >=2.0,<3", "cloudify-demo-cloud-plugin", "2.3.1",
         "plugin_1_4.yaml", "registry"),
        # the legacy URL is answered from the registry
        ("http://www.getcloudify.org/spec/demo-db-plugin/1.2.0/plugin.yaml", "cloudify-demo-db-plugin", "1.2.0",
         "plugin.yaml", "registry"),
    ]


def example_node(plan, node_id):
    (entry,) = [n for n in plan["nodes"] if n["id"] == node_id]
    return entry


def test_make_run_example_hosts_and_order(example_json):
    assert {n["id"]: n["host_id"] for n in example_json["nodes"]} == {
        "app_network": None, "web_vm": "web_vm", "orders_db": None, "shop_app": "web_vm"}
    assert example_json["install_order"] == ["app_network", "orders_db", "web_vm", "shop_app"]


def test_make_run_example_script_operations(example_json):
    ops = example_node(example_json, "shop_app")["operations"]
    configure = ops["cloudify.interfaces.lifecycle.configure"]
    assert (configure["plugin"], configure["operation"], configure["executor"], configure["max_retries"],
            configure["retry_interval"]) == ("script", "script_runner.tasks.run", "host_agent", 3, 15)
    assert configure["inputs"]["script_path"] == "scripts/configure.sh"
    assert configure["inputs"]["db_config"] == "/etc/shopfront/database.ini"
    start = ops["cloudify.interfaces.lifecycle.start"]
    assert (start["plugin"], start["executor"], start["timeout"], start["inputs"]) == (
        "script", "auto", 120, {"script_path": "scripts/start.sh"})


def test_make_run_example_template_overrides_merge_with_the_type(example_json):
    create = example_node(example_json, "web_vm")["operations"]["cloudify.interfaces.lifecycle.create"]
    assert (create["plugin"], create["operation"]) == ("democloud", "democloud_plugin.server.create")
    assert create["inputs"]["args"] == {"metadata": {"role": "web", "app": "shopfront"}}
    configure = example_node(example_json, "orders_db")["operations"]["cloudify.interfaces.lifecycle.configure"]
    assert (configure["operation"], configure["inputs"]["parameters"]) == (
        "demodb_plugin.database.apply_parameters", {"max_connections": 200, "log_min_duration_statement": 500})
    rel = example_node(example_json, "shop_app")["relationships"][1]
    assert (rel["type"], rel["target_id"]) == ("cloudify.relationships.demodb.client_connected_to_database",
                                               "orders_db")
    pre = rel["source_operations"]["cloudify.interfaces.relationship_lifecycle.preconfigure"]
    assert (pre["plugin"], pre["executor"], pre["inputs"]) == (
        "demodb", "host_agent", {"config_path": "/etc/shopfront/database.ini", "file_mode": "0640"})


def test_make_run_example_workflows_and_plugin_lists(example_json):
    flows = example_json["workflows"]
    assert (flows["backup_orders_db"]["plugin"], flows["backup_orders_db"]["operation"]) == (
        "demodb", "demodb_plugin.workflows.backup")
    assert flows["refresh_config"]["parameters"]["script_path"]["default"] == "scripts/workflows/refresh_config.py"
    names = {key: sorted(p["name"] for p in example_json[key]) for key in
             ("deployment_plugins_to_install", "host_agent_plugins_to_install", "workflow_plugins_to_install")}
    assert names == {"deployment_plugins_to_install": ["agent", "democloud", "demodb"],
                     "host_agent_plugins_to_install": ["agent", "demodb", "script"],
                     "workflow_plugins_to_install": ["default_workflows", "demodb", "script"]}
