"""The project config `.resolver.yaml`: session options a repository keeps beside its blueprints.

Which file is read:

* `--config FILE` reads FILE; `--no-config` reads none (both together are a usage error);
* otherwise the nearest `.resolver.yaml` from the blueprint's folder upward (from the working
  folder when no blueprint is named). The search stops at the repository root, the first folder
  holding `.git` (a folder, or a file in a work tree or submodule), which is itself searched;
  outside a repository it stops at the user's home folder (searched), else at the filesystem root.
  A config above the repository is never read: a project's options come from the project.

The file is a YAML mapping of the keys in `KEYS` (see schemas/config.schema.json). Relative paths
in it are relative to the config file's folder, and `~` is the home folder. An option given on
the command line wins over the config, whole: `-r` given once replaces the config's
`registries`, it does not add to them.

Secrets are never read from a config: a key naming a password, token or secret, or a URL with a
password in it, is refused and the user is pointed at CLOUDIFY_TOKEN / CLOUDIFY_PASSWORD. A
config committed to a repository must not be a place where credentials end up.

Faults are `ConfigError`s with a stable code from `CONFIG_CODES` and the `path:line:col` of the
key or value at fault; the command line prints them and exits 2, as for any environment error.
"""
from __future__ import annotations

import os
from typing import Iterable, Sequence
from urllib.parse import urlsplit


from . import records
from .load import Map, Seq, load_yaml
from .problems import Mark, Problems

CONFIG_NAME = ".resolver.yaml"

# The codes of config faults. They are not problem codes (codes.py): they are raised before any
# blueprint is read, stop the run with exit 2, and so never appear in a report.
CONFIG_CODES = {
    "config-unreadable": "The config file named by --config does not exist or cannot be read.",
    "config-syntax": "The config file is not valid YAML, or repeats a key.",
    "config-unknown-key": "A key is not a config option.",
    "config-wrong-type": "A value has the wrong type for its key.",
    "config-bad-value": "A value has the right type but cannot be used (an empty list, a URL that is not http(s)).",
    "config-secret": "A password, token or secret is written in the config; secrets come only from the environment.",
    "config-ambiguous": "The blueprints of one command line fall under different configs.",
    "config-usage": "--config and --no-config are given together.",
}

SECRET_WORDS = ("password", "token", "secret")
SECRET_HINT = ("Secrets are read only from the environment: set CLOUDIFY_TOKEN, or CLOUDIFY_USERNAME and "
               "CLOUDIFY_PASSWORD (and CLOUDIFY_TENANT), and remove the secret from the file.")


@records.frozen
class Key:
    """One config option: its name in the file, the command-line option it stands for, its kind.

    kind: `sources` (a list of `-r` sources; paths among them are relative to the config),
    `paths` (a list of paths), `path`, `bool`, `text`, `texts` (a list of strings), `url` (http or
    https), `count` (a positive integer).
    """

    name: str
    dest: str
    kind: str
    option: str


KEYS: tuple[Key, ...] = (
    Key("registries", "registry", "sources", "-r/--registry"),
    Key("import_rules", "import_rules", "path", "--import-rules"),
    Key("blueprint_catalog", "blueprint_catalog", "path", "--blueprint-catalog"),
    Key("search_paths", "search_path", "paths", "--search-path"),
    Key("cache", "cache", "path", "--cache"),
    Key("online", "online", "bool", "--online/--offline"),
    Key("refresh", "refresh", "bool", "--refresh"),
    Key("marketplace_url", "marketplace_url", "url", "--marketplace-url"),
    Key("manager_version", "manager_version", "text", "--manager-version"),
    Key("manager_tenant", "manager_tenant", "text", "--manager-tenant"),
    Key("manager_user", "manager_user", "text", "--manager-user"),
    Key("strict", "strict", "bool", "--strict"),
    # Confinement and limits (SECURITY.md). A config may move the project root, narrow the hosts
    # and change the limits; it can never lift confinement or the address check
    # (--allow-outside, --allow-private-addresses): those come only from the command line or the
    # library, since a config travels with the (perhaps untrusted) blueprints it configures.
    Key("root", "root", "path", "--root"),
    Key("allow_hosts", "allow_host", "texts", "--allow-host"),
    Key("max_file_size", "max_file_size", "count", "--max-file-size"),
    Key("max_depth", "max_depth", "count", "--max-depth"),
    Key("max_aliases", "max_aliases", "count", "--max-aliases"),
    Key("max_files", "max_files", "count", "--max-files"),
    Key("max_nodes", "max_nodes", "count", "--max-nodes"),
    Key("max_type_depth", "max_type_depth", "count", "--max-type-depth"),
)
_BY_NAME = {key.name: key for key in KEYS}


