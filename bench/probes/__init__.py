"""Probes: benchmarks that answer one question each (bench/README.md, "Probes"); run with
`python -m bench.probes.NAME`. The headline runs are in bench/."""
