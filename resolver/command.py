"""The `resolver` command's entry point, for the installed script and for `python -m resolver`.

`resolver --version` alone is answered here, before argparse and the command line (cli.py) are
imported: scripts, hooks and CI ask it to check what is installed, and it should cost little more
than starting Python. Everything else goes to `cli.main`.
"""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:
        from . import __version__

        print(f"resolver {__version__}")
        return 0
    from .cli import main as run

    return run(argv)