class ConfigError(Exception):
    """A config file that cannot be used. `str()` is `path:line:col: code: message` plus the hint.

    `file`, `line` and `column` are None where the fault has no place in a file (an ambiguous
    command line, a file that does not exist).
    """

    def __init__(self, code: str, message: str, mark: Mark | None = None, hint: str | None = None,
                 file: str | None = None) -> None:
        self.code = code
        self.message = message
        self.file = mark.file if mark else file
        self.line = mark.line if mark else None
        self.column = mark.column if mark else None
        self.hint = hint
        where = self.file or ""
        if where and self.line is not None:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {code}: {message}" if where else f"{code}: {message}"
        super().__init__(text + (f"\n  hint: {hint}" if hint else ""))


@records.frozen
class ProjectConfig:
    """A config file read and checked: `values` maps argparse destinations to their values
    (paths already absolute)."""

    path: str
    values: tuple[tuple[str, object], ...]

    def apply(self, args) -> None:
        """Set every option of `args` the command line left unset (None) from this config.

        Options `args` does not have (a command without `--strict`) are left alone.
        """
        for dest, value in self.values:
            if hasattr(args, dest) and getattr(args, dest) is None:
                setattr(args, dest, list(value) if isinstance(value, tuple) else value)


# -- finding the file ------------------------------------------------------------------------------


def find_config(folder: str) -> str | None:
    """The nearest `.resolver.yaml` from `folder` upward within the boundary (see the module doc)."""
    current = os.path.abspath(folder)
    home = os.path.abspath(os.path.expanduser("~"))
    while True:
        candidate = os.path.join(current, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
        if os.path.exists(os.path.join(current, ".git")) or current == home:
            return None
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _start_folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) if not os.path.isdir(path) else os.path.abspath(path)


def group_by_config(paths: Iterable[str]) -> list[tuple[str | None, list[str]]]:
    """The paths grouped by the config found for each, in order of first appearance."""
    groups: dict[str | None, list[str]] = {}
    found: dict[str, str | None] = {}
    for path in paths:
        folder = _start_folder(path)
        if folder not in found:
            found[folder] = find_config(folder)
        groups.setdefault(found[folder], []).append(path)
    return list(groups.items())


def config_path(args, blueprints: Sequence[str] = ()) -> str | None:
    """The config file these options and blueprints use, or None. Raises ConfigError."""
    explicit = getattr(args, "config", None)
    if getattr(args, "no_config", False):
        if explicit:
            raise ConfigError("config-usage", "--config and --no-config cannot be given together")
        return None
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError("config-unreadable", f"{explicit}: no such config file", file=explicit)
        return os.path.abspath(explicit)
    groups = group_by_config(blueprints) if blueprints else [(find_config(os.getcwd()), [])]
    if len(groups) > 1:
        lines = "; ".join(f"{_shown(path) if path else 'no config'}: {', '.join(members)}"
                          for path, members in groups)
        raise ConfigError("config-ambiguous", f"the blueprints fall under different configs ({lines})",
                          hint="Run them separately, or name one config for all with --config FILE "
                               "(or --no-config).")
    return groups[0][0]


def apply_config(args, blueprints: Sequence[str] = ()) -> ProjectConfig | None:
    """Fill the options the command line left unset from the project config; return it (or None).

    Raises ConfigError for a config that cannot be used (see `CONFIG_CODES`).
    """
    path = config_path(args, blueprints)
    if path is None:
        return None
    config = load_config(path)
    config.apply(args)
    return config


# -- reading and checking --------------------------------------------------------------------------


def _shown(path: str) -> str:
    """A path relative to the working folder when inside it, as the resolver shows files."""
    relative = os.path.relpath(path, os.getcwd())
    return path if relative == ".." or relative.startswith(".." + os.sep) else relative


