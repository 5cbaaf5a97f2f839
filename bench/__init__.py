"""Benchmarks of mjquery against the sandbox server: run ``python bench/bench_select.py [--quick]``.

Results are written to ``docs/``; speed is reported as ratios against a baseline measured in the
same run, never asserted in unit tests.
"""
