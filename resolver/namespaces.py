"""Namespaces: an import written `ns--target` puts every name the imported file defines under
`ns` (SPEC §2.11).

`apply_namespace` gives a parsed file's copy with its definitions and its internal references
prefixed `ns--`: type and template names, `derived_from`, a template's `type`, property types, an
operation's implementation, a relationship's type and target, group members, and the inputs and
nodes intrinsic functions name. Names under `cloudify.`, primitive property types and label names
are never prefixed.
The copy shares every value that holds nothing to prefix with the parsed file, which is never
changed. The import walk (imports.py) applies it as it reads each file; merge (merge.py) takes the
files namespaced.
"""
from __future__ import annotations

from operator import is_not

from .functions import NODE_REFERENCES, SELF, SOURCE, TARGET, function_name
from .load import Map, Seq
from .versions import OBJECT_TYPES, PRIMITIVE_TYPES

NAMESPACE_DELIMITER = "--"
# The sections whose entries are named definitions: prefixed by a namespace here, merged by name
# (merge.py).
DICT_SECTIONS = ("node_types", "relationships", "data_types", "plugins", "policy_types", "policy_triggers",
                 "groups", "workflows", "inputs", "outputs", "node_templates", "capabilities",
                 "labels", "blueprint_labels", "resource_tags", "policies")
CLOUDIFY_PREFIX = "cloudify."


def _ns(namespace: str, name):
    if not isinstance(name, str) or name.startswith(CLOUDIFY_PREFIX):
        return name
    return f"{namespace}{NAMESPACE_DELIMITER}{name}"


def _type_ns(namespace: str, name):
    if isinstance(name, str) and name in PRIMITIVE_TYPES + OBJECT_TYPES:
        return name
    return _ns(namespace, name)


def apply_namespace(doc: Map, namespace: str) -> Map:
    """Prefix definitions and internal references of one file with `namespace--`."""
    items = []
    for key, value in doc.items():
        if key in DICT_SECTIONS and isinstance(value, Map):
            value = _namespace_section(key, value, namespace)
        items.append((key, value, key))
    return doc.derive(items)


def _namespace_section(section: str, entries: Map, ns: str) -> Map:
    out = []
    for name, body in entries.items():
        new_name = name if section in ("labels", "blueprint_labels", "resource_tags") else _ns(ns, name)
        out.append((new_name, _namespace_entry(section, body, ns), name))
    return entries.derive(out)


def _namespace_entry(section: str, body, ns: str):
    if section == "workflows" and isinstance(body, str):
        return _ns(ns, body)
    if not isinstance(body, Map):
        return _namespace_functions(body, ns)
    items = []
    for key, value in body.items():
        if key == "derived_from" and section in ("node_types", "relationships", "data_types"):
            value = _ns(ns, value)
        elif key == "type" and section == "node_templates":
            value = _ns(ns, value)
        elif key == "properties" and section in ("node_types", "relationships", "data_types"):
            value = _namespace_schema(value, ns)
        elif key in ("interfaces", "source_interfaces", "target_interfaces") and isinstance(value, Map):
            value = _namespace_interfaces(value, ns)
        elif key == "relationships" and section == "node_templates" and isinstance(value, Seq):
            value = _namespace_relationships(value, ns)
        elif key == "mapping" and section == "workflows":
            value = _ns(ns, value)
        elif key in ("members", "targets") and isinstance(value, Seq):
            value = _seq_map(value, lambda item: _ns(ns, item))
        else:
            value = _namespace_functions(value, ns)
        items.append((key, value, key))
    return body.derive(items)


def _namespace_schema(schema, ns: str):
    if not isinstance(schema, Map):
        return schema
    out = []
    for name, prop in schema.items():
        if isinstance(prop, Map) and "type" in prop:
            prop = prop.derive([(k, _type_ns(ns, v) if k == "type" else _namespace_functions(v, ns), k)
                                for k, v in prop.items()])
        else:
            prop = _namespace_functions(prop, ns)
        out.append((name, prop, name))
    return schema.derive(out)


