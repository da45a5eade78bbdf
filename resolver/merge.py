"""Stage 3, merge: the reference's merge rules (SPEC §2.7, §2.11).

`merge` combines the files in traversal order into one `Blueprint`, recording where every entry
came from and reporting conflicts with both positions. The files come namespaced already: the
import walk prefixes an imported file's names as it reads it (namespaces.py).
"""
from __future__ import annotations

from typing import Any

from . import records
from .imports import SourceFile
from .load import Map, Seq
from .namespaces import CLOUDIFY_PREFIX, DICT_SECTIONS
from .schema import kind_of
from .problems import Mark, Problems
from .versions import at_least

ALWAYS_MERGEABLE = ("node_types", "relationships", "data_types", "plugins", "policy_types", "policy_triggers",
                    "groups", "workflows")
MERGEABLE_FROM_1_3 = ("inputs", "outputs", "node_templates", "capabilities", "labels", "blueprint_labels",
                      "resource_tags")
FIRST_WINS = ("description", "metadata")
# Sections the reference cannot take empty (null) even when no other file has them.
# sections the reference cannot take empty in any file (it reads them as a mapping: an uncoded error)
ALWAYS_NULL_FAILS = ("plugins", "metadata", "node_types")
NOT_MERGED = ("tosca_definitions_version", "imports", "dsl_definitions")
TOP_LEVEL_KEYS = frozenset(("tosca_definitions_version", "description", "imports", "dsl_definitions",
                            "metadata", "inputs", "plugins", "node_types", "relationships", "node_templates",
                            "policy_types", "policy_triggers", "groups", "policies", "workflows", "outputs",
                            "data_types", "capabilities", "imported_blueprints", "namespaces_mapping",
                            "labels", "blueprint_labels", "deployment_settings", "resource_tags"))
# --- merging ------------------------------------------------------------------------------

