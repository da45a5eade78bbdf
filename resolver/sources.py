"""The I/O side: reading files, URLs through import rules, the cache and the catalog.

The core pipeline never opens a file or a socket; it asks a `Loader` (this module's
`FileLoader`, or any object with the same methods) for text. Everything here is
deterministic for the same files on disk; the network is used only when `online` is set.
"""
from __future__ import annotations

import errno
import functools
import os
import posixpath
import re
import stat
import unicodedata
from typing import Callable, Iterable, Protocol, Sequence
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from . import heap, records
from .limits import DEFAULT_LIMITS, Limits
from .recent import DEFAULT_KEPT_CHARS, FileTexts, settled

REMOTE_SCHEMES = ("http", "https", "ftp", "file", "plugin", "blueprint")
NETWORK_SCHEMES = ("http", "https", "ftp")
_KNOWN_SCHEMES = frozenset(REMOTE_SCHEMES + ("resource",))  # what `scheme_of` answers
_SPEC_TYPES_URL = re.compile(r"^https?://(?:www\.)?(?:getcloudify\.org|cloudify\.co)/spec/cloudify/"
                             r"(?P<version>[^/?#]+)/(?P<file>[^/?#]+\.yaml)$", re.IGNORECASE)
_RESOURCE_TYPES = re.compile(r"^cloudify/types/(?P<file>types(?:_1_[0-9]+)?\.yaml)$")


@records.frozen
class Fetched:
    """What an import was answered with.

    `identity` is the canonical location used for de-duplication and as the parent of
    nested relative imports; `shown` is what problems print; `via` says how it was found;
    `types_version` which Cloudify version's types answered (types.py).
    """

    identity: str
    shown: str
    text: str
    via: str
    resolved: str
    types_version: str | None = None


class FetchError(Exception):
    """An import could not be answered; `tried` lists every place looked at, in order.

    `code` is the problem code when the reason is more than "not found" (`import-outside-root`,
    `file-too-large`, `url-refused`); None lets the caller choose.
    """

    def __init__(self, reason: str, tried: Sequence[str] = (), offline: bool = False,
                 code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tried = tuple(tried)
        self.offline = offline
        self.code = code


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


# os.open's flags for reading a file's bytes as they are (Windows opens in text mode without O_BINARY)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_READ_CHUNK = 64 * 1024  # what one read asks for once the size the stat gave was read


def _read_bounded(path: str, bound: int) -> tuple[bytes, os.stat_result]:
    """The bytes of the file `path`, and its status taken as it was opened. Raises `_TooLarge`
    past `bound` bytes, before reading when the status says so, and OSError.

    The size the stat gave is read and one byte more, then on up to one byte past the bound:
    a file that grew after the stat is still caught, and a read of the bound at once would
    allocate it all first (10 MB, or a raised limit's gigabyte, for each file). By file
    descriptor: `open`'s file and buffer objects (and its terminal test) took twice as long for
    the few KB most blueprints and imports weigh."""
    fd = os.open(path, _READ_FLAGS)
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):  # refused as `open` refuses it, whatever its size
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if status.st_size > bound:
            raise _TooLarge(status.st_size)
        chunks = []
        total, wanted = 0, status.st_size + 1
        while True:
            chunk = os.read(fd, wanted)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > bound:
                raise _TooLarge(total)
            wanted = min(_READ_CHUNK, bound + 1 - total)
    finally:
        os.close(fd)
    return b"".join(chunks), status


class Loader(Protocol):
    def fetch(self, ref: str, parent: str | None, dsl_short: str | None) -> Fetched: ...

    def fetch_blueprint(self, blueprint_id: str) -> Fetched: ...

    def resource_exists(self, base: str, relative: str) -> bool: ...


def scheme_of(ref: str) -> str:
    head, sep, _ = ref.partition(":")
    if not sep:
        return ""
    head = head.lower()
    return head if head in _KNOWN_SCHEMES else ""