def _namespace_interfaces(interfaces: Map, ns: str) -> Map:
    out = []
    for name, ops in interfaces.items():
        if isinstance(ops, Map):
            new_ops = []
            for op_name, op in ops.items():
                if isinstance(op, str):
                    op = _ns_mapping(ns, op)
                elif isinstance(op, Map):
                    op = op.derive([(k, _ns_mapping(ns, v) if k == "implementation" else
                                     _namespace_functions(v, ns), k) for k, v in op.items()])
                new_ops.append((op_name, op, op_name))
            ops = ops.derive(new_ops)
        out.append((name, ops, name))
    return interfaces.derive(out)


def _ns_mapping(ns: str, mapping):
    # An empty implementation is prefixed too (it becomes `ns--`, which maps to nothing):
    # the reference does so, and rejects it; `{}` has no implementation and stays a no-op.
    if not isinstance(mapping, str):
        return mapping
    return f"{ns}{NAMESPACE_DELIMITER}{mapping}"


def _namespace_relationships(rels: Seq, ns: str) -> Seq:
    def one(rel):
        if not isinstance(rel, Map):
            return rel
        items = []
        for key, value in rel.items():
            if key in ("type", "target"):
                value = _ns(ns, value)
            elif key in ("source_interfaces", "target_interfaces") and isinstance(value, Map):
                value = _namespace_interfaces(value, ns)
            else:
                value = _namespace_functions(value, ns)
            items.append((key, value, key))
        return rel.derive(items)
    return _seq_map(rels, one)


def _seq_map(seq: Seq, fn) -> Seq:
    return seq.derive([fn(item) for item in seq])


def _namespace_functions(value, ns: str):
    """Prefix input names and node references inside intrinsic functions: `value` itself when it
    holds none (a parsed value is never changed, so a namespaced copy shares it with its
    document, and is made once per session for a kept one, where it cost as much as reading it)."""
    name = function_name(value)
    if name is not None:
        args = value[name]
        if name == "get_input":
            if isinstance(args, str):
                args = _ns(ns, args)
            elif isinstance(args, list) and args and isinstance(args[0], str):
                args = [_ns(ns, args[0])] + [_namespace_functions(a, ns) for a in args[1:]]
        elif name in NODE_REFERENCES and isinstance(args, list) and args:
            first = args[0]
            if isinstance(first, str) and first not in (SELF, SOURCE, TARGET):
                first = _ns(ns, first)
            args = [first] + [_namespace_functions(a, ns) for a in args[1:]]
        else:
            args = _namespace_functions(args, ns)
        if isinstance(value, Map):
            return value.derive([(name, args, name)])
        return {name: args}
    if isinstance(value, Map):
        prefixed = [_namespace_functions(child, ns) for child in value.values()]
        if not any(map(is_not, prefixed, value.values())):
            return value
        return value.derive(zip(value, prefixed, value))
    if isinstance(value, Seq):
        prefixed = [_namespace_functions(item, ns) for item in value]
        return value.derive(prefixed) if any(map(is_not, prefixed, value)) else value
    return value


def split_namespace(ref: str) -> tuple[str | None, str]:
    """`ns--target` -> (ns, target). The delimiter counts only before any path or scheme."""
    head, sep, tail = ref.rpartition(NAMESPACE_DELIMITER)
    if not sep or "/" in head or ":" in head:
        return None, ref
    if not head:  # `--file.yaml`: an empty namespace is none, as the reference reads it
        return None, tail
    return head, tail


def join_namespaces(parent: str | None, own: str | None) -> str | None:
    """The namespace of a file imported as `own--...` from a file under `parent`: `parent--own`."""
    if parent and own:
        return f"{parent}{NAMESPACE_DELIMITER}{own}"
    return parent or own
