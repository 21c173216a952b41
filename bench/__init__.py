"""Nova's benchmarks: ``python -m bench.run --help`` (see README.md)."""