def relative_below(path: str, folder: str) -> str:
    """`os.path.relpath(path, folder)`. A normalised `path` below the normalised `folder` (most
    paths a resolve names: files beside a blueprint, below the working folder) is the rest of its
    text, without relpath's making both absolute and comparing them component by component. Two
    other normalised absolute POSIX paths (a lock names the types and plugin files of every
    blueprint from its folder: `../../types/...`) are compared by their components at once."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    normal_folder = os.path.normpath(folder) == folder
    if path.startswith(prefix):
        rest = path[len(prefix):]
        # (a rest that starts with a separator: `//a` below `/`, which relpath names `a`)
        if rest and not rest.startswith(("..", os.sep)) and os.path.normpath(rest) == rest and normal_folder:
            return rest
    if os.path is posixpath and normal_folder and path.startswith("/") and folder.startswith("/") \
            and os.path.normpath(path) == path:
        # relpath's own steps, less the making absolute and normalising: both already are
        there = [part for part in path.split("/") if part]
        here = [part for part in folder.split("/") if part]
        common = 0
        for mine, theirs in zip(there, here):
            if mine != theirs:
                break
            common += 1
        return "/".join([".."] * (len(here) - common) + there[common:]) or "."
    return os.path.relpath(path, folder)


def canonical_url(url: str) -> str:
    """Normalise `.`/`..` in a URL's path so the same file has one identity."""
    parts = urlsplit(url)
    path = parts.path
    if path:
        normal = posixpath.normpath(path)
        if path.endswith("/") and not normal.endswith("/"):
            normal += "/"
        path = normal
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def versioned_name(ref: str, dsl_short: str | None) -> str | None:
    """`types.yaml` -> `types_1_4.yaml`: the reference's version-specific variant."""
    if not dsl_short:
        return None
    stem, ext = os.path.splitext(ref)
    return f"{stem}_{dsl_short}{ext}" if ext else None


def spec_types_url(url: str) -> tuple[str, str] | None:
    """(version, file) of `http(s)://(www.)getcloudify.org|cloudify.co/spec/cloudify/<version>/<file>.yaml`,
    the URLs Cloudify publishes its types at; None for any other URL."""
    match = _SPEC_TYPES_URL.match(url)
    return (match.group("version"), match.group("file")) if match else None


def resource_types_file(ref: str) -> str | None:
    """The file name when `ref` (relative, or after `resource:`) names the manager's
    `cloudify/types/types*.yaml`; None otherwise."""
    match = _RESOURCE_TYPES.match(posixpath.normpath(ref.strip().lstrip("/")))
    return match.group("file") if match else None


def _settings_document(path: str):
    """The YAML document of a settings file the session is built from (import rules, a blueprint
    catalog), read as a blueprint is (`load.load_yaml`: PyYAML's reading, through libyaml, within
    the default limits). Raises ValueError naming the file, line and column when it is not YAML:
    the command reports it as an error of its options, never as a crash."""
    from .load import load_yaml
    from .problems import Problems

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    problems = Problems()
    data = load_yaml(text, path, problems)
    for problem in problems:
        # non-ASCII text is a fault in a blueprint (the reference refuses it), not in a URL or a path
        if problem.is_error and problem.code != "yaml-non-ascii":
            raise ValueError(f"{problem.file}:{problem.line}:{problem.column}: {problem.message}")
    return data


