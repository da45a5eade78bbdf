"""Stage 2, imports: walk `imports:` breadth-first from the main blueprint.

Produces the ordered list of `SourceFile`s to merge (main first), each loaded once and
identified by (canonical location, namespace). Files come from the injected `Loader`;
`plugin:` imports and legacy plugin-YAML URLs from the registries. Problems point at
the import entry that failed, in the file that wrote it.

Besides the files, the walk keeps what a lock file needs (registry/lock.py, `Trail`): every
import entry answered (`Answer`, before de-duplication) and the sha256 of every text read, keyed
as the lock names files (`file_key`). With a lock, `plugin:` imports get the locked version and
YAML file instead of a choice, and every text read is compared with the lock.

Registry faults: a registry may raise `RegistryError` from any call. The fault becomes a problem
with its code at the import, naming the registry: a warning when a later registry answers the
import, an error when none does (then it is that import's problem, instead of
`plugin-not-found`: the failed source may have held the plugin). A registry that failed in a
way that concerns the whole source (`SOURCE_WIDE`: unreachable, refused, failing) is not asked
again in the same session; each later import it would have answered gets the same problem.
"""
from __future__ import annotations

import functools
import os
import threading
from collections import deque
from typing import Any, Callable, MutableMapping, Sequence

from . import records
from . import registry as reg
from .backcompat import derive_plugin_1_3
from .cache import sha256
from .limits import DEFAULT_LIMITS, Limits
from .load import Map, Seq, load_yaml
from .namespaces import NAMESPACE_DELIMITER, apply_namespace, join_namespaces, split_namespace
from .codes import WARNING
from .problems import Mark, Problem, Problems
from .recent import DEFAULT_KEPT_CHARS, Recent
from .schema import BLUEPRINT, PLUGIN, check as check_schema
from .shared import SessionMemo
from .sources import FetchError, Fetched, Loader, relative_below, scheme_of
from .versions import SUPPORTED, at_least, rank, short

BLUEPRINT_PREFIX = "blueprint:"
REGISTRY_KEY_PREFIX = "registry:"
# Registry faults about the source as a whole: asking it again for the next import cannot help.
# Offline, not-found and bad-response faults concern one answer (the cache may hold the next).
SOURCE_WIDE = frozenset(("registry-unreachable", "registry-auth-failed", "registry-forbidden",
                         "registry-server-error", "url-refused"))
# The sections whose entries form derived_from chains (bounded by Limits.max_type_depth).
TYPE_SECTIONS = ("node_types", "relationships", "data_types")
# Candidates shown in a plugin-not-found hint; the JSON plan and --explain show them all.
HINT_CANDIDATES = 8
# The share of a session's parse cache that blueprints' own documents, parsed once, may hold.
ONCE_SHARE = 16


@records.frozen
class ImportSpec:
    """One entry of an `imports:` list, as written."""

    written: str
    namespace: str | None
    target: str
    properties: Any
    mark: Mark | None


@records.frozen
class PluginChoice:
    """How one `plugin:` import was answered: every candidate seen, in registry then listing order.

    `registry` and `yaml_file` are the registry that answered and the YAML file chosen (the
    file the plan shows: `plugin_1_3.yaml` when it was derived for DSL 1_3).
    """

    specifier: str
    distributions: tuple[str, ...]
    candidates: tuple[reg.Candidate, ...]
    registry: str | None = None
    yaml_file: str | None = None


@records.frozen
class Answer:
    """One import entry as answered, for the lock: keys are `file_key`s, None where not relevant."""

    written: str
    importer: str
    namespace: str | None
    resolved: str
    via: str
    sha256: str
    package_name: str | None = None
    package_version: str | None = None
    yaml_file: str | None = None
    registry: str | None = None
    types_version: str | None = None


@records.frozen
class Failure:
    """An import that could not be answered: its problem and the namespace it would have had."""

    problem: Problem
    namespace: str | None


@records.frozen
class SourceFile:
    """A file to merge: its document, where it came from and under which namespace."""

    identity: str
    shown: str
    namespace: str | None
    doc: Map
    via: str
    resolved: str
    spec: ImportSpec | None = None
    plugin: reg.PluginRecord | None = None
    yaml_file: str | None = None
    is_basic_types: bool = False
    blueprint_id: str | None = None
    in_catalog: bool = False
    chain: tuple[str, ...] = ()
    types_version: str | None = None
    choice: PluginChoice | None = None


class Trail:
    """What one walk read and answered, in the lock's terms (registry/lock.py): `reads` maps the
    `file_key` of every text read (main blueprint, imports, plugin YAML) to its sha256, in the
    order read, the first text read under a key winning; `answers` lists every import entry
    answered, in walk order.

    The walk keeps the texts, and the files' identities, as it meets them; they are named from
    the blueprint's folder and hashed when `reads` or `answers` is first asked for, so a resolve
    that writes no lock (a batch's, a check's) never hashes its texts nor names its files (the
    sha256 of every text read was 2% of a corpus batch's instructions). Every reader gets the same
    values: a key is a function of the folder and the identity alone when the folder is absolute
    (`keys_from`; a walk from a relative folder makes its terms at once, `made`), and a digest
    one of the text, which the trail holds. A text over `HELD_TEXT` characters is hashed as it is
    met instead: the trail goes on in the result, and holding a 10 MB blueprint's text there for a
    digest only a lock asks for was 6% of the peak memory of a 10,000-node resolve.
    """

    __slots__ = ("base", "_reads", "_answers", "_made")

    def __init__(self, base: str = "") -> None:
        self.base = base  # the main blueprint's folder, which the lock names files from
        self._reads: list[tuple[str, str]] = []  # (name, text), in the order read
        self._answers: list[tuple] = []  # (text, importer, resolved, registry, the other fields)
        self._made: tuple[dict, tuple[Answer, ...]] | None = None

    def read(self, name: str, text: str) -> None:
        """`text` was read from the file `name`: its identity, or a key `file_key` keeps as it is
        (a `registry_key`)."""
        self._reads.append((name, _held(text)))

    def answered(self, text: str, importer: str, resolved: str, registry: str | None, **fields) -> None:
        """An import entry was answered with `text`: `importer` and `resolved` name files by
        identity, `registry` a registry's location (or None); `fields` are the `Answer`'s others."""
        self._answers.append((_held(text), importer, resolved, registry, fields))

    @property
    def reads(self) -> dict[str, str]:
        return self.made()[0]

    @property
    def answers(self) -> tuple[Answer, ...]:
        return self.made()[1]

    def made(self) -> tuple[dict[str, str], tuple[Answer, ...]]:
        """(`reads`, `answers`), made on the first call (two threads asking at once both make
        them, equal)."""
        made = self._made
        if made is None:
            key_of = keys_from(self.base)
            digests: dict[str, str] = {}  # a text imported again (under a namespace, by another file) is hashed once

            def digest(text: str | _Digest) -> str:
                if text.__class__ is _Digest:
                    return text.sha256
                found = digests.get(text)
                if found is None:
                    found = digests[text] = text_sha256(text)
                return found

            reads: dict[str, str] = {}
            for name, text in self._reads:
                key = key_of(name)
                if key not in reads:
                    reads[key] = digest(text)
            answers = tuple(Answer(importer=key_of(importer), resolved=key_of(resolved), sha256=digest(text),
                                   registry=key_of(registry) if registry is not None else None, **fields)
                            for text, importer, resolved, registry, fields in self._answers)
            made = self._made = (reads, answers)
        return made


