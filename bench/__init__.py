"""Benchmarks for `resolver`: synthetic blueprints up to 10,000 nodes, and the corpus.

    python -m bench.run [--sizes 10,100,1000] [--corpus [DIR]] [--json FILE]

See `bench/run.py` for every option. The reference parser (cloudify-common 7.0.5), when a
Python that has it is found, runs side by side in a subprocess: it is never imported here.
"""