@records.mutable
class Blueprint:
    """The merged blueprint: each section's entries, with the file each entry came from.

    `pieces` lists, for a section that every file gave only names no earlier file had (the usual
    case), each file's own section (`source.doc[section]`, the very object) with that file, in
    merge order: the merged section is those sections one after the other. A section where a
    file replaced or added to an entry has no pieces (None), and its `origins` instead: each
    entry's file, recorded as it is merged (`origins_of` gives them for every section).
    """

    dsl_version: str
    sections: dict[str, dict[str, Any]] = records.field(factory=dict)
    origins: dict[str, dict[str, SourceFile]] = records.field(factory=dict)
    pieces: dict[str, list[tuple[SourceFile, Map]] | None] = records.field(factory=dict)
    scalars: dict[str, Any] = records.field(factory=dict)
    main: SourceFile | None = None
    files: tuple[SourceFile, ...] = ()
    namespaces_mapping: dict = records.field(factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        return self.sections.get(name, {})

    def origin(self, section: str, name: str) -> SourceFile | None:
        return self.origins_of(section).get(name)

    def origins_of(self, section: str) -> dict[str, SourceFile]:
        """The file each entry of the merged `section` came from, in the section's order. Read
        off its pieces when first asked (most blueprints never ask of most sections)."""
        origins = self.origins.get(section)
        if origins is None:
            pieces = self.pieces.get(section)
            origins = _origins(pieces) if pieces else {}
            if pieces:
                self.origins[section] = origins
        return origins

    def value_mark(self, section: str, name: str) -> Mark | None:
        """Where the value of entry `name` of `section` is written, in the file it came from."""
        source = self.origin(section, name)
        container = source.doc.get(section) if source is not None else None
        return container.value_mark(name) if isinstance(container, Map) else None

    def mark(self, section: str, name: str) -> Mark | None:
        source = self.origin(section, name)
        if source is None:
            return None
        container = source.doc.get(section)
        return container.key_mark(name) if isinstance(container, Map) else None


def merge(files, dsl_version: str, problems: Problems, namespaces_mapping: dict) -> Blueprint:
    blueprint = Blueprint(dsl_version=dsl_version, main=files[0], files=tuple(files),
                          namespaces_mapping=namespaces_mapping)
    seen_in: dict[str, SourceFile] = {}
    empty_in: dict[str, SourceFile] = {}
    for source in files:
        doc = source.doc
        for key, value in doc.items():
            if key in NOT_MERGED:
                continue
            if key not in TOP_LEVEL_KEYS:
                problems.add("schema-unknown-key", f"{key!r} is not a top-level section of a blueprint",
                             doc.key_mark(key),
                             hint="Valid sections: " + ", ".join(sorted(TOP_LEVEL_KEYS - {"imported_blueprints",
                                                                                           "namespaces_mapping"})))
                continue
            if key in FIRST_WINS:
                if value is None and key in ALWAYS_NULL_FAILS:
                    _null_section(problems, key, source, None)
                blueprint.scalars.setdefault(key, value)
                continue
            if key not in DICT_SECTIONS:
                if key == "deployment_settings" and source.namespace and isinstance(value, Map):
                    # the reference prefixes its keys with the namespace too, and then finds them
                    # in no schema
                    for setting in value:
                        problems.add("schema-unknown-key",
                                     f"'{source.namespace}--{setting}' is not a deployment setting: the namespace of "
                                     f"the import prefixes the settings of {source.shown}", value.key_mark(setting),
                                     hint="Move deployment_settings to the main blueprint, or import the file "
                                          "without a namespace.")
                if key in seen_in:
                    _not_mergeable(problems, key, source, seen_in[key], dsl_version)
                else:
                    seen_in[key] = source
                    blueprint.scalars[key] = value
                continue
            # A null section is taken as the first file's; a later file's is merged into the
            # section as a mapping, where the reference fails (and so it does merging entries into
            # a null section; merging `{}` into one is nothing)
            earlier = (seen_in.get(key) or empty_in.get(key)) if key in seen_in or key in empty_in else None
            mergeable = earlier is None or key in ALWAYS_MERGEABLE or (key in MERGEABLE_FROM_1_3 and
                                                                       at_least(dsl_version, "cloudify_dsl_1_3"))
            if value is None:
                if key in ALWAYS_NULL_FAILS:
                    _null_section(problems, key, source, None)
                elif earlier is not None and not mergeable:
                    _not_mergeable(problems, key, source, earlier, dsl_version)
                elif earlier is not None:
                    _null_section(problems, key, source, earlier)
                else:
                    empty_in[key] = source
                continue
            if not isinstance(value, Map):
                problems.add("schema-wrong-type", f"section {key!r} must be a mapping", doc.value_mark(key))
                continue
            if earlier is not None and not mergeable:
                _not_mergeable(problems, key, source, earlier, dsl_version)
                continue
            if key in empty_in and key not in seen_in and value:
                _null_section(problems, key, empty_in[key], source)
            seen_in.setdefault(key, source)
            _merge_section(blueprint, key, value, source, problems)
    _kept_scalars(blueprint, problems)
    return blueprint


def _kept_scalars(blueprint: Blueprint, problems: Problems) -> None:
    """The description the blueprint keeps (the first file's that has the key) must be a string,
    and the main file's dsl_definitions a mapping or a list: the other files' are never read."""
    description = blueprint.scalars.get("description")
    if description is not None and not isinstance(description, str):
        origin = next(f for f in blueprint.files if "description" in f.doc)
        problems.add("schema-wrong-type", f"description must be a string, not {kind_of(description)}",
                     origin.doc.value_mark("description"))
    definitions = blueprint.main.doc.get("dsl_definitions")
    if definitions is not None and not isinstance(definitions, (dict, list)):
        problems.add("schema-wrong-type", f"dsl_definitions must be a mapping or a list, not {kind_of(definitions)}",
                     blueprint.main.doc.value_mark("dsl_definitions"))


def _null_section(problems, key, source, other) -> None:
    # The reference fails with an uncoded Python error here (it merges into, or reads, the
    # section as a mapping): refuse it with our own code instead.
    why = f"another file ({other.shown}) defines it" if other is not None else "the manager refuses it empty"
    problems.add("section-null", f"section {key!r} has no value, and {why}", source.doc.key_mark(key),
                 chain=source.chain, hint=f"Remove the empty {key!r} key, or give it entries.")


def _not_mergeable(problems, key, source, first, dsl_version):
    extra = ""
    if key in MERGEABLE_FROM_1_3:
        extra = f"; {key} can come from several files only from cloudify_dsl_1_3 (this is {dsl_version})"
    problems.add("import-not-mergeable",
                 f"section {key!r} appears in {first.shown} and in {source.shown} but cannot be merged{extra}",
                 source.doc.key_mark(key), chain=source.chain)


def _merge_section(blueprint: Blueprint, section: str, entries: Map, source: SourceFile, problems):
    target = blueprint.sections.get(section)
    if target is None:  # the first file with this section
        blueprint.sections[section] = dict(entries)
        blueprint.pieces[section] = [(source, entries)]
        return
    pieces = blueprint.pieces[section]
    if target.keys().isdisjoint(entries):
        # every name is new here (most sections of most files): the entries are added at once
        target.update(entries)
        if pieces is not None:
            pieces.append((source, entries))
            blueprint.origins.pop(section, None)  # read off the pieces again if asked
        else:
            blueprint.origins[section].update(dict.fromkeys(entries, source))
        return
    if pieces is not None:  # from here on, each entry's file is recorded as it is merged
        blueprint.origins[section] = _origins(pieces)
        blueprint.pieces[section] = None
    origins = blueprint.origins[section]
    for name, body in entries.items():
        if name not in target:
            target[name] = body
            origins[name] = source
            continue
        existing_source = origins[name]
        if (isinstance(name, str) and name.startswith(CLOUDIFY_PREFIX)) or source.is_basic_types:
            if not source.is_basic_types and not existing_source.is_basic_types and section in (
                    "node_types", "relationships", "data_types"):
                problems.add("type-shadowed",
                             f"{section} {name!r} from {existing_source.shown} is replaced by the definition "
                             f"in {source.shown}", entries.key_mark(name), chain=source.chain)
            target[name] = body
            origins[name] = source
            continue
        if section == "node_templates":
            merged = _merge_node_template(target[name], body)
            if merged is not None:
                target[name] = merged
                continue
        elif section in ("labels", "blueprint_labels", "resource_tags"):
            continue
        elif section == "workflows" and isinstance(target[name], Map) and isinstance(body, Map):
            extra = [(k, v, k) for k, v in body.items() if k not in target[name]]
            target[name] = target[name].derive([(k, v, k) for k, v in target[name].items()] + extra)
            continue
        first_mark = blueprint.mark(section, name)
        where = f" (first defined at {first_mark.file}:{first_mark.line}:{first_mark.column})" if first_mark else ""
        problems.add("merge-conflict",
                     f"{section} {name!r} is defined in {existing_source.shown} and again in {source.shown}{where}",
                     entries.key_mark(name), chain=source.chain,
                     hint="Keep one definition, or import the second file under a namespace (ns--file.yaml).")


def _origins(pieces: list[tuple[SourceFile, Map]]) -> dict[str, SourceFile]:
    """{entry name: its file} of a section merged from `pieces` (`Blueprint.pieces`), in order."""
    origins: dict = {}
    for source, entries in pieces:
        origins.update(dict.fromkeys(entries, source))
    return origins


def _merge_node_template(existing, incoming):
    """A node template defined again by a later file, merged as the reference merges it; None for
    a conflict. Only a template that has a `relationships` key merges: written with nothing else,
    it takes a later definition that has a type, or more relationships; written whole, it takes
    more relationships only (a later definition of nothing but `relationships`)."""
    if not isinstance(existing, Map) or not isinstance(incoming, Map) or "relationships" not in existing:
        return None
    incoming_rels_only = "relationships" in incoming and len(incoming) == 1
    if len(existing) == 1 and ("type" in incoming or incoming_rels_only):
        first = existing.get("relationships") or Seq()
        items = [(k, v, k) for k, v in incoming.items() if k != "relationships"]
        items.append(("relationships", _concat(first, incoming.get("relationships") or Seq()), "relationships"))
        return incoming.derive(items)
    if incoming_rels_only:
        items = [(k, v, k) for k, v in existing.items() if k != "relationships"]
        items.append(("relationships", _concat(existing.get("relationships") or Seq(),
                                               incoming.get("relationships") or Seq()), "relationships"))
        return existing.derive(items)
    return None


def _concat(a, b) -> Seq:
    return Seq.joined(a, b)
