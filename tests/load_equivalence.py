"""Our loader against PyYAML's, over every YAML file of the shared corpus.

`load.load_yaml` builds values and positions from libyaml's events by its own code; this is the
proof that it builds what PyYAML builds. For each corpus YAML file (blueprints and their local
files, plugin YAMLs, Cloudify's types, the remote files), PyYAML's pure-Python SafeLoader composes
the node graph (`yaml.compose`) and constructs the value from it (`yaml.load`), and the two results
are walked side by side:

- values are equal with exact types (a bool is not an int, an int not a float); a Map stands for a
  dict and a Seq for a list, with the keys in the same order (merge keys included: see load.py's
  `_merge`); timestamps and binaries stay the text
  written in ours, as load.py documents, so they are compared with the node's text;
- every container's own mark, every mapping key's and value's mark and every sequence item's mark
  equal the start of the composed node it came from, 1-based, counted on line feeds as an editor
  counts them (an alias's is the start of the value its anchor is on);
- a file PyYAML refuses is one our loader refuses (returns None), and the other way round; but
  where PyYAML refuses a mapping key it cannot hash (a flow mapping written as a key, as in an
  unquoted `{{ template }}`) or a merge key naming no mapping, ours reports schema-wrong-type at
  that place and leaves the entry out, as load.py documents.

The problems reported for each file (codes and marks) are not compared here: old against new
code, they are covered by tests/snapshot.py.

    python -m tests.load_equivalence              # every file; exit 1 on any difference
    python -m tests.load_equivalence --sample 60  # 60 files spread over the sorted list
    python -m tests.load_equivalence --mutants 2000 --seed 7  # corpus texts with random edits
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import yaml

from resolver.load import Map, Seq, Stamp, load_yaml
from resolver.problems import Mark, Problems

from .corpus import CORPUS

# The tags our loader keeps as the text written (see load.py) where PyYAML builds another value.
TEXT_TAGS = frozenset(("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"))


def corpus_files(sample: int | None = None) -> list[Path]:
    """The corpus's YAML files, sorted; `sample` of them spread evenly over that list if given."""
    files = sorted(path for pattern in ("*.yaml", "*.yml") for path in CORPUS.rglob(pattern))
    if sample is None or sample >= len(files):
        return files
    return [files[index * len(files) // sample] for index in range(sample)]


def editor_mark(text: str, source: str, mark) -> Mark:
    """A composed node's mark as a 1-based line and column counted on line feeds, from its index
    (a byte order mark that starts the text is no column: editors do not show it)."""
    index = mark.index
    line_start = text.rfind("\n", 0, index)
    shift = 1 if line_start < 0 and text.startswith("\ufeff") else 0
    return Mark(source, text.count("\n", 0, index) + 1, index - line_start - shift)


class Walk:
    """Compares one file's value as we load it with PyYAML's, collecting the differences."""

    def __init__(self, text: str, source: str, loader: yaml.SafeLoader) -> None:
        self.text = text
        self.source = source
        self.loader = loader
        self.differences: list[str] = []

    def differ(self, path: str, what: str) -> None:
        self.differences.append(f"{self.source}: {path or '(top)'}: {what}")

    def at(self, node) -> Mark:
        return editor_mark(self.text, self.source, node.start_mark)

    def same_mark(self, path: str, what: str, ours: Mark | None, node) -> None:
        theirs = self.at(node)
        if ours != theirs:
            self.differ(path, f"{what} at {ours} where PyYAML has {theirs}")

    def value(self, ours, theirs, node, path: str) -> None:
        """`ours` (our loader's) against `theirs` (PyYAML's value of `node`)."""
        if isinstance(node, yaml.ScalarNode):
            self.scalar(ours, theirs, node, path)
        elif isinstance(node, yaml.MappingNode) and isinstance(theirs, dict):
            self.mapping(ours, theirs, node, path)
        elif isinstance(node, yaml.SequenceNode) and isinstance(theirs, list) and node.tag != "tag:yaml.org,2002:pairs":
            self.sequence(ours, theirs, node, path)
        elif type(ours) is not type(theirs) or ours != theirs:  # !!pairs, !!omap: plain lists of tuples
            self.differ(path, f"{ours!r} where PyYAML has {theirs!r}")

    def scalar(self, ours, theirs, node, path: str) -> None:
        if node.tag in TEXT_TAGS:
            theirs = node.value
            if node.tag == "tag:yaml.org,2002:timestamp":
                theirs = Stamp(theirs)  # the text, marked as a timestamp's
        if type(ours) is not type(theirs):
            self.differ(path, f"{type(ours).__name__} {ours!r} where PyYAML has {type(theirs).__name__} {theirs!r}")
        elif ours != theirs and not (isinstance(ours, float) and math.isnan(ours) and math.isnan(theirs)):
            self.differ(path, f"{ours!r} where PyYAML has {theirs!r}")

    def mapping(self, ours, theirs: dict, node, path: str) -> None:
        if type(ours) is not Map:
            self.differ(path, f"{type(ours).__name__} where PyYAML has a mapping")
            return
        self.same_mark(path, "the mapping", ours.mark, node)
        # PyYAML's constructor flattened the merge keys into `node.value`, merged entries first; a
        # key written twice keeps its first place with its last nodes, as in ours
        entries = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if key_node.tag in TEXT_TAGS:
                key = Stamp(key_node.value) if key_node.tag == "tag:yaml.org,2002:timestamp" else key_node.value
            entries[key] = (key, key_node, value_node)
        ours_keys, their_keys = [(type(k), k) for k in ours], [(type(k), k) for k in entries]
        if ours_keys != their_keys:
            self.differ(path, f"keys {list(ours)!r} where PyYAML has {list(entries)!r}")
            return
        for key, (their_key, key_node, value_node) in entries.items():
            inner = f"{path}.{key}"
            self.same_mark(inner, "the key", ours.key_mark(key), key_node)
            self.same_mark(inner, "the value", ours.value_mark(key), value_node)
            self.value(ours[key], theirs[their_key], value_node, inner)

    def sequence(self, ours, theirs: list, node, path: str) -> None:
        if type(ours) is not Seq:
            self.differ(path, f"{type(ours).__name__} where PyYAML has a sequence")
            return
        self.same_mark(path, "the sequence", ours.mark, node)
        if len(ours) != len(theirs):
            self.differ(path, f"{len(ours)} items where PyYAML has {len(theirs)}")
            return
        for index, item_node in enumerate(node.value):
            inner = f"{path}[{index}]"
            self.same_mark(inner, "the item", ours.item_mark(index), item_node)
            self.value(ours[index], theirs[index], item_node, inner)


# What PyYAML's constructor refuses that ours reports as `schema-wrong-type` at the same place and
# goes on (a mapping key it cannot hash, left out; a merge key naming no mapping, not merged): the
# blueprint is refused either way, ours with every other problem too.
_REPORTED_AS_WRONG_TYPE = ("found unhashable key", "expected a mapping or list of mappings for merging",
                           "expected a mapping for merging")


def _skipped_as_documented(exc: yaml.YAMLError, text: str, source: str, problems: Problems) -> bool:
    """Whether PyYAML refused what ours, as load.py documents, reports as schema-wrong-type at the
    same place and leaves out (an unhashable key, a merge key naming no mapping)."""
    if not isinstance(exc, yaml.constructor.ConstructorError) or not str(exc.problem).startswith(
            _REPORTED_AS_WRONG_TYPE):
        return False
    at = editor_mark(text, source, exc.problem_mark)
    return any(problem.code == "schema-wrong-type" and (problem.line, problem.column) == (at.line, at.column)
               for problem in problems)


def compare(path: Path) -> list[str]:
    """The differences between our loader's result for the file at `path` and PyYAML's."""
    with open(path, encoding="utf-8") as handle:
        return compare_text(handle.read(), str(path))


def compare_text(text: str, source: str) -> list[str]:
    """The differences between our loader's result for `text` and PyYAML's."""
    problems = Problems()
    ours = load_yaml(text, source, problems)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()  # yaml.compose
        theirs = loader.construct_document(node) if node is not None else None  # yaml.load
    except yaml.YAMLError as exc:
        if ours is None or _skipped_as_documented(exc, text, source, problems):
            return []
        return [f"{source}: PyYAML refuses it ({str(exc).splitlines()[0]}) where ours loads it"]
    finally:
        loader.dispose()
    if ours is None:
        return [f"{source}: ours refuses it where PyYAML loads it"]
    if node is None:  # an empty document: ours is an empty Map at the top of the file
        if ours != {} or type(ours) is not Map or ours.mark != Mark(source, 1, 1):
            return [f"{source}: an empty document gives {ours!r}"]
        return []
    walk = Walk(text, source, loader)
    walk.value(ours, theirs, node, "")
    return walk.differences


# What a mutant's edits insert: the characters YAML's syntax turns on, and a few words it types.
SYNTAX = [":", "-", " ", "  ", "\t", "\n", "\"", "'", "{", "}", "[", "]", "&a", "*a", "!", "!!str ", "|", ">", "#",
          "%", "@", "`", ",", "?", "<<: ", "~", "yes", "0x1F", "1_000", "0o17", "1:30", ".inf", "2001-12-14", "\\",
          "\r", "\u2028", "\ufeff", "---\n", "...\n", "=", "null", "\x85"]


def mutants(count: int, seed: int, largest: int = 20_000):
    """`count` corpus texts (files under `largest` bytes), each with one to three random edits:
    a character or two of YAML's syntax inserted or put in place of others, or a stretch deleted.
    Yields (name, text)."""
    import random

    chance = random.Random(seed)
    files = [path for path in corpus_files() if path.stat().st_size <= largest]
    for number in range(count):
        path = chance.choice(files)
        text = path.read_text(encoding="utf-8")
        for _ in range(chance.randint(1, 3)):
            at = chance.randrange(len(text) + 1)
            kind = chance.random()
            if kind < 0.4:
                text = text[:at] + chance.choice(SYNTAX) + text[at:]
            elif kind < 0.8:
                text = text[:at] + chance.choice(SYNTAX) + text[at + chance.randint(1, 3):]
            else:
                text = text[:at] + text[at + chance.randint(1, 40):]
        yield f"{path.relative_to(CORPUS)}#mutant{number}", text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load_equivalence", description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None, help="that many files spread over the corpus (default: all)")
    parser.add_argument("--mutants", type=int, default=None, metavar="N",
                        help="compare N mutants of corpus files instead (random edits of YAML's syntax)")
    parser.add_argument("--seed", type=int, default=None, help="the mutants' seed (default: a random one, printed)")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if args.mutants:
        import random

        seed = args.seed if args.seed is not None else random.randrange(1 << 30)
        texts = list(mutants(args.mutants, seed))
        differences = [difference for name, text in texts for difference in compare_text(text, name)]
        what = f"{len(texts)} mutants (seed {seed})"
    else:
        files = corpus_files(args.sample)
        differences = [difference for path in files for difference in compare(path)]
        what = f"{len(files)} files"
    for difference in differences[:30]:
        print(f"differ: {difference}")
    print(f"{what} in {time.perf_counter() - start:.1f} s; {len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
