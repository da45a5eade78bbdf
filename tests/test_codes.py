"""Every problem code has a real example: fixtures/codes/<code>/ reports <code> where expected.yaml says.

The examples are also what the README's table of codes shows (tests/codes_doc.py generates it), so
the table cannot drift from what resolver prints.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resolver import cli
from resolver.codes import CODES

from . import codes_doc
from .codes_doc import (BEGIN, END, FIXTURES, REPO, example_dirs, example_line, inside, load_expected,
                        main as codes_doc_main, position, resolve_example, section, session_kwargs)

# Codes with no example, each with the reason.
SKIPPED = {
    "internal-error": "reported only when resolver itself raises (api.Resolver.resolve turns our own exception "
                      "into this problem instead of a traceback); no blueprint should trigger it, so an "
                      "example would be a bug to fix, not a fixture",
    # Faults of an online source (a manager, the marketplace, a catalog URL) that only a network
    # answer can cause. An example runs offline from its folder (tests/codes_doc.py takes only
    # folders after -r and no --online), so these are shown in tests/test_manager.py, against a
    # manager on loopback, instead.
    "registry-unreachable": "needs --online and a source address that does not answer (a closed port or a "
                            "time-out); tests/test_manager.py: test_unreachable, "
                            "test_a_slow_manager_times_out_within_the_bound",
    "registry-auth-failed": "needs a source that answers HTTP 401; tests/test_manager.py: "
                            "test_refused_credentials",
    "registry-forbidden": "needs a source that answers HTTP 403; tests/test_manager.py: "
                          "test_a_tenant_the_user_is_not_in",
    "registry-not-found": "needs an online source that answers HTTP 404 (a local registry that is missing is "
                          "refused before resolving, exit 2); tests/test_manager.py: test_not_a_manager",
    "registry-server-error": "needs a source that answers HTTP 5xx after every retry; tests/test_manager.py: "
                             "test_a_server_error_after_every_retry",
    "url-refused": "needs --online (offline no URL is fetched, so none is refused); tests/test_security.py: "
                   "test_hostile_case_gets_its_code_quickly, its *_online and redirect_* cases, and the Http "
                   "tests below it",
}
# Codes no blueprint can trigger (a bug in resolver, or dead code), each with the reason.
UNREACHABLE: dict[str, str] = {}

EXAMPLES = example_dirs()
README = REPO / "README.md"

_results: dict[Path, tuple] = {}


def resolved(folder: Path):
    """(expected, result) for one example, resolved once per test session."""
    if folder not in _results:
        _results[folder] = resolve_example(folder)
    return _results[folder]


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_reports_its_code_at_its_position(folder: Path):
    expected, result = resolved(folder)
    assert expected["code"] == folder.name, "expected.yaml names another code than its folder"
    want = (expected["code"], expected["file"], expected["line"], expected["column"])
    got = [position(p, folder) for p in result.problems]
    assert want in got


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_reports_nothing_else(folder: Path):
    # The smallest blueprint for a code has no other fault, so its example is unambiguous.
    expected, result = resolved(folder)
    assert [(p.code, p.message) for p in result.problems if p.code != expected["code"]] == []


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_reports_its_problem_once(folder: Path):
    # one fault, one problem: two stages reporting the same fault would show it twice
    expected, result = resolved(folder)
    assert [p.message for p in result.problems if p.code == expected["code"]][1:] == []


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_files_are_consistent(folder: Path):
    expected = load_expected(folder)
    assert (folder / "blueprint.yaml").is_file()
    assert (folder / expected["file"]).is_file(), f"{expected['file']} is not in the example folder"
    args = [str(a) for a in expected.get("args", [])]
    kwargs = session_kwargs(folder, args)
    for path in kwargs["registries"]:
        assert path.exists(), path  # a folder, or a file source (a catalog, a wagon)
    for path in kwargs["search_paths"]:
        assert path.is_dir(), path
    # a registry folder is there to be used: `-r registry` in args exactly when the folder exists
    assert ((folder / "registry").is_dir()) == (folder / "registry" in kwargs["registries"])


def _code_params():
    for code in CODES:
        if code in SKIPPED:
            yield pytest.param(code, marks=pytest.mark.skip(reason=f"{code} has no example: {SKIPPED[code]}"))
        elif code in UNREACHABLE:
            yield pytest.param(code, marks=pytest.mark.skip(reason=f"{code} is unreachable: {UNREACHABLE[code]}"))
        else:
            yield code


@pytest.mark.parametrize("code", list(_code_params()))
def test_every_code_has_an_example(code: str):
    assert (FIXTURES / code / "expected.yaml").is_file(), (
        f"{code} has no example: add fixtures/codes/{code}/blueprint.yaml and expected.yaml "
        "(see tests/codes_doc.py), or record why it cannot have one in SKIPPED or UNREACHABLE")


def test_no_example_names_an_unknown_code():
    unknown = sorted(p.name for p in EXAMPLES if p.name not in CODES)
    assert not unknown, f"folders in fixtures/codes/ that name no code of resolver/codes.py: {unknown}"


def test_codes_without_example_are_explained():
    have = {p.name for p in EXAMPLES}
    for code, reason in {**SKIPPED, **UNREACHABLE}.items():
        assert code in CODES, code
        assert code not in have, f"{code} has an example now: take it out of SKIPPED/UNREACHABLE"
        assert reason.strip()
    assert not set(SKIPPED) & set(UNREACHABLE)


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_documented_example_is_the_command_output(folder: Path, capsys):
    # The README's example line is what `python -m resolver blueprint.yaml ARGS` prints in the folder.
    line = example_line(folder)
    capsys.readouterr()
    expected = load_expected(folder)
    with inside(folder):
        status = cli.main(["blueprint.yaml", *[str(a) for a in expected.get("args", [])]])
    out = capsys.readouterr().out
    assert line in out.splitlines()
    assert status == (1 if CODES[expected["code"]].severity == "error" else 0)


@pytest.fixture(scope="module")
def generated() -> str:
    return section()


def test_section_rows_follow_the_table_of_codes(generated: str):
    rows = [line for line in generated.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(CODES)
    for row in rows:
        code = row.split("`")[1]
        has_example = not row.endswith("| – |")
        assert has_example == (code not in SKIPPED and code not in UNREACHABLE), row


def test_check_and_write_modes(tmp_path: Path, capsys, monkeypatch, generated: str):
    monkeypatch.setattr(codes_doc, "section", lambda: generated)  # made once, by the fixture
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{BEGIN}\nstale\n{END}\n\nafter\n", encoding="utf-8")
    assert codes_doc_main(["--check", str(readme)]) == 1
    assert "stale" in capsys.readouterr().out
    assert codes_doc_main(["--write", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"# title\n\n{BEGIN}\n") and text.endswith(f"{END}\n\nafter\n")
    assert "| `yaml-syntax` |" in text and "stale" not in text
    assert codes_doc_main(["--check", str(readme)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left behind
    readme.write_text("# no markers\n", encoding="utf-8")
    assert codes_doc_main(["--check", str(readme)]) == 2


def test_readme_codes_section_is_current():
    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        pytest.skip(f"README.md has no {BEGIN} ... {END} markers yet; add them and run "
                    "python -m tests.codes_doc --write README.md")
    run = subprocess.run([sys.executable, "-m", "tests.codes_doc", "--check", "README.md"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
