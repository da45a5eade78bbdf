"""Stage 2, imports: walk `imports:` breadth-first from the main blueprint.

Produces the ordered list of `SourceFile`s to merge (main first), each loaded once and
identified by (canonical location, namespace). Files come from the injected `Loader`;
`plugin:` imports and legacy plugin-YAML URLs from the registries. Problems point at
the import entry that failed, in the file that wrote it.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Sequence

import attrs

from . import registry as reg
from .backcompat import derive_plugin_1_3
from .load import Map, Seq, load_yaml
from .problems import Mark, Problems
from .schema import BLUEPRINT, PLUGIN, check as check_schema
from .sources import FetchError, Fetched, Loader, scheme_of
from .versions import SUPPORTED, at_least, rank, short

NAMESPACE_DELIMITER = "--"
BLUEPRINT_PREFIX = "blueprint:"


@attrs.frozen
class ImportSpec:
    """One entry of an `imports:` list, as written."""

    written: str
    namespace: str | None
    target: str
    properties: Any
    mark: Mark | None


@attrs.frozen
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


@attrs.frozen
class Imports:
    files: tuple[SourceFile, ...]
    dsl_version: str | None
    namespaces_mapping: dict


class ParseCache:
    """Parsed documents by identity, shared by every blueprint of a session."""

    def __init__(self) -> None:
        self._docs: dict[tuple, tuple[Any, tuple]] = {}

    def parse(self, key: tuple, text: str, shown: str, transform: Callable | None = None,
              schema: str = BLUEPRINT):
        hit = self._docs.get(key)
        if hit is None:
            local = Problems()
            doc = load_yaml(text, shown, local)
            if doc is not None and transform is not None:
                doc = transform(doc)
            if isinstance(doc, Map):
                check_schema(doc, schema, local)
            hit = (doc, tuple(local))
            self._docs[key] = hit
        return hit


def split_namespace(ref: str) -> tuple[str | None, str]:
    """`ns--target` -> (ns, target). The delimiter counts only before any path or scheme."""
    head, sep, tail = ref.rpartition(NAMESPACE_DELIMITER)
    if not sep or not head or "/" in head or ":" in head:
        return None, ref
    return head, tail


def is_basic_types(doc) -> bool:
    node_types = doc.get("node_types") if isinstance(doc, Map) else None
    return isinstance(node_types, dict) and "cloudify.nodes.Root" in node_types


class ImportWalker:
    def __init__(self, loader: Loader, registries: Sequence[reg.Registry], cache: ParseCache,
                 problems: Problems) -> None:
        self.loader = loader
        self.registries = tuple(registries)
        self.cache = cache
        self.problems = problems
        self.dsl_version: str | None = None
        self.blueprint_namespaces: dict[str, str] = {}

    # -- entry --------------------------------------------------------------------------
    def walk(self, main: Fetched) -> Imports:
        doc = self._parse((main.identity,), main.text, main.shown)
        if doc is None:
            return Imports((), None, {})
        if not isinstance(doc, Map):
            self.problems.add("schema-wrong-type", "a blueprint must be a mapping at the top level",
                              getattr(doc, "mark", None) or Mark(main.shown, 1, 1))
            return Imports((), None, {})
        self.dsl_version = self._main_version(doc, main.shown)
        root = SourceFile(identity=main.identity, shown=main.shown, namespace=None, doc=doc,
                          via=main.via, resolved=main.resolved, is_basic_types=is_basic_types(doc),
                          chain=(main.identity,))
        files = [root]
        seen = {(root.identity, None)}
        queue = deque([root])
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
                queue.append(child)
        return Imports(tuple(files), self.dsl_version, dict(self.blueprint_namespaces))

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
            return []
        if not isinstance(entries, Seq):
            self.problems.add("schema-wrong-type", f"'imports' must be a list, not {_kind(entries)}",
                              doc.value_mark("imports"))
            return []
        specs = []
        written_seen: set[str] = set()
        for index, entry in enumerate(entries):
            mark = entries.item_mark(index)
            properties = None
            if isinstance(entry, Map):
                if len(entry) != 1:
                    self.problems.add("import-properties-invalid",
                                      "an import with properties must be a single-entry mapping",
                                      mark)
                    continue
                (written, properties), = entry.items()
                if self.dsl_version and not at_least(self.dsl_version, "cloudify_dsl_1_5"):
                    self.problems.add("feature-version",
                                      f"import properties are not supported in {self.dsl_version}; "
                                      "they were added in cloudify_dsl_1_5", mark)
                    properties = None
            else:
                written = entry
            if not isinstance(written, str) or not written:
                self.problems.add("schema-wrong-type", f"an import must be a string, not {_kind(written)}",
                                  mark)
                continue
            if written in written_seen:
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
            specs.append(ImportSpec(written=written, namespace=namespace, target=target.strip(),
                                    properties=properties, mark=mark))
        return specs

    # -- one entry ----------------------------------------------------------------------
    def _resolve(self, current: SourceFile, spec: ImportSpec) -> SourceFile | None:
        namespace = _join_ns(current.namespace, spec.namespace)
        chain = current.chain
        target = spec.target
        if target.startswith(BLUEPRINT_PREFIX):
            return self._blueprint(current, spec, namespace)
        if target.startswith(reg.PLUGIN_PREFIX):
            return self._plugin(current, spec, namespace)
        legacy = reg.parse_legacy_plugin_url(target) if scheme_of(target) in ("http", "https") else None
        if legacy is not None:
            found = reg.find_exact(self.registries, legacy.names, legacy.version)
            if found is not None:
                registry, record = found
                yaml_file = legacy.yaml_file if legacy.yaml_file in record.yaml_files else \
                    reg.choose_yaml(record.yaml_files, self._dsl_short())
                if yaml_file:
                    return self._from_registry(current, spec, namespace, registry, record, yaml_file)
        try:
            fetched = self.loader.fetch(target, current.identity, self._dsl_short())
        except FetchError as exc:
            self._not_found(spec, current, exc.reason, exc.tried,
                            code="import-offline" if exc.offline else "import-not-found")
            return None
        return self._source(current, spec, namespace, fetched, chain)

    def _dsl_short(self) -> str | None:
        return short(self.dsl_version) if self.dsl_version else None

    def _not_found(self, spec: ImportSpec, current: SourceFile, reason: str, tried, code="import-not-found"):
        places = "; ".join(tried) if tried else "nowhere"
        self.problems.add(code, f"cannot resolve import {spec.written!r}: {reason}", spec.mark,
                          hint=f"Places tried, in order: {places}", chain=current.chain)

    def _source(self, current, spec, namespace, fetched: Fetched, chain, *, plugin=None, yaml_file=None,
                transform=None, cache_key=None, blueprint_id=None, in_catalog=None) -> SourceFile | None:
        doc = self._parse(cache_key or (fetched.identity,), fetched.text, fetched.shown, transform,
                          PLUGIN if plugin is not None else BLUEPRINT)
        if doc is None:
            return None
        if not isinstance(doc, Map):
            self.problems.add("schema-wrong-type", "an imported file must be a mapping at the top level",
                              getattr(doc, "mark", None) or Mark(fetched.shown, 1, 1), chain=chain)
            return None
        in_catalog = current.in_catalog if in_catalog is None else in_catalog
        basic = is_basic_types(doc)
        if basic and namespace:
            if spec.namespace:
                self.problems.add("import-namespace-basic-types",
                                  f"namespace {spec.namespace!r} cannot be used on Cloudify basic types",
                                  spec.mark, chain=chain,
                                  hint="Import types.yaml without a namespace.")
                return None
            namespace = None  # inherited namespaces are dropped for the basic types
        if not in_catalog:
            self._check_version(doc, fetched, spec)
        if spec.properties is not None:
            doc = self._apply_properties(doc, spec)
        if namespace:
            from .merge import apply_namespace

            doc = apply_namespace(doc, namespace)
        return SourceFile(identity=fetched.identity, shown=fetched.shown, namespace=namespace, doc=doc,
                          via=fetched.via, resolved=fetched.resolved, spec=spec, plugin=plugin,
                          yaml_file=yaml_file, is_basic_types=basic, blueprint_id=blueprint_id,
                          in_catalog=in_catalog, chain=chain + (fetched.identity,))

    def _check_version(self, doc: Map, fetched: Fetched, spec: ImportSpec) -> None:
        version = doc.get("tosca_definitions_version")
        if version is None or self.dsl_version is None:
            return
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

    def _parse(self, key, text, shown, transform=None, schema=BLUEPRINT):
        doc, problems = self.cache.parse(key, text, shown, transform, schema)
        self.problems.extend(problems)
        return doc

    # -- plugin: ------------------------------------------------------------------------
    def _plugin(self, current, spec, namespace):
        try:
            request = reg.parse_plugin_import(spec.target)
        except reg.PluginSpecError as exc:
            self.problems.add("plugin-spec-invalid", f"invalid plugin import {spec.written!r}: {exc}",
                              spec.mark, chain=current.chain)
            return None
        tried = []
        for registry in self.registries:
            tried.append(registry.name)
            record = reg.select(request, registry.versions(request.package_name))
            if record is None:
                continue
            dsl = self._dsl_short()
            if dsl == "1_3" and not any(name.endswith("1_3.yaml") for name in record.yaml_files) \
                    and record.yaml_files:
                return self._from_registry(current, spec, namespace, registry, record,
                                           sorted(record.yaml_files)[0], derive_1_3=True)
            yaml_file = reg.choose_yaml(record.yaml_files, dsl)
            if not yaml_file:
                self.problems.add("plugin-yaml-missing",
                                  f"{record.package_name} {record.version} has no plugin YAML for "
                                  f"{self.dsl_version} (files: {', '.join(record.yaml_files) or 'none'})",
                                  spec.mark, chain=current.chain)
                return None
            return self._from_registry(current, spec, namespace, registry, record, yaml_file)
        stored = sorted({r.version for registry in self.registries
                         for r in registry.versions(request.package_name)})
        detail = f"stored versions: {', '.join(stored)}" if stored else "no version of it is stored"
        self.problems.add("plugin-not-found",
                          f"no plugin matches {request.describe()} ({detail})", spec.mark,
                          hint="Registries searched: " + ("; ".join(tried) or "none (pass -r/--registry)"),
                          chain=current.chain)
        return None

    def _from_registry(self, current, spec, namespace, registry, record, yaml_file, derive_1_3=False):
        try:
            text = registry.read(record, yaml_file)
        except OSError as exc:
            self._not_found(spec, current, str(exc), [f"{record.location}/{yaml_file}"])
            return None
        location = f"{record.location}/{yaml_file}"
        shown = self.loader.shown(location) if hasattr(self.loader, "shown") else location
        # Identity is the import as written, as the reference de-duplicates it: two different
        # lines naming one plugin both merge and then conflict on the plugin's name.
        fetched = Fetched(identity=spec.target,
                          shown=shown, text=text, via="registry", resolved=shown)
        return self._source(current, spec, namespace, fetched, current.chain, plugin=record,
                            yaml_file="plugin_1_3.yaml" if derive_1_3 else yaml_file,
                            transform=derive_plugin_1_3 if derive_1_3 else None,
                            cache_key=(location, "1_3" if derive_1_3 else ""))

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
            self.problems.add("blueprint-not-found", f"cannot resolve import {spec.written!r}: {exc.reason}",
                              spec.mark, hint="Add the id to the blueprint catalog (--blueprint-catalog).",
                              chain=current.chain)
            return None
        self.blueprint_namespaces[spec.namespace] = blueprint_id
        return self._source(current, spec, namespace, fetched, current.chain, blueprint_id=blueprint_id,
                            in_catalog=True)

    # -- import properties (DSL 1_5) ------------------------------------------------------
    def _apply_properties(self, doc: Map, spec: ImportSpec) -> Map:
        given = spec.properties
        if not isinstance(given, Map):
            self.problems.add("import-properties-invalid", "import properties must be a mapping", spec.mark)
            return doc
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
    checks = {
        "string": lambda v: isinstance(v, (str, int)) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
    }
    check = checks.get(type_name)
    if check is None:
        return None if type_name is None else f"property {name}: type {type_name!r} cannot be set on import"
    return None if check(value) else f"property {name}: value {value!r} should be of type {type_name}"


def _join_ns(parent: str | None, own: str | None) -> str | None:
    if parent and own:
        return f"{parent}{NAMESPACE_DELIMITER}{own}"
    return parent or own


def _kind(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return type(value).__name__