def load_config(path: str) -> ProjectConfig:
    """Read and check one config file. Raises ConfigError at the first fault, with its position."""
    shown = _shown(os.path.abspath(path))
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("config-unreadable", f"cannot read the config: {exc}", file=shown) from None
    problems = Problems()
    document = load_yaml(text, shown, problems)
    # Non-ASCII text is a fault in a blueprint (the reference refuses it), not in a path or a name.
    faults = [p for p in problems if p.code != "yaml-non-ascii"]
    if faults:
        first = faults[0]
        raise ConfigError("config-syntax", first.message, Mark(shown, first.line or 1, first.column or 1),
                          hint=first.hint)
    if not isinstance(document, Map):
        raise ConfigError("config-wrong-type", "the config must be a mapping of options",
                          getattr(document, "mark", None) or Mark(shown, 1, 1))
    base = os.path.dirname(os.path.abspath(path))
    values = []
    for name, value in document.items():
        key = _key(document, name)
        checked = _check(key, value, document, name, base)
        if checked is not None:
            values.append((key.dest, checked))
    return ProjectConfig(path=os.path.abspath(path), values=tuple(values))


def _key(document: Map, name) -> Key:
    mark = document.key_mark(name)
    if isinstance(name, str) and any(word in name.lower() for word in SECRET_WORDS):
        raise ConfigError("config-secret", f"{name!r} holds a secret, which a config never may",
                          mark, hint=SECRET_HINT)
    key = _BY_NAME.get(name) if isinstance(name, str) else None
    if key is None:
        import difflib

        close = difflib.get_close_matches(str(name), list(_BY_NAME), n=1)
        hint = f"Did you mean {close[0]!r}?" if close else f"The keys are: {', '.join(_BY_NAME)}."
        raise ConfigError("config-unknown-key", f"unknown key {name!r}", mark, hint=hint)
    return key


def _check(key: Key, value, document: Map, name: str, base: str):
    """The value as argparse would hold it (paths made absolute); None for an explicit null."""
    mark = document.value_mark(name)
    if value is None:
        return None  # `key:` with nothing after it: as if the key were absent
    if key.kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError("config-wrong-type", f"{name} must be true or false, not {_kind(value)}", mark)
        return value
    if key.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError("config-wrong-type", f"{name} must be a whole number, not {_kind(value)}", mark)
        if value < 1:
            raise ConfigError("config-bad-value", f"{name} must be at least 1, not {value}", mark)
        return value
    if key.kind in ("sources", "paths", "texts"):
        if not isinstance(value, list):
            raise ConfigError("config-wrong-type", f"{name} must be a list, not {_kind(value)}", mark,
                              hint=f"Write it as a YAML list:\n    {name}:\n      - ...")
        if not value:
            raise ConfigError("config-bad-value", f"{name} is an empty list", mark,
                              hint="Leave the key out to use the defaults.")
        out = []
        for index, item in enumerate(value):
            item_mark = value.item_mark(index) if isinstance(value, Seq) else mark
            text = _text(item, f"an item of {name}", item_mark)
            out.append(_source(text, base, item_mark) if key.kind == "sources"
                       else _path(text, base) if key.kind == "paths" else text)
        return tuple(out)
    text = _text(value, name, mark)
    if key.kind == "path":
        return _path(text, base)
    if key.kind == "url":
        if urlsplit(text).scheme.lower() not in ("http", "https"):
            raise ConfigError("config-bad-value", f"{name} must be an http or https URL, not {text!r}", mark)
        _refuse_password(text, mark)
    return text


def _text(value, what: str, mark: Mark | None) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # `manager_version: 6.4` is the float 6.4, and 6.10 would silently become 6.1
        raise ConfigError("config-wrong-type", f"{what} must be a string, not the number {value!r}", mark,
                          hint=f"Quote it: '{value}'.")
    raise ConfigError("config-wrong-type", f"{what} must be a non-empty string, not {_kind(value)}", mark)


def _kind(value) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the string {value!r}" if isinstance(value, str) else type(value).__name__


def _path(text: str, base: str) -> str:
    return os.path.normpath(os.path.join(base, os.path.expanduser(text)))


def _source(text: str, base: str, mark: Mark | None) -> str:
    """A `-r` source: URLs and `marketplace` as written, anything else a path under `base`."""
    if text.lower() == "marketplace":
        return text
    if "://" in text:
        _refuse_password(text, mark)
        return text
    return _path(text, base)


def _refuse_password(url: str, mark: Mark | None) -> None:
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        raise ConfigError("config-secret", "a URL in the config holds a password", mark, hint=SECRET_HINT)