@records.frozen
class Imports:
    """The walk's outcome: files to merge, and what the lock and the folding of problems need.

    `failures` lists the imports that could not be answered, in walk order; `answers` and `reads`
    what a lock records (`Trail`).
    """

    files: tuple[SourceFile, ...]
    dsl_version: str | None
    namespaces_mapping: dict
    failures: tuple[Failure, ...] = ()
    trail: Trail = records.field(factory=Trail, compare=False, repr=False)

    @property
    def answers(self) -> tuple[Answer, ...]:
        """Every import entry answered, in walk order (`Trail.answers`)."""
        return self.trail.answers

    @property
    def reads(self) -> dict[str, str]:
        """The sha256 of every text read by its `file_key`, in the order read (`Trail.reads`)."""
        return self.trail.reads


# The longest text a `Trail` keeps for its lazy digest, in characters: a blueprint and its imports
# weigh a few KB each (the corpus's longest file, a plugin YAML, 0.4 MB): only generated giants pass it.
HELD_TEXT = 1024 * 1024


class _Digest:
    """The sha256 of a text too long for a `Trail` to hold, made as the text was met."""

    __slots__ = ("sha256",)

    def __init__(self, text: str) -> None:
        self.sha256 = text_sha256(text)


def _held(text: str) -> str | _Digest:
    """What a `Trail` keeps of `text` for its digest: the text itself, or a long one's digest."""
    return text if len(text) <= HELD_TEXT else _Digest(text)


def text_sha256(text: str) -> str:
    """The sha256 of a text as read, encoded UTF-8: what the lock records for every file."""
    return sha256(text.encode("utf-8"))


def file_key(identity: str, base: str) -> str:
    """How the lock names a file: a URL (or `resource:`, `plugin:` identity) as it is; a local path
    relative to `base` (the main blueprint's folder, with `..` when outside it), `/`-separated,
    so that a lock committed beside a blueprint holds wherever the repository is checked out."""
    return keys_from(base)(identity)


def keys_from(base: str) -> Callable[[str], str]:
    """`file_key(identity, base)` as a function of `identity` alone, for a walk that names many
    files from one folder. Remembered when `base` is absolute: then a function of the two texts
    alone, and a blueprint names its own folder's files several times over (its reads, its
    answers' importers) and a batch's blueprints share folders and imports."""
    if base and os.path.isabs(base):
        return functools.partial(_key_below, base)
    # relative to the working folder: not a function of the texts alone
    return functools.partial(_key_below.__wrapped__, base)


@functools.lru_cache(maxsize=4096)
def _key_below(base: str, identity: str) -> str:
    """`file_key(identity, base)`."""
    if not base or scheme_of(identity) or not os.path.isabs(identity):
        return identity
    try:
        return relative_below(identity, base).replace(os.sep, "/")
    except ValueError:  # another drive: no relative path exists
        return identity


def registry_key(record: reg.PluginRecord, yaml_file: str) -> str:
    """How the lock names a plugin YAML read from a registry: by package, version and file, not
    by location, so that any source giving the same bytes satisfies the lock."""
    return f"{REGISTRY_KEY_PREFIX}{record.package_name}/{record.version}/{yaml_file}"


