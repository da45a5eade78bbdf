"""An empty module: `python -m bench.empty` is what any `python -m` command costs before its own
code runs (runpy and the import machinery it brings), the floor of `python -m resolver --version`."""
