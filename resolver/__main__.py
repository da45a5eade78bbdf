"""`python -m resolver`: the command line (cli.py). `--version` alone is answered here, before
argparse and the rest are imported: scripts and hooks ask it to check what is installed."""
import sys

if sys.argv[1:] == ["--version"]:
    from resolver import __version__

    print(f"resolver {__version__}")
    raise SystemExit(0)

from resolver.cli import main  # noqa: E402

raise SystemExit(main())
