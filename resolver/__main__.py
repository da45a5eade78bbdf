"""`python -m resolver`: the command line, through the same entry point as the installed
`resolver` script (command.py), which answers `--version` without importing the rest."""
from resolver.command import main

raise SystemExit(main())