def load_import_rules(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read rules in either shape: `rules: [...]` or `import_resolver: {parameters: {rules: [...]}}`.

    A replacement with no scheme is a path relative to the rules file's folder. Raises
    ValueError with a message for a file of the wrong shape.
    """
    path = os.fspath(path)
    data = _settings_document(path) or {}
    if isinstance(data, dict) and "import_resolver" in data:
        data = ((data.get("import_resolver") or {}).get("parameters") or {})
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        raise ValueError(f"{path}: expected 'rules:' as a list of single-pair mappings")
    base = os.path.dirname(os.path.abspath(path))
    out = []
    for rule in rules:
        if not isinstance(rule, dict) or len(rule) != 1:
            raise ValueError(f"{path}: each rule must be a mapping with one prefix: replacement pair")
        (prefix, replacement), = rule.items()
        prefix, replacement = str(prefix), str(replacement)
        if not scheme_of(replacement) and not os.path.isabs(replacement):
            keep_slash = replacement.endswith("/")
            replacement = os.path.join(base, replacement)
            if keep_slash and not replacement.endswith("/"):
                replacement += "/"
        out.append((prefix, replacement))
    return out


def load_blueprint_catalog(path: str | os.PathLike) -> dict[str, str]:
    """A folder `<id>/blueprint.yaml`, or a YAML file mapping id -> path relative to it."""
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(path):
        return {name: os.path.join(path, name, "blueprint.yaml") for name in sorted(os.listdir(path))
                if os.path.isfile(os.path.join(path, name, "blueprint.yaml"))}
    data = _settings_document(path) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of blueprint id to blueprint path")
    base = os.path.dirname(path)
    return {str(key): os.path.normpath(os.path.join(base, str(value))) for key, value in data.items()}


PROJECT_MARKERS = (".git", ".resolver.yaml")


def project_root(blueprint: str, facts: "FolderFacts | None" = None) -> str:
    """The nearest folder upward from `blueprint`'s folder holding `.git` or `.resolver.yaml`
    (the repository or the project config), else the blueprint's own folder. `facts`: what a
    session already knows of the folders on the way up."""
    start = os.path.dirname(os.path.abspath(blueprint))
    if facts is not None:
        return facts.project(start)
    return _project_above(start, _holds_marker)


def _project_above(start: str, marked: Callable[[str], bool]) -> str:
    """The nearest folder upward from `start` (itself first) that is `marked`, else `start`."""
    current = start
    while True:
        if marked(current):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return start
        current = parent


def _script_text(relative: str) -> str:
    """The path a script mapping names below the main blueprint's folder. The reference opens
    "<main folder>/<mapping>" as a file: URL: the text is stripped, a fragment is dropped (a query
    stays part of the file's name), %-escapes are decoded, and a leading "/" stays inside the
    folder (so /etc/hosts is never probed)."""
    return unquote(relative.strip().split("#", 1)[0])


def _script_path(base: str, relative: str) -> str | None:
    """The local path the script `relative` of the main blueprint `base` names; None beside a URL."""
    if scheme_of(base):
        return None
    return os.path.normpath(os.path.dirname(base) + "/" + _script_text(relative))


class ScriptProbe:
    """`FileLoader.resource_exists` for one blueprint's scripts, for one resolve.

    Every mapping string of a blueprint is first probed as a script beside it (the reference's
    precedence), and most are plugin functions (`cloudify_aws.ec2.vpc.create`), so most probes
    answer False. The main blueprint's folder is listed once, when it lies inside the roots (for
    a session's roots, once until the folder changes: `FolderFacts.names`); a script whose first
    path component is no name there cannot exist, and is answered False with neither a stat nor
    the roots' test. Any other is probed as `resource_exists` probes it. Names
    are compared folded (case, Unicode normal form), so the listing only ever rules out, also on
    a case-insensitive file system; on a system whose paths have other spellings (Windows' short
    names) nothing is ruled out.
    """

    __slots__ = ("loader", "base", "prefix", "_names")

    def __init__(self, loader: "FileLoader", base: str) -> None:
        self.loader = loader
        self.base = base
        # the main blueprint's folder with a trailing separator; None once it cannot be listed
        self.prefix: str | None = os.path.join(os.path.dirname(base), "") if not scheme_of(base) else None
        self._names: frozenset[str] | None = None  # the folded names in it, once listed

    def __call__(self, relative: str) -> bool:
        # called for every mapping string of a blueprint: the listing's test is made here, without
        # a call of its own
        if self.prefix is not None:
            first = _first_name(relative)
            if first is not None:
                names = self._names if self._names is not None else self._listed()
                if names is not None and first not in names:
                    return False
        return self.loader.resource_exists(self.base, relative)

    def _listed(self) -> frozenset[str] | None:
        """The folded names in the main blueprint's folder, listed now; None (and no listing
        tried again) when the folder is outside the roots or cannot be listed."""
        folder = os.path.dirname(self.prefix)
        if os.name != "posix" or not self.loader._allowed(folder):
            self.prefix = None
            return None
        roots = self.loader.roots
        try:
            self._names = roots.facts.names(folder) if roots is not None else _listing(folder)
        except OSError:
            self.prefix = None
            return None
        return self._names


@functools.lru_cache(maxsize=4096)
def _first_name(relative: str) -> str | None:
    """The first path component (folded) of the script `relative` below the main blueprint's
    folder, as `_script_path` names it; None when the path leaves the folder or is the folder.
    A pure function of the text: the many blueprints of a batch map the same strings."""
    # "<folder>/<text>": leading slashes stay inside the folder, ".." may leave it (POSIX only:
    # the listing is used on POSIX alone)
    inside = posixpath.normpath(_script_text(relative).lstrip("/") or ".")
    first = inside.split("/", 1)[0]
    return None if first in (".", "..") else _folded(first)


def _folded(name: str) -> str:
    return unicodedata.normalize("NFD", name).casefold()


def _listing(folder: str) -> frozenset[str]:
    """The names in `folder`, folded (`ScriptProbe`). Raises OSError."""
    return frozenset(map(_folded, os.listdir(folder)))


def _holds_marker(folder: str) -> bool:
    return any(os.path.exists(os.path.join(folder, marker)) for marker in PROJECT_MARKERS)


class FolderFacts:
    """What a session learns once about the folders it confines blueprints to: each folder's path
    with its links followed (`Roots.of`, and the folders of the paths `Roots.holds` tests), the
    allowed folders of a `Roots` made ready to test paths against, whether a folder holds a
    project marker and which project root a blueprint's folder has (`project_root`), and the
    names a blueprint's folder holds (`ScriptProbe`; listed again once the folder changed).

    Where folders are and what they lead to are taken as unchanging while the session lives
    (what it keeps of files' contents is checked on every use: `recent.FileTexts`). Every
    blueprint of a batch is confined to the same folders (registries, search paths, the catalog's
    blueprint folders, the folders above the blueprints) and reads files in the same few folders:
    without this, each blueprint followed every link of each of them again, an lstat per path
    component. A path's own last component is still followed each time it is tested (`Roots`).
    Bounded: a long-running process meeting ever new folders forgets them all past `MAX_FOLDERS`
    and learns again.
    """

    MAX_FOLDERS = 4096
    __slots__ = ("_real", "_marked", "_project", "_names", "_allowed", "_led")

    def __init__(self) -> None:
        self._real: dict[str, str] = {}
        self._marked: dict[str, bool] = {}
        self._project: dict[str, str] = {}  # a blueprint's folder -> its project root
        self._names: dict[str, tuple[int, frozenset[str]]] = {}  # a blueprint's folder -> (its mtime, its names folded)
        self._allowed: dict[tuple[str, ...], _Allowed] = {}
        self._led: dict[tuple[str, tuple[str, ...]], _Allowed] = {}  # (project, folders) -> `allowed`

    def realpath(self, path: str) -> str:
        """`os.path.realpath(path)`, learnt once. A normalised absolute path whose last component
        is no link is its folder's real path (learnt the same way) and that name: one lstat, where
        following the path whole takes one per component."""
        real = self._real.get(path)
        if real is None:
            folder, name = os.path.split(path)
            if name and os.path.isabs(path) and os.path.normpath(path) == path and not os.path.islink(path):
                real = os.path.join(self.realpath(folder), name)
            else:
                real = os.path.realpath(path)
            self._learn(self._real, path, real)
        return real

    def marked(self, folder: str) -> bool:
        """Whether `folder` holds `.git` or `.resolver.yaml`, learnt once."""
        known = self._marked.get(folder)
        if known is None:
            known = self._learn(self._marked, folder, _holds_marker(folder))
        return known

    def project(self, start: str) -> str:
        """`project_root` of a blueprint in the absolute folder `start`, learnt once: the
        blueprints of a batch share few folders, and each climbed every folder up to `/`."""
        known = self._project.get(start)
        if known is None:
            known = self._learn(self._project, start, _project_above(start, self.marked))
        return known

    def names(self, folder: str) -> frozenset[str]:
        """The names in the blueprint folder `folder`, folded (`ScriptProbe`, which lists only a
        folder inside the roots): the blueprints of one folder probe the scripts beside them
        against one listing, listed again only when the folder's modification time moved (an
        entry added, removed or renamed in it; one changed within `recent.SETTLED_NS` is listed
        each time), so a script put beside a blueprint is found. Raises OSError (and learns
        nothing)."""
        changed = os.stat(folder).st_mtime_ns
        known = self._names.get(folder)
        if known is not None and known[0] == changed:
            return known[1]
        names = _listing(folder)
        if settled(changed):  # a folder changed this recently may change again unseen
            self._learn(self._names, folder, (changed, names))
        return names

    def allowed(self, project: str, folders: tuple[str, ...]) -> "_Allowed":
        """The project root and `folders` as `Roots` tests paths against them. The folders, which
        every blueprint of a session shares (the project root is most often each one's own
        folder), are made ready once, and the project root put before them once per project root
        (the blueprints of one folder or one repository share it); learnt only when every one is
        absolute (a relative one depends on the working folder)."""
        key = (project, folders)
        led = self._led.get(key)
        if led is None:
            shared = self._allowed.get(folders)
            if shared is None:
                shared = _Allowed.of(folders, self.realpath)
                if not all(map(os.path.isabs, folders)):
                    return shared.led_by(project, self.realpath)
                self._learn(self._allowed, folders, shared)
            led = shared.led_by(project, self.realpath)
            if os.path.isabs(project):
                self._learn(self._led, key, led)
        return led

    def _learn(self, facts: dict, key, value):
        """`facts[key] = value`, all of `facts` forgotten first when it holds `MAX_FOLDERS`."""
        if len(facts) >= self.MAX_FOLDERS:
            facts.clear()
        facts[key] = value
        return value


class _Allowed:
    """A `Roots`' folders, normalised: `written` as given (`..` resolved, repeats dropped), `real`
    with their links followed; and, for the tests of `Roots.holds`, each set of folders as the
    folders themselves and as the prefixes of the paths below them."""

    __slots__ = ("written", "real", "any_folder", "any_prefix", "real_folder", "real_prefix")

    def __init__(self, written: tuple[str, ...], real: tuple[str, ...], any_folder: frozenset,
                 any_prefix: tuple[str, ...], real_folder: frozenset, real_prefix: tuple[str, ...]) -> None:
        self.written, self.real = written, real
        self.any_folder, self.any_prefix = any_folder, any_prefix
        self.real_folder, self.real_prefix = real_folder, real_prefix

    @classmethod
    def of(cls, folders: Iterable[str], realpath: Callable[[str], str]) -> "_Allowed":
        """`folders` made ready; `realpath` follows a folder's links."""
        written = tuple(dict.fromkeys(os.path.normpath(os.path.abspath(folder)) for folder in folders))
        real = tuple(dict.fromkeys(map(realpath, written)))
        return cls(written, real, frozenset(written + real), _prefixes(written + real),
                   frozenset(real), _prefixes(real))

    def led_by(self, project: str, realpath: Callable[[str], str]) -> "_Allowed":
        """These folders with `project` first: what `of((project, *folders))` makes, from them."""
        first = os.path.normpath(os.path.abspath(project))
        real_first = realpath(first)
        return _Allowed((first, *(folder for folder in self.written if folder != first)),
                        tuple(dict.fromkeys((real_first, *self.real))),
                        self.any_folder | {first, real_first}, _prefixes((first, real_first)) + self.any_prefix,
                        self.real_folder | {real_first}, _prefixes((real_first,)) + self.real_prefix)


def _prefixes(folders: Iterable[str]) -> tuple[str, ...]:
    """What a path below each folder starts with: the folder and one separator (`/` for the root)."""
    return tuple(dict.fromkeys(folder.rstrip(os.sep) + os.sep for folder in folders))


@records.frozen
class Roots:
    """Where one blueprint's files may be read from: confinement (SECURITY.md).

    `project` is the project root; `written` every allowed folder as given (the project root
    first, then registries, the cache, search paths, import rules' and catalog targets), `real`
    the same with every symbolic link followed; `files` single files allowed besides, as named (the
    main blueprint: the user named it). A path is inside when it lies in an allowed folder as
    written (`..` resolved) and also once its own links are followed. Made by `of`.
    """

    project: str
    written: tuple[str, ...]
    real: tuple[str, ...]
    files: tuple[str, ...] = ()
    # the folders made ready for `holds`, and what follows a folder's links: the session's
    # FolderFacts, or one made for these roots alone (Roots then lives for one resolve)
    allowed: _Allowed | None = records.field(default=None, compare=False, repr=False)
    facts: FolderFacts = records.field(factory=FolderFacts, compare=False, repr=False)

    @classmethod
    def of(cls, project: str, folders: Iterable[str] = (), files: Iterable[str] = (), *,
           facts: FolderFacts | None = None) -> "Roots":
        """`facts`: what the session knows of its folders (their links followed once a session)."""
        facts = facts if facts is not None else FolderFacts()
        allowed = facts.allowed(project, tuple(folders))
        return cls(project=allowed.written[0], written=allowed.written, real=allowed.real,
                   files=tuple(os.path.normpath(os.path.abspath(f)) for f in files), allowed=allowed, facts=facts)

    def widened(self, folders: Iterable[str]) -> "Roots":
        """These roots and `folders`."""
        return Roots.of(self.project, (*self.written[1:], *folders), self.files, facts=self.facts)

    def holds(self, path: str) -> bool:
        """Whether `path` (absolute) may be read. A path outside as written is refused before
        anything on disk is looked at; one inside has its links followed and is checked again."""
        lexical = os.path.abspath(path)  # normalised, `..` resolved
        if lexical in self.files:
            return True
        allowed = self.allowed
        if not (lexical in allowed.any_folder or lexical.startswith(allowed.any_prefix)):
            return False
        real = self._realpath(lexical)
        return real in allowed.real_folder or real.startswith(allowed.real_prefix)

    def _realpath(self, path: str) -> str:
        """`os.path.realpath(path)` for a normalised absolute path: its own link followed each
        time, its folder's as `facts` learnt them (once a session, for a session's roots): a
        blueprint probes many scripts and reads many files in few folders."""
        folder, name = os.path.split(path)
        if not name or os.path.islink(path):
            return os.path.realpath(path)
        return os.path.join(self.facts.realpath(folder), name)


class FileLoader:
    """Answers imports from disk: beside the importer, search paths, rules, cache, catalog, types.

    With `roots`, every file read and every script path probed must lie inside them; a path
    outside is neither read nor tested for existence (`import-outside-root`). Without, any path
    the blueprint names is read (`--allow-outside`, for trusted input).
    """

    def __init__(self, *, rules: Iterable[tuple[str, str]] = (), search_paths: Iterable[str] = (),
                 catalog: dict[str, str] | None = None, http=None, cwd: str | None = None,
                 types=None, roots: Roots | None = None, limits: Limits = DEFAULT_LIMITS,
                 kept_chars: int = DEFAULT_KEPT_CHARS) -> None:
        """`http` (net.Http) answers URLs from the cache, and from the network when it is online;
        without it, URLs are answered by the import rules alone. `types` (types.CloudifyTypes)
        answers Cloudify's types (`cloudify/types/*.yaml` once every other place failed, and the
        spec-site URLs no rule answered) from the registries and the cache. `limits.max_file_size`
        is checked before a file is read. The texts read are kept for the next blueprints, the most
        recently used up to `kept_chars` characters, as the session's parsed documents are, and
        each given again only while its file is unchanged (recent.FileTexts)."""
        self.rules = tuple(rules)
        self.search_paths = tuple(os.path.abspath(p) for p in search_paths)
        self.catalog = dict(catalog or {})
        self.http = http
        self.cwd = cwd or os.getcwd()
        self.types = types
        self.roots = roots
        self.limits = limits
        self._texts = FileTexts(kept_chars)
        self._shown: dict[str, str] = {}  # path -> `shown(path)`, from this loader's cwd
        self._targets: list[str] | None = None  # `_target_folders`, once found

    def _clone(self, **changes) -> "FileLoader":
        """This loader with some of its settings changed (`roots`, `search_paths` already absolute,
        `types`), sharing all else: a session's loader is cloned for every blueprint. Same
        files, same texts: what was read is shared; the same working folder and the same rules
        and catalog: so are the paths shown and the rules' and catalog's folders."""
        self._target_folders()  # found before the copy, so that every clone has them
        # copy.copy's shallow copy, without its generic protocol: once or twice per blueprint
        clone = object.__new__(type(self))
        vars(clone).update(vars(self), **changes)
        return clone

    def allowed_folders(self) -> list[str]:
        """The folders this loader's own settings make readable: search paths, the local targets
        of import rules, and the folders of the catalog's blueprints."""
        return [*self.search_paths, *self._target_folders()]

    def _target_folders(self) -> list[str]:
        """The folders of the import rules' local targets and of the catalog's blueprints; found
        once per loader and its clones, as the texts they read are."""
        if self._targets is None:
            out = []
            for _, replacement in self.rules:
                target = replacement[len("file:"):] if replacement.startswith("file:") else replacement
                if scheme_of(target) or not os.path.isabs(target):
                    continue
                out.append(target if target.endswith(("/", os.sep)) or os.path.isdir(target)
                           else os.path.dirname(target))
            out.extend(os.path.dirname(path) for path in self.catalog.values())
            self._targets = out
        return self._targets

    def confined(self, roots: Roots | None) -> "FileLoader":
        """The same loader, reading only inside `roots` (None: anywhere)."""
        return self._clone(roots=roots)

    @property
    def online(self) -> bool:
        return bool(self.http is not None and self.http.online)

    def with_search_paths(self, extra: Iterable[str]) -> "FileLoader":
        """The same loader with more search paths (which are allowed roots, when confined)."""
        extra = tuple(os.path.abspath(p) for p in extra)
        if not extra:
            return self
        roots = self.roots.widened(extra) if self.roots is not None else None
        return self._clone(search_paths=self.search_paths + extra, roots=roots)

    def with_types_version(self, version: str) -> "FileLoader":
        """The same loader, answering `cloudify/types/*.yaml` with the types of `version` (a lock's)."""
        if self.types is None or self.types.manager_version:
            return self  # an explicit --manager-version wins over the lock
        return self._clone(types=self.types.pinned(version))

    # -- public -----------------------------------------------------------------------
    def fetch(self, ref: str, parent: str | None, dsl_short: str | None) -> Fetched:
        scheme = scheme_of(ref)
        if scheme == "file":
            return self._file(ref[len("file:"):], via="file")
        if scheme in NETWORK_SCHEMES:
            return self._url(ref)
        if scheme == "resource":
            return self._resource(ref[len("resource:"):], dsl_short, tried=[], refused=[])
        if os.path.isabs(ref):
            return self._file(ref, via="file")
        return self._relative(ref, parent, dsl_short)

    def fetch_blueprint(self, blueprint_id: str) -> Fetched:
        path = self.catalog.get(blueprint_id)
        if path is None:
            raise FetchError(f"the blueprint catalog holds no blueprint {blueprint_id!r}",
                             tried=[f"catalog id {blueprint_id!r}"])
        fetched = self._file(path, via="catalog")
        return records.replace(fetched, via="catalog")

    def resource_exists(self, base: str, relative: str) -> bool:
        """Whether the script `relative` exists beside the main blueprint `base`. A path outside
        the roots is answered False without looking, so its existence is never probed. As the
        system opens the path the reference asks for: one ending in "/" or "/." names no file,
        and a ".." climbs out of a folder that must exist (asked only of folders inside the roots)."""
        candidate = _script_path(base, relative)
        if candidate is None or not self._allowed(candidate):
            return False
        text = _script_text(relative)
        if text.endswith(("/", "/.")):
            return False
        if ".." in text:
            parts = text.split("/")
            folder = os.path.dirname(base)
            for index, part in enumerate(parts):
                if part != ".." or index == 0:
                    continue
                climbed = os.path.normpath(folder + "/" + "/".join(parts[:index]))
                if not self._allowed(climbed) or not os.path.isdir(climbed):
                    return False
        return os.path.isfile(candidate)

    def resource_prober(self, base: str) -> "ScriptProbe":
        """`resource_exists(base, ...)` as a function, for the many scripts of one blueprint."""
        return ScriptProbe(self, base)

    def shown(self, path: str) -> str:
        """A path as a person would type it: relative to the working folder when inside it; a URL as is."""
        if "://" in path:
            return path
        shown = self._shown.get(path)
        if shown is None:
            rel = relative_below(path, self.cwd)
            shown = path if rel.startswith("..") else rel
            if os.path.isabs(path) and os.path.isabs(self.cwd):
                # kept: every blueprint of a session shows the same imported files (17,000 times
                # over the corpus batch); a relative path would depend on the process's folder
                self._shown[path] = shown
        return shown

    # -- internals --------------------------------------------------------------------
    def _allowed(self, path: str) -> bool:
        return self.roots is None or self.roots.holds(path)

    def _outside(self, tried: Sequence[str] = ()) -> FetchError:
        """The error for an import answered only outside the roots. Names the root, never anything
        of the outside file (nothing of it was read)."""
        return FetchError(f"it resolves outside the allowed roots (the project root is {self._root_shown()}); "
                          "nothing there was read", tried=tried, code="import-outside-root")

    def _root_shown(self) -> str:
        """The project root relative to the working folder when that is inside it (`..`, `../..`)."""
        root = self.roots.project if self.roots is not None else self.cwd
        relative = os.path.relpath(root, self.cwd)
        return relative if all(part == ".." for part in relative.split(os.sep)) or relative == "." else root

    def _read(self, path: str) -> str:
        text = self._texts.get(path)
        if text is None:
            data, status = _read_bounded(path, self.limits.max_file_size)
            heap.big_file(len(data))  # before its blocks are freed (heap.py)
            # as text mode reads it: universal newlines, so a CRLF file gives the text (and sha256) it always did
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
            self._texts.keep(path, text, status)
        return text

    def _file(self, path: str, via: str, identity: str | None = None) -> Fetched:
        path = os.path.normpath(os.path.abspath(path))
        if not self._allowed(path):
            raise self._outside(tried=[f"{self.shown(path)} (outside the roots: not read)"])
        return self._allowed_file(path, via, identity)

    def _allowed_file(self, path: str, via: str, identity: str | None = None) -> Fetched:
        """`_file` of a normalised absolute `path` already found inside the roots (`_candidate`)."""
        shown = self.shown(path)
        try:
            text = self._read(path)
        except _TooLarge as exc:
            option = Limits.option("max_file_size")
            raise FetchError(f"the file is {exc.size} bytes, over the limit of {self.limits.max_file_size} "
                             f"({option} raises it); it was not read", tried=[path], code="file-too-large") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise FetchError(f"cannot read {shown}: {reason}", tried=[path]) from None
        return Fetched(identity=identity or path, shown=shown, text=text, via=via, resolved=shown)

    def _candidate(self, path: str, tried: list[str], refused: list[str]) -> bool:
        """Whether the local file `path` answers: tried in order, never looked at outside the roots."""
        if not self._allowed(path):
            tried.append(f"{path} (outside the roots: not read)")
            refused.append(path)
            return False
        tried.append(path)
        return os.path.isfile(path)

    def _relative(self, ref: str, parent: str | None, dsl_short: str | None) -> Fetched:
        tried: list[str] = []
        refused: list[str] = []
        if parent and scheme_of(parent) in NETWORK_SCHEMES + ("resource",):
            try:
                return self.fetch(canonical_url(urljoin(parent, ref)), None, dsl_short)
            except FetchError as exc:
                if exc.code is not None:
                    raise
                tried.extend(exc.tried)
        elif parent:
            candidate = os.path.normpath(os.path.join(os.path.dirname(parent), ref))
            if self._candidate(candidate, tried, refused):
                return self._allowed_file(candidate, via="file")
        for folder in self.search_paths:
            for name in filter(None, (versioned_name(ref, dsl_short), ref)):
                candidate = os.path.normpath(os.path.join(folder, name))
                if self._candidate(candidate, tried, refused):
                    return self._allowed_file(candidate, via="file")
        return self._resource(ref, dsl_short, tried, refused)

    def _resource(self, ref: str, dsl_short: str | None, tried: list[str], refused: list[str]) -> Fetched:
        for name in filter(None, (versioned_name(ref, dsl_short), ref)):
            url = f"resource:{name}"
            for rewritten in self._rewrites(url):
                if scheme_of(rewritten):
                    tried.append(rewritten)
                    continue
                rewritten = os.path.normpath(os.path.abspath(rewritten))
                if self._candidate(rewritten, tried, refused):
                    return self._allowed_file(rewritten, via="rule", identity=url)
        for folder in self.search_paths:
            for name in filter(None, (versioned_name(ref, dsl_short), ref)):
                candidate = os.path.normpath(os.path.join(folder, name))
                if candidate not in tried and candidate not in refused:
                    if self._candidate(candidate, tried, refused):
                        return self._allowed_file(candidate, via="file")
        if self.types is not None and resource_types_file(ref):
            # As a manager's resources folder: the types of one manager version (types.py).
            answer = self.types.for_resource(ref, dsl_short, tried)
            # the resource URL of the file read, as the rules' `resource:` answers are named
            return self._types(answer, identity=f"resource:cloudify/types/{answer.yaml_file}")
        if refused:
            raise self._outside(tried)
        raise FetchError(f"no file found for {ref!r}", tried=tried)

    def _types(self, answer, identity: str) -> Fetched:
        shown = self.shown(answer.location) if os.path.isabs(answer.location) else answer.location
        # held in a registry: "types"; else fetched by URL, said as any URL answer says it
        via = "types" if answer.held else "network" if self.online else "cache"
        return Fetched(identity=identity, shown=shown, text=answer.text, via=via, resolved=shown,
                       types_version=answer.version)

    def _rewrites(self, url: str) -> list[str]:
        out = []
        for prefix, replacement in self.rules:
            if url.startswith(prefix):
                rewritten = replacement + url[len(prefix):]
                if rewritten.startswith("file:"):
                    rewritten = rewritten[len("file:"):]
                if rewritten not in out:
                    out.append(rewritten)
        return out

    def _url(self, url: str) -> Fetched:
        url = canonical_url(url)
        tried: list[str] = []
        refused: list[str] = []
        for rewritten in self._rewrites(url):
            tried.append(rewritten)
            if scheme_of(rewritten) in NETWORK_SCHEMES:
                if self.http is not None:
                    try:
                        return self._http(rewritten, identity=url, tried=tried)
                    except FetchError:
                        continue
                continue
            if scheme_of(rewritten):
                continue
            rewritten = os.path.normpath(os.path.abspath(rewritten))
            if self._candidate(rewritten, [], refused):
                return self._allowed_file(rewritten, via="rule", identity=url)
        if refused:
            raise self._outside(tried)
        if self.types is not None and spec_types_url(url):
            return self._types(self.types.for_url(url, tried), identity=url)
        if self.http is None:
            tried.append(f"{url} (no cache, network off)")
            raise FetchError(f"{url} is not answered by any import rule, and there is no cache or network",
                             tried=tried, offline=True)
        return self._http(url, identity=url, tried=tried)

    def _http(self, url: str, identity: str, tried: list[str]) -> Fetched:
        from .net import NetError

        tried.append(url if self.online else f"{url} (cache; network off: pass --online to allow it)")
        try:
            data = self.http.get(url)
        except NetError as exc:
            offline = exc.code == "registry-offline"
            reason = (f"{url} is not answered by any import rule or the cache, and the network is off"
                      if offline else exc.message)
            raise FetchError(reason, tried=tried, offline=offline,
                             code=exc.code if exc.code == "url-refused" else None) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FetchError(f"{url} is not UTF-8 text: {exc}", tried=tried) from None
        return Fetched(identity=identity, shown=url, text=text, via="network" if self.online else "cache",
                       resolved=url)
