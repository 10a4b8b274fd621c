"""The benchmarks of the tutorial: `python benchmarks/run.py` (see benchmarks/README.md)."""