class ParseCache:
    """Parsed documents, shared by every blueprint of a session, and the session's `limits` (the
    loader's, and the walk's: files, node templates, type depth).

    A document is known by all that its parse depends on besides the limits: the text, the path it
    is shown as (in its marks and problems), the transform and the schema. So a file reached
    under several identities (the http:// and https:// URLs of one types.yaml that the import
    rules answer with one local file) is parsed once, and each identity gets the same document.

    Bounded: it keeps the most recently used documents whose texts add up to at most `max_chars`
    characters (a long-running process resolving uploads one after another must not keep them
    all); a text longer than that is parsed and not kept. What the files of a batch share (types,
    plugin YAML) stays, as it is used again and again, and the stream of blueprints a batch or a
    long-running process resolves, each read once, does not push it out: a blueprint's own document
    is kept as parsed once (`_once`) until it is asked for again (imported by another blueprint, or
    resolved again), and only then as shared (`_docs`), as an imported file's is at once. Past the
    bound, the documents parsed once go first, the least recently used of them first; a shared one
    goes only when none of those is left.

    The documents parsed once have a bound of their own too, a sixteenth of `max_chars`: enough
    for the few blueprints just resolved, which is where a second ask comes from (a blueprint
    resolved again, or imported by the next one of its folder: 3 of the 1,201 in a corpus batch).
    Kept up to the whole bound, a stream of blueprints each read once grew the heap with
    documents nobody asked for again: a corpus batch's peak was 103 MB, 83 MB with this bound
    (`make bench`, 2026-12-01).

    Safe from several threads: two threads parsing the same file at once both parse it and
    keep equal results; a parsed document is never changed afterwards.

    `memo` holds what the session works out from the shared documents alone (shared.py; `holds`
    says which they are); it is dropped whenever a shared document is. A blueprint's document
    parsed once is never the memo's: dropping it leaves the memo as it is. (Imported files
    distinct enough to overflow the bound still drop shared documents, and the memo with them.)
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, max_chars: int = DEFAULT_KEPT_CHARS) -> None:
        self.limits = limits
        self.max_chars = max_chars
        self._kept_ids: set[int] = set()  # id() of every shared document (which keeps it alive)
        self.memo = SessionMemo()
        # (document, its problems), counted by the length of its text: shared, and parsed once so far
        self._docs = Recent(max_chars, kept=self._kept, dropped=self._dropped)
        self._once = Recent(max_chars // ONCE_SHARE)
        self._bound = threading.Lock()  # the two kept within max_chars together
        # text -> its sha256 (`digest`), counted by its length
        self._digests = Recent(max_chars)

    def _kept(self, made: tuple) -> None:
        if made[0] is not None:
            self._kept_ids.add(id(made[0]))

    def _dropped(self, made: tuple) -> None:
        self._kept_ids.discard(id(made[0]))
        self.memo.clear()

    def digest(self, text: str) -> str:
        """`text_sha256(text)`, worked out once for a text read again and again (the files that the
        blueprints of a batch checked against their locks share). The texts are kept as the
        documents are, at most `max_chars` characters of them; a file's text is most often the very
        one the loader keeps."""
        digest = self._digests.get(text)
        if digest is None:
            digest = text_sha256(text)
            self._digests.keep(text, digest, len(text))
        return digest

    def holds(self, doc) -> bool:
        """Whether `doc` is a document this cache keeps as shared: an import, or a blueprint asked
        for more than once (the same object, not an equal one)."""
        return id(doc) in self._kept_ids

    def parse(self, text: str, shown: str, transform: Callable | None = None, schema: str = BLUEPRINT,
              main: bool = False):
        """(the document `text` is, shown as `shown`, with `transform` applied and checked against
        `schema`; its problems): parsed once while kept. `main`: the blueprint being resolved, not
        an import (kept as parsed once until it is asked for again)."""
        key = (text, shown, transform, schema)
        hit = self._docs.get(key)
        if hit is not None:
            return hit
        hit = self._once.pop(key)
        if hit is not None:  # asked for again: shared from now on
            self._keep(self._docs, key, hit, len(text))
            return hit
        local = Problems()
        doc = self._loaded_clean(text, shown, schema) if transform is not None else None
        if doc is None:
            doc = load_yaml(text, shown, local, self.limits)
        if doc is not None and transform is not None:
            doc = transform(doc)
        if isinstance(doc, Map):
            check_schema(doc, schema, local)
        made = (doc, tuple(local))
        self._keep(self._once if main else self._docs, key, made, len(text))
        return made

    def _loaded_clean(self, text: str, shown: str, schema: str) -> Map | None:
        """The document `text` loads to, shown as `shown`, when it is kept as parsed without a
        transform and with no problem at all (none from loading, then): a transform (a plugin's
        DSL 1_3 form) works on it instead of loading the text again, as it never changes its
        input. None otherwise."""
        hit = self._docs.get((text, shown, None, schema))
        if hit is None or hit[1] or not isinstance(hit[0], Map):
            return None
        return hit[0]

    def _keep(self, where: Recent, key: tuple, made: tuple, size: int) -> None:
        with self._bound:
            where.keep(key, made, size)
            while self._docs.held + self._once.held > self.max_chars and self._once.drop_oldest():
                pass

    @property
    def held(self) -> int:
        """Characters of text of the documents kept."""
        return self._docs.held + self._once.held

    def keys(self) -> list:
        """The keys of the documents kept, those parsed once first, each kind the least recently
        used first (the order they would be dropped in)."""
        return self._once.keys() + self._docs.keys()

    def __len__(self) -> int:
        return len(self._docs) + len(self._once)


def marked_without_types(doc, problems: Problems, chain=()) -> None:
    """A file whose metadata has `cloudify_types` (any value) marks itself as Cloudify's types, and
    the reference then looks its node types up: a file with none is refused (it fails there)."""
    metadata = doc.get("metadata")
    if isinstance(metadata, Map) and "cloudify_types" in metadata and not isinstance(doc.get("node_types"), dict):
        problems.add("schema-missing-key", "metadata.cloudify_types marks this file as Cloudify's types, but it "
                     "defines no node_types", metadata.key_mark("cloudify_types"), chain=chain,
                     hint="Remove cloudify_types from the metadata, or define the node types.")


def is_basic_types(doc) -> bool:
    node_types = doc.get("node_types") if isinstance(doc, Map) else None
    return isinstance(node_types, dict) and "cloudify.nodes.Root" in node_types


class ImportWalker:
    def __init__(self, loader: Loader, registries: Sequence[reg.Registry], cache: ParseCache,
                 problems: Problems, *, failures: MutableMapping[str, reg.RegistryError] | None = None,
                 lock=None) -> None:
        """`failures`: registry name -> the source-wide fault it raised, shared by a session so a
        failed source is asked once. `lock`: a `registry.lock.Lock` to resolve exactly from."""
        self.loader = loader
        self.registries = tuple(registries)
        self.cache = cache
        self.problems = problems
        self.failures = {} if failures is None else failures
        self.lock = lock
        self.dsl_version: str | None = None
        self.blueprint_namespaces: dict[str, str] = {}
        self.base = ""
        self.key_of = keys_from(self.base)  # file_key(..., self.base)
        self.trail = Trail(self.base)
        self.failed: list[Failure] = []
        self.seen: set = set()  # (identity, namespace) of the files the walk merges (`walk`)
        self.checked: set[str] = set()  # with a lock: the keys of the files compared with it
        self.changed: set[str] = set()  # keys of files whose bytes differ from the lock

    # -- entry --------------------------------------------------------------------------
    def walk(self, main: Fetched) -> Imports:
        self.base = os.path.dirname(main.identity) if not scheme_of(main.identity) else ""
        self.key_of = keys_from(self.base)
        self.trail = Trail(self.base)
        self._record(main.identity, main.text, main.shown, None, ())
        doc = self._parse(main.text, main.shown, main=True)
        if doc is None:
            return Imports((), None, {})
        if not isinstance(doc, Map):
            self.problems.add("schema-wrong-type", "a blueprint must be a mapping at the top level",
                              getattr(doc, "mark", None) or Mark(main.shown, 1, 1))
            return Imports((), None, {})
        self.dsl_version = self._main_version(doc, main.shown)
        marked_without_types(doc, self.problems)
        root = SourceFile(identity=main.identity, shown=main.shown, namespace=None, doc=doc,
                          via=main.via, resolved=main.resolved, is_basic_types=is_basic_types(doc),
                          chain=(main.identity,))
        files = [root]
        seen = self.seen = {(root.identity, None)}
        queue = deque([root])
        limits = self.cache.limits
        nodes = self._over_nodes(root, 0, limits)
        if nodes is None:
            return self._stopped()
        while queue:
            current = queue.popleft()
            for spec in self._entries(current):
                child = self._resolve(current, spec)
                if child is None:
                    continue
                key = (child.identity, child.namespace)
                # A file that imports itself again, under any namespace, closes a cycle: under a
                # new namespace the pair would always be new and the walk would never end.
                if key in seen or child.identity in current.chain:
                    if child.identity in current.chain:
                        cycle = " -> ".join(
                            self._shown_of(files, i) for i in current.chain + (child.identity,))
                        self.problems.add("import-cycle", f"import cycle: {cycle}", spec.mark,
                                          hint="Each file is merged once; remove the import that closes the cycle.",
                                          chain=current.chain)
                    continue
                seen.add(key)
                files.append(child)
                if len(files) > limits.max_files:
                    self.problems.add("imports-too-many",
                                      f"the imports bring in more than {limits.max_files} files; this import "
                                      "is the first one over", spec.mark, chain=current.chain,
                                      hint=f"Import fewer files, or raise the limit with "
                                           f"{Limits.option('max_files')}.")
                    return self._stopped()
                nodes = self._over_nodes(child, nodes, limits)
                if nodes is None:
                    return self._stopped()
                queue.append(child)
        if not self._type_depth_within(files, limits):
            return self._stopped()
        return Imports(tuple(files), self.dsl_version, dict(self.blueprint_namespaces), tuple(self.failed),
                       self._trail_kept())

    def _stopped(self) -> Imports:
        """The outcome of a walk stopped by a limit: nothing to merge, what was read so far."""
        return Imports((), self.dsl_version, dict(self.blueprint_namespaces), tuple(self.failed),
                       self._trail_kept())

    def _trail_kept(self) -> Trail:
        """The walk's trail, its lock terms made now when they depend on the working folder (a
        blueprint named by a relative path, from an injected loader)."""
        if self.base and not os.path.isabs(self.base):
            self.trail.made()
        return self.trail

    def _over_nodes(self, source: SourceFile, count: int, limits: Limits) -> int | None:
        """`count` plus the node templates of `source`; None (with the problem) past `max_nodes`."""
        templates = source.doc.get("node_templates")
        if not isinstance(templates, dict):
            return count
        count += len(templates)
        if count <= limits.max_nodes:
            return count
        self.problems.add("nodes-too-many", f"the blueprint defines more than {limits.max_nodes} node templates "
                                            f"({count} so far, counting this file's)",
                          source.doc.key_mark("node_templates"), chain=source.chain[:-1],
                          hint=f"Split the blueprint, or raise the limit with {Limits.option('max_nodes')}.")
        return None

    def _type_depth_within(self, files, limits: Limits) -> bool:
        """Whether every derived_from chain is at most `max_type_depth` long; the first type (in
        file order) whose chain is longer gets the problem, at its derived_from."""
        bound = limits.max_type_depth
        for section in TYPE_SECTIONS:
            owners, every = [], []  # the files defining the section, and their entries
            for source in files:
                entries = source.doc.get(section)
                if isinstance(entries, Map):
                    owners.append(source)
                    every.append(entries)
            if sum(map(len, every)) <= bound:
                continue  # a chain holds each type once at most: none can be longer than this
            if all(self.cache.holds(source.doc) for source in owners):
                # the answer depends on these definitions alone: once per session for them
                found = self.cache.memo.made(("type too deep", bound, tuple(map(id, every))), tuple(every),
                                             lambda: _too_deep(every, bound))
            else:
                found = _too_deep(every, bound)
            if found is not None:
                index, name, body = found
                # the mark made for the one type reported, not for every type of every file
                where = body.value_mark("derived_from") if isinstance(body, Map) else None
                self.problems.add("type-hierarchy-too-deep",
                                  f"{section} {name!r} is derived through more than {bound} "
                                  "types", where, chain=owners[index].chain[:-1],
                                  hint=f"Shorten the derived_from chain, or raise the limit with "
                                       f"{Limits.option('max_type_depth')}.")
                return False
        return True

    @staticmethod
    def _shown_of(files, identity):
        for f in files:
            if f.identity == identity:
                return f.shown
        return identity

    # -- the main file's version ------------------------------------------------------
    def _main_version(self, doc: Map, shown: str) -> str | None:
        version = doc.get("tosca_definitions_version")
        if version is None or version == "":
            self.problems.add("dsl-version-missing",
                              "tosca_definitions_version must appear in the main blueprint file",
                              doc.mark or Mark(shown, 1, 1),
                              hint="Add e.g. 'tosca_definitions_version: cloudify_dsl_1_4' at the top.")
            return None
        if not isinstance(version, str):
            self.problems.add("schema-wrong-type",
                              f"tosca_definitions_version must be a string, not {type(version).__name__}",
                              doc.value_mark("tosca_definitions_version"))
            return None
        if version not in SUPPORTED:
            self.problems.add("dsl-version-unsupported",
                              f"unsupported tosca_definitions_version {version!r}; supported: {', '.join(SUPPORTED)}",
                              doc.value_mark("tosca_definitions_version"))
            return None
        return version

    # -- entries of one file ----------------------------------------------------------
    def _entries(self, current: SourceFile):
        doc = current.doc
        if "imports" not in doc:
            return []
        entries = doc.get("imports")
        if entries is None:
            # the reference iterates it and fails with an uncoded TypeError, in any file
            self.problems.add("section-null", "section 'imports' has no value, and the manager refuses it empty",
                              doc.key_mark("imports"), hint="Remove the empty 'imports' key, or list imports.",
                              chain=current.chain)
            return []
        # The main blueprint's list is checked as the reference's schema checks it; an imported
        # file's is read as the reference reads it, raw: a mapping's keys, each entry's first item
        main = len(current.chain) == 1
        if isinstance(entries, Map) and not main:
            listed = [(key, entries.key_mark(key)) for key in entries]
        elif isinstance(entries, Seq):
            listed = [(entry, entries.item_mark(index)) for index, entry in enumerate(entries)]
        else:
            self.problems.add("schema-wrong-type", f"'imports' must be a list, not {_kind(entries)}",
                              doc.value_mark("imports"))
            return []
        specs = []
        written_seen: set[str] = set()
        for entry, mark in listed:
            properties = None
            if isinstance(entry, Map):
                if len(entry) != 1 and (main or not entry):
                    self.problems.add("import-properties-invalid",
                                      "an import with properties must be a single-entry mapping",
                                      mark)
                    continue
                written, properties = next(iter(entry.items()))
                if main and properties is not None:
                    properties = self._import_properties(properties, mark)
                elif not isinstance(properties, Map):
                    properties = None  # what an imported file's line gives that is no mapping sets nothing
            else:
                written = entry
            if written is None and main:  # (the reference's schema: code 220)
                self.problems.add("import-properties-invalid", "an import must be a string or a mapping, not null",
                                  mark, hint="Write the file or URL to import, or remove the entry.")
                continue
            if written is None or written == "":
                # the reference asks its resolver for it, which finds nothing (code 13)
                self.problems.add("import-not-found", "an empty import names no file", mark,
                                  hint="Write the file or URL to import, or remove the entry.", chain=current.chain)
                continue
            if not isinstance(written, str):
                self.problems.add("schema-wrong-type", f"an import must be a string, not {_kind(written)}",
                                  mark)
                continue
            if written in written_seen:
                # the reference checks only the main blueprint's list; an imported file's repeated
                # entry names a file already merged, so it is simply passed over there
                if len(current.chain) == 1:
                    self.problems.add("import-duplicate", f"duplicate import {written!r}", mark,
                                      hint="Remove the repeated entry.")
                continue
            written_seen.add(written)
            namespace, target = split_namespace(written)
            if namespace is not None and NAMESPACE_DELIMITER in namespace:
                self.problems.add("import-namespace-invalid",
                                  f"namespace {namespace!r} of import {written!r} contains the delimiter '--'",
                                  mark)
                continue
            # a file path is the file's name, blanks and all (the reference opens ' t.yaml', and
            # finds nothing); the blanks around a URL or a plugin import are dropped
            stripped = target.strip()
            specs.append(ImportSpec(written=written, namespace=namespace,
                                    target=stripped if scheme_of(stripped) else target,
                                    properties=properties, mark=mark))
        return specs

    # -- one entry ----------------------------------------------------------------------
    def _resolve(self, current: SourceFile, spec: ImportSpec) -> SourceFile | None:
        namespace = join_namespaces(current.namespace, spec.namespace)
        target = spec.target
        if target.startswith(BLUEPRINT_PREFIX):
            return self._blueprint(current, spec, namespace)
        if target.startswith(reg.PLUGIN_PREFIX):
            return self._plugin(current, spec, namespace)
        legacy = reg.parse_legacy_plugin_url(target) if scheme_of(target) in ("http", "https") else None
        if legacy is not None:
            child = self._legacy(current, spec, namespace, legacy)
            if child is not None:
                return child
        try:
            fetched = self.loader.fetch(target, current.identity, self._dsl_short())
        except FetchError as exc:
            self._not_found(spec, current, namespace, exc.reason, exc.tried,
                            code=exc.code or ("import-offline" if exc.offline else "import-not-found"))
            return None
        return self._source(current, spec, namespace, fetched, current.chain)

    def _dsl_short(self) -> str | None:
        return short(self.dsl_version) if self.dsl_version else None

    def _fail(self, problem: Problem, namespace: str | None) -> None:
        """Remember an import that could not be answered (what follows from it is folded into it)."""
        self.failed.append(Failure(problem, namespace))

    def _not_found(self, spec: ImportSpec, current: SourceFile, namespace, reason: str, tried,
                   code="import-not-found"):
        places = "; ".join(tried) if tried else "nowhere"
        self._fail(self.problems.add(code, f"cannot resolve import {spec.written!r}: {reason}", spec.mark,
                                     hint=f"Places tried, in order: {places}", chain=current.chain), namespace)

    def _record(self, name: str, text: str, shown: str, mark: Mark | None, chain) -> None:
        """Keep a text read from the file `name` (`Trail.read`); with a lock, compare its sha256
        with the lock's (once per key)."""
        self.trail.read(name, text)
        if self.lock is None:
            return
        key = self.key_of(name)
        if key in self.checked:
            return
        self.checked.add(key)
        digest = self.cache.digest(text)
        locked = self.lock.files.get(key)
        if locked is None:
            # an import's file missing from the lock is reported with its entry (_answer, _plugin)
            if mark is None:
                self.problems.add("lock-missing-entry", f"{shown} is not in the lock {self.lock.shown}", mark,
                                  chain=chain, hint="Run `resolver lock` again.")
        elif locked != digest:
            self.changed.add(key)
            self.problems.add("lock-mismatch", f"{shown} changed since it was locked (sha256 {digest[:12]}..., "
                                               f"the lock {self.lock.shown} has {locked[:12]}...)", mark,
                              chain=chain, hint="Restore the file, or run `resolver lock` again if the "
                                                "change is meant.")

    def _source(self, current, spec, namespace, fetched: Fetched, chain, *, plugin=None, yaml_file=None,
                transform=None, blueprint_id=None, in_catalog=None, key=None, read_file=None,
                registry=None, choice=None) -> SourceFile | None:
        shown = fetched.shown if plugin is None else \
            f"{plugin.package_name} {plugin.version} {read_file} ({fetched.shown})"
        self._record(key or fetched.identity, fetched.text, shown, spec.mark, chain)
        doc = self._parse(fetched.text, fetched.shown, transform,
                          PLUGIN if plugin is not None else BLUEPRINT)
        if doc is None:
            return None
        if not isinstance(doc, Map):
            self.problems.add("schema-wrong-type", "an imported file must be a mapping at the top level",
                              getattr(doc, "mark", None) or Mark(fetched.shown, 1, 1), chain=chain)
            return None
        in_catalog = current.in_catalog if in_catalog is None else in_catalog
        marked_without_types(doc, self.problems, chain)
        basic = is_basic_types(doc)
        if basic and namespace:
            if spec.namespace:
                self.problems.add("import-namespace-basic-types",
                                  f"namespace {spec.namespace!r} cannot be used on Cloudify basic types",
                                  spec.mark, chain=chain,
                                  hint="Import types.yaml without a namespace.")
                return None
            namespace = None  # inherited namespaces are dropped for the basic types
        # a file imported again is passed over, as the reference passes it before reading it: its
        # version and the properties of this import line are not judged. A catalog blueprint's own
        # version is judged against the main one; the files it imports are not (a manager merges
        # them with version checks off, then checks the merged blueprint's version, its own)
        again = (fetched.identity, namespace) in self.seen
        if not current.in_catalog and not again:
            self._check_version(doc, fetched, spec)
        if spec.properties is not None and not again:
            doc = self._apply_properties(doc, spec)
        if namespace:
            if self.cache.holds(doc):
                # the same kept document under the same namespace: one copy for the whole session
                # (a namespaced copy is never changed either)
                doc = self.cache.memo.made(("namespaced", id(doc), namespace), (doc,),
                                           lambda: apply_namespace(doc, namespace))
            else:
                doc = apply_namespace(doc, namespace)
        self._answer(current, spec, fetched.text, f"{plugin.location}/{read_file}" if plugin is not None
                     else fetched.identity, registry, written=spec.written, namespace=namespace, via=fetched.via,
                     package_name=plugin.package_name if plugin is not None else None,
                     package_version=plugin.version if plugin is not None else None, yaml_file=read_file,
                     types_version=fetched.types_version)
        return SourceFile(identity=fetched.identity, shown=fetched.shown, namespace=namespace, doc=doc,
                          via=fetched.via, resolved=fetched.resolved, spec=spec, plugin=plugin,
                          yaml_file=yaml_file, is_basic_types=basic, blueprint_id=blueprint_id,
                          in_catalog=in_catalog, chain=chain + (fetched.identity,),
                          types_version=fetched.types_version, choice=choice)

    def _answer(self, current: SourceFile, spec: ImportSpec, text: str, resolved: str, registry: str | None,
                **fields) -> None:
        """Keep an answered import for the lock (`Trail.answered`: `resolved` names the file read
        by identity, `fields` are the `Answer`'s others); with a lock, compare it with the locked
        entry."""
        self.trail.answered(text, current.identity, resolved, registry, **fields)
        if self.lock is None or spec.target.startswith(reg.PLUGIN_PREFIX):
            # a plugin: import under a lock was answered from its entry (see _plugin)
            return
        importer = self.key_of(current.identity)
        if importer in self.changed:
            return  # the imports of a changed file are its change, already reported as one lock-mismatch
        locked = self.lock.entry(importer, spec.written)
        if locked is None:
            self.problems.add("lock-missing-entry", f"import {spec.written!r} of {current.shown} is not in the lock "
                                                    f"{self.lock.shown}", spec.mark, chain=current.chain,
                              hint="Run `resolver lock` again if the new import is meant.")
            return
        got = (fields["package_name"], fields["package_version"], fields["yaml_file"])
        if got[0] is not None or locked.package_name is not None:
            want = (locked.package_name, locked.package_version, locked.yaml_file)
            if got != want:
                self.problems.add("lock-mismatch", f"import {spec.written!r} of {current.shown} now resolves to "
                                                   f"{_describe_plugin(got)}; the lock {self.lock.shown} has "
                                                   f"{_describe_plugin(want)}", spec.mark, chain=current.chain,
                                  hint="Make the locked source available again, or run `resolver lock` again.")
        elif locked.resolved != self.key_of(resolved):
            self.problems.add("lock-mismatch", f"import {spec.written!r} of {current.shown} now resolves to "
                                               f"{self.key_of(resolved)}; the lock {self.lock.shown} has "
                                               f"{locked.resolved}",
                              spec.mark, chain=current.chain,
                              hint="Restore the locked file, or run `resolver lock` again if the change is meant.")

    def _check_version(self, doc: Map, fetched: Fetched, spec: ImportSpec) -> None:
        # a key written with no value is judged (the reference looks null up among the versions)
        if "tosca_definitions_version" not in doc or self.dsl_version is None:
            return
        version = doc.get("tosca_definitions_version")
        mark = doc.value_mark("tosca_definitions_version")
        if not isinstance(version, str) or version not in SUPPORTED:
            self.problems.add("dsl-version-unsupported",
                              f"imported file declares unsupported tosca_definitions_version {version!r}",
                              mark)
            return
        if rank(version) > rank(self.dsl_version):
            self.problems.add("dsl-version-import-newer",
                              f"{fetched.shown} declares {version}, newer than the main blueprint's "
                              f"{self.dsl_version}", mark,
                              hint=f"Raise the main blueprint to {version} or import a version of this file "
                                   f"written for {self.dsl_version}.")

    def _parse(self, text, shown, transform=None, schema=BLUEPRINT, main=False):
        doc, problems = self.cache.parse(text, shown, transform, schema, main)
        self.problems.extend(problems)
        return doc

    # -- plugin: ------------------------------------------------------------------------
    def _plugin(self, current, spec, namespace):
        try:
            request = reg.parse_plugin_import(spec.target)
        except reg.PluginSpecError as exc:
            self._fail(self.problems.add("plugin-spec-invalid", f"invalid plugin import {spec.written!r}: {exc}",
                                         spec.mark, chain=current.chain), namespace)
            return None
        locked = None
        if self.lock is not None:
            locked = self.lock.entry(self.key_of(current.identity), spec.written)
            if locked is None or locked.package_version is None or locked.yaml_file is None:
                self._fail(self.problems.add(
                    "lock-missing-entry", f"import {spec.written!r} of {current.shown} has no locked plugin version "
                                          f"in {self.lock.shown}", spec.mark, chain=current.chain,
                    hint="Run `resolver lock` again if the new import is meant."), namespace)
                return None
        dsl = self._dsl_short()
        candidates: list[reg.Candidate] = []
        faults: list[tuple[str, reg.RegistryError]] = []
        for registry in self.registries:
            known = self.failures.get(registry.name)
            if known is not None:
                faults.append((registry.name, known))
                continue
            record = None
            try:
                selection = self._selection(registry, spec.target, request, dsl)
                record, seen = (_as_locked(selection, locked.package_version) if locked is not None
                                else (selection.chosen, selection.candidates))
                answer = None if record is None else self._plugin_text(registry, record, dsl, locked)
            except reg.RegistryError as exc:
                if exc.code in SOURCE_WIDE:
                    self.failures[registry.name] = exc
                faults.append((registry.name, exc))
                continue
            except OSError as exc:  # a file the source lists but cannot give
                where = f"{record.location}: " if record is not None else ""
                faults.append((registry.name, reg.RegistryError("registry-bad-response", f"{where}{exc}")))
                continue
            candidates.extend(seen)
            if record is None or (answer is None and locked is not None):
                continue  # under a lock, a source without the locked file is passed over
            if answer is None:
                candidates = [records.replace(c, verdict="no-yaml") if c.record is record else c for c in candidates]
                self._faults(faults, spec, current, answered_by=registry.name)
                self._fail(self.problems.add(
                    "plugin-yaml-missing", f"{record.package_name} {record.version} has no plugin YAML for "
                                           f"{self.dsl_version} (files: {', '.join(record.yaml_files) or 'none'})",
                    spec.mark, chain=current.chain, hint=_candidates_hint(candidates)), namespace)
                return None
            yaml_read, text, derived = answer
            self._faults(faults, spec, current, answered_by=registry.name)
            choice = PluginChoice(specifier=str(request.specifier), distributions=request.distributions,
                                  candidates=tuple(candidates), registry=self._shown(registry.name),
                                  yaml_file="plugin_1_3.yaml" if derived else yaml_read)
            return self._from_registry(current, spec, namespace, registry, record, yaml_read, text, derived,
                                       choice)
        if faults:
            problems = self._faults(faults, spec, current, answered_by=None)
            self._fail(problems[0], namespace)
            return None
        searched = "Registries searched: " + ("; ".join(self._shown(r.name) for r in self.registries)
                                              or "none (pass -r/--registry)") + "."
        if locked is not None:
            self._fail(self.problems.add(
                "lock-unavailable", f"no source gives {locked.package_name} {locked.package_version} "
                                    f"({locked.yaml_file}), locked for import {spec.written!r} in {self.lock.shown}",
                spec.mark, chain=current.chain, hint=f"{searched} {_candidates_hint(candidates)}".strip()), namespace)
            return None
        stored = sorted({c.record.version for c in candidates})
        detail = f"stored versions: {', '.join(stored)}" if stored else "no version of it is stored"
        self._fail(self.problems.add("plugin-not-found", f"no plugin matches {request.describe()} ({detail})",
                                     spec.mark, hint=f"{searched} {_candidates_hint(candidates)}".strip(),
                                     chain=current.chain), namespace)
        return None

    def _selection(self, registry, target: str, request, dsl: str | None) -> reg.Selection:
        """The registry's own choice rule when it has one (the marketplace's), else the manager's:
        made once per session for one import line (`target`, which `request` is read from) while
        the registry lists the very same versions (most keep their listings). Its candidates name
        their registry as problems name it (`_shown`), so the plan does not depend on where the
        checkout is."""
        if hasattr(registry, "explain"):
            selection = registry.explain(request, dsl)
            return records.replace(selection, candidates=tuple(
                records.replace(c, registry=self._shown(c.registry or registry.name)) for c in selection.candidates))
        versions = registry.versions(request.package_name)
        shown = self._shown(registry.name)
        return self.cache.memo.latest(("plugin selection", target, registry.name, shown), (versions,),
                                      lambda: reg.explain(request, versions, registry=shown))

    @staticmethod
    def _plugin_text(registry, record, dsl: str | None, locked=None):
        """(YAML file read, its text, derived for DSL 1_3?) for a chosen version; None when it has no
        YAML for this DSL version (under a lock: not the locked file). Raises RegistryError, OSError."""
        if hasattr(registry, "read_for_dsl"):
            # the source picks the file itself (a manager's GET /plugins/<id>/yaml?dsl_version=);
            # a manager that derived no plugin_1_3.yaml gives another file, derived here as on upload
            got = registry.read_for_dsl(record, dsl)
            if got is None or (locked is not None and got[0] != locked.yaml_file):
                return None
            return got[0], got[1], dsl == "1_3" and not got[0].endswith("1_3.yaml")
        if dsl == "1_3" and record.yaml_files and not any(name.endswith("1_3.yaml") for name in record.yaml_files):
            # DSL 1_3 reads a plugin_1_3.yaml derived from the first file (backcompat.py)
            name = sorted(record.yaml_files)[0]
            if locked is not None and locked.yaml_file != name:
                return None
            return name, registry.read(record, name), True
        name = locked.yaml_file if locked is not None else reg.choose_yaml(record.yaml_files, dsl)
        if not name or name not in record.yaml_files:
            return None
        return name, registry.read(record, name), False

    def _shown(self, registry_name: str) -> str:
        """A registry as problems name it: a folder or file as the loader shows paths, else its name."""
        if os.path.isabs(registry_name) and hasattr(self.loader, "shown"):
            return self.loader.shown(registry_name)
        return registry_name

    def _faults(self, faults, spec: ImportSpec, current: SourceFile, answered_by: str | None) -> list[Problem]:
        """One problem per registry that failed for this import: a warning when `answered_by` answered it."""
        out = []
        for name, exc in faults:
            hint = exc.hint or ""
            if answered_by is not None:
                hint = f"{hint} The import was answered by {self._shown(answered_by)}.".strip()
            out.append(self.problems.add(exc.code, f"plugin source {self._shown(name)} failed for import "
                                                   f"{spec.written!r}: "
                                                   f"{exc.message}", spec.mark, hint=hint or None,
                                         severity=WARNING if answered_by is not None else None,
                                         chain=current.chain))
        return out

    def _legacy(self, current, spec, namespace, legacy: reg.LegacyPluginUrl) -> SourceFile | None:
        """A legacy plugin-YAML URL answered by (package, version) from a registry, or None (the
        loader then tries the URL itself, so a failing registry is only a warning here)."""
        faults = []
        for registry in self.registries:
            if registry.name in self.failures:
                continue
            try:
                found = reg.find_exact([registry], legacy.names, legacy.version)
                if found is None:
                    continue
                record = found[1]
                yaml_file = legacy.yaml_file if legacy.yaml_file in record.yaml_files else \
                    reg.choose_yaml(record.yaml_files, self._dsl_short())
                if not yaml_file:
                    continue
                text = registry.read(record, yaml_file)
            except reg.RegistryError as exc:
                if exc.code in SOURCE_WIDE:
                    self.failures[registry.name] = exc
                faults.append((registry.name, exc))
                continue
            except OSError:
                continue
            self._faults(faults, spec, current, answered_by=registry.name)
            return self._from_registry(current, spec, namespace, registry, record, yaml_file, text, False, None)
        for name, exc in faults:  # the loader may still answer the URL: a warning, whatever follows
            self.problems.add(exc.code, f"plugin source {self._shown(name)} failed for import {spec.written!r}: "
                                        f"{exc.message}",
                              spec.mark, hint=exc.hint, severity=WARNING, chain=current.chain)
        return None

    def _from_registry(self, current, spec, namespace, registry, record, yaml_file, text, derive_1_3, choice):
        location = f"{record.location}/{yaml_file}"
        shown = self.loader.shown(location) if hasattr(self.loader, "shown") else location
        # Identity is the import as written, as the reference de-duplicates it: two different
        # lines naming one plugin both merge and then conflict on the plugin's name.
        fetched = Fetched(identity=spec.target,
                          shown=shown, text=text, via="registry", resolved=shown)
        return self._source(current, spec, namespace, fetched, current.chain, plugin=record,
                            yaml_file="plugin_1_3.yaml" if derive_1_3 else yaml_file,
                            transform=derive_plugin_1_3 if derive_1_3 else None,
                            key=registry_key(record, yaml_file), read_file=yaml_file, registry=registry.name,
                            choice=choice)

    # -- blueprint: ---------------------------------------------------------------------
    def _blueprint(self, current, spec, namespace):
        blueprint_id = spec.target[len(BLUEPRINT_PREFIX):]
        if not spec.namespace:
            self.problems.add("import-blueprint-needs-namespace",
                              f"blueprint import {spec.written!r} needs a namespace (write 'ns--{spec.written}')",
                              spec.mark, chain=current.chain)
            return None
        if spec.namespace in self.blueprint_namespaces:
            self.problems.add("import-blueprint-namespace-reused",
                              f"namespace {spec.namespace!r} is already used for blueprint "
                              f"{self.blueprint_namespaces[spec.namespace]!r}", spec.mark, chain=current.chain)
            return None
        try:
            fetched = self.loader.fetch_blueprint(blueprint_id)
        except FetchError as exc:
            self._fail(self.problems.add(exc.code or "blueprint-not-found",
                                         f"cannot resolve import {spec.written!r}: {exc.reason}",
                                         spec.mark, hint="Add the id to the blueprint catalog (--blueprint-catalog).",
                                         chain=current.chain), namespace)
            return None
        self.blueprint_namespaces[spec.namespace] = blueprint_id
        return self._source(current, spec, namespace, fetched, current.chain, blueprint_id=blueprint_id,
                            in_catalog=True)

    # -- import properties (DSL 1_5) ------------------------------------------------------
    def _import_properties(self, properties, mark):
        """The properties of one of the main blueprint's import lines, checked (names that are
        strings; values that are strings, numbers, booleans, lists or functions; DSL 1_5, judged
        after them, as the reference's elements judge them); None when the version has none."""
        if not isinstance(properties, Map):  # the reference's schema judges the shape first
            self.problems.add("schema-wrong-type", f"import properties must be a mapping, not {_kind(properties)}",
                              mark)
            return None
        from .functions import is_function

        for name, value in properties.items():
            if not isinstance(name, str):
                self.problems.add("schema-wrong-type", f"an import property's name must be a string, not {name!r}",
                                  properties.key_mark(name))
            elif not (isinstance(value, (str, int, float, bool, list)) or is_function(value)):
                self.problems.add("import-properties-invalid",
                                  f"import property {name!r} is {_kind(value)}: a property set on import is a "
                                  "string, a number, a boolean, a list or an intrinsic function",
                                  properties.value_mark(name) or mark)
        if self.dsl_version and not at_least(self.dsl_version, "cloudify_dsl_1_5"):
            self.problems.add("feature-version", f"import properties are not supported in {self.dsl_version}; "
                              "they were added in cloudify_dsl_1_5", mark)
            return None
        return properties

    def _apply_properties(self, doc: Map, spec: ImportSpec) -> Map:
        given = spec.properties  # a Map: `_entries` keeps no other (`_import_properties` reports one)
        plugins = doc.get("plugins")
        if not isinstance(plugins, Map):
            return doc
        new_plugins = []
        for name, plugin in plugins.items():
            schema = plugin.get("properties") if isinstance(plugin, Map) else None
            if not isinstance(schema, Map) or not schema:
                new_plugins.append((name, plugin, name))
                continue
            faults = []
            props = []
            for prop, definition in schema.items():
                definition = definition if isinstance(definition, Map) else Map()
                if prop in given:
                    value = given[prop]
                    fault = _import_property_fault(prop, value, definition.get("type"))
                    if fault:
                        faults.append(fault)
                    definition = definition.derive([(k, v, k) for k, v in definition.items()] +
                                                   [("value", value, "value")])
                props.append((prop, definition, prop))
            redundant = [key for key in given if key not in schema]
            if redundant:
                faults.append(f"properties for the imported plugin are redundant: {redundant}")
            if faults:
                self.problems.add("import-properties-mismatch", "; ".join(faults), spec.mark,
                                  hint="Match the plugin's 'properties' schema in the import line.")
            new_plugin = plugin.derive([(k, v, k) for k, v in plugin.items() if k != "properties"] +
                                       [("properties", schema.derive(props), "properties")])
            new_plugins.append((name, new_plugin, name))
        items = [(k, v, k) for k, v in doc.items() if k != "plugins"]
        items.append(("plugins", plugins.derive(new_plugins), "plugins"))
        return doc.derive(items)


