"""Benchmarks run from the outside: `python -m bench.bench_requests`, `python -m bench.bench_import`."""
