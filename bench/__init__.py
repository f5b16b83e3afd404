"""Server CPU benchmarks for govsignin (see bench/README.md); run with `python -m bench.run`."""