def _import_property_fault(name: str, value, type_name) -> str | None:
    from .functions import is_function

    if is_function(value):
        return None
    # the reference's checks, where a boolean is an int (Python's bool is one)
    checks = {
        "string": lambda v: isinstance(v, (str, int)),
        "integer": lambda v: isinstance(v, int),
        "float": lambda v: isinstance(v, (int, float)),
        "boolean": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
    }
    check = checks.get(type_name)
    if check is None:
        if type_name is None:  # the reference reads the type, and fails
            return f"property {name}: the plugin's schema gives it no type, so it cannot be set on import"
        return f"property {name}: type {type_name!r} cannot be set on import"
    return None if check(value) else f"property {name}: value {value!r} should be of type {type_name}"


def _too_deep(sections: list, bound: int) -> tuple | None:
    """The first type (in the order of `sections`, the entries of one section in each file, the
    first definition of a name winning) whose derived_from chain is longer than `bound`: (the
    index of its file in `sections`, its name, its definition); None when there is none."""
    parents: dict[str, tuple] = {}
    for index, entries in enumerate(sections):
        for name, body in entries.items():
            if name not in parents and isinstance(name, str):
                parent = body.get("derived_from") if isinstance(body, Map) else None
                parents[name] = (parent if isinstance(parent, str) else None, index, body)
    lengths: dict[str, int] = {}
    for name in parents:
        if _chain_length(name, parents, lengths, bound) > bound:
            _, index, body = parents[name]
            return index, name, body
    return None


