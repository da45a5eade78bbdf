"""The entry points of the installed scripts, `resolver` (also `python -m resolver`) and
`resolver-hook`.

`--version` alone is answered here, before argparse and the command line (cli.py, hook.py) are
imported: scripts, hooks and CI ask it to check what is installed, and it should cost little more
than starting Python. Everything else goes to the command's own `main`.
"""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    """`resolver`: the command line (cli.py)."""
    if _only_version(argv):
        return _print_version("resolver")
    from .cli import main as run

    return run(argv)


def hook(argv=None) -> int:
    """`resolver-hook`: the pre-commit hook (hook.py)."""
    if _only_version(argv):
        return _print_version("resolver-hook")
    from .hook import main as run

    return run(argv)


def _only_version(argv) -> bool:
    return (sys.argv[1:] if argv is None else list(argv)) == ["--version"]


def _print_version(prog: str) -> int:
    from . import __version__

    print(f"{prog} {__version__}")
    return 0