def _chain_length(name: str, parents: dict, lengths: dict, bound: int) -> int:
    """How many types `name`'s derived_from chain holds (itself included), counted up to just past
    `bound`; a cycle or an unknown parent ends the chain (the hierarchy stage reports those)."""
    walked: list[str] = []
    current: str | None = name
    while current is not None and current in parents and current not in lengths and len(walked) <= bound:
        if current in walked:
            break
        walked.append(current)
        current = parents[current][0]
    total = lengths.get(current, 0) if current is not None else 0
    for step in reversed(walked):
        total += 1
        lengths[step] = total
    return lengths.get(name, total)


def _describe_plugin(triple) -> str:
    name, version, yaml_file = triple
    return f"{name} {version} ({yaml_file})" if name is not None else "a file, not a registry plugin"


def _as_locked(selection: reg.Selection, version: str):
    """(the record of the locked version, the candidates) from a registry's selection.

    When the choice would pick another version (a newer one was uploaded since the lock), the
    locked one (if held) is `chosen` and the one the choice would have picked `not-in-lock`; when
    they agree, the candidates are the unlocked run's, so the plan is the same byte for byte.
    """
    locked = next((c.record for c in selection.candidates if c.record.version == version), None)
    if locked is selection.chosen:
        return locked, selection.candidates
    out = []
    for candidate in selection.candidates:
        if candidate.record is locked:
            candidate = records.replace(candidate, verdict="chosen")
        elif candidate.verdict == "chosen":
            candidate = records.replace(candidate, verdict="not-in-lock")
        out.append(candidate)
    return locked, tuple(out)


def _candidates_hint(candidates) -> str:
    """The candidates in short, for a failed import's hint: `version (verdict)`, capped."""
    if not candidates:
        return ""
    shown = [f"{c.record.version} ({c.verdict})" for c in candidates[:HINT_CANDIDATES]]
    more = len(candidates) - HINT_CANDIDATES
    return "Candidates: " + ", ".join(shown) + (f" and {more} more" if more > 0 else "") + "."


def _kind(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return type(value).__name__
