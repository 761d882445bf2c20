"""Throughput of the rules path: letters per second in one process (one core), and over a Dask local cluster.

Parses every corpus letter ``--repeat`` times with ``llmparse.parse_many(paths, strategy="rules")`` in this
process, then the same paths as a Dask bag on a ``LocalCluster`` of ``--workers`` processes (one thread each),
partitions of ``--partition`` letters each parsed by ``parse_many`` (the README's recipe). Prints letters per
second and per core for both, and checks that the cluster's results equal the in-process ones.

    python bench/throughput.py [--repeat N] [--workers N] [--partition N] [--letters DIR]

Needs the dask extra (``pip install 'llmparse[dask]'``) and the corpus (``$LLMPARSE_SHARED`` or ``../shared``);
no model or network. The model path is bounded by the endpoint, not by this machine: see the README.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import llmparse

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def parse_partition(paths: list[Path]) -> list[llmparse.Outcome]:
    """One partition of the bag: its letters through ``parse_many`` (rules), one outcome each."""
    return list(llmparse.parse_many(paths, strategy="rules"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the corpus (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (default 2)")
    parser.add_argument("--partition", type=int, default=25, help="letters per bag partition (default 25)")
    parser.add_argument("--letters", type=Path, default=SHARED / "corpus" / "letters")
    options = parser.parse_args()
    if not options.letters.is_dir():
        print(f"bench/throughput.py: no letters at {options.letters} (set LLMPARSE_SHARED)", file=sys.stderr)
        return 2
    paths = sorted(p for p in options.letters.iterdir() if p.suffix in (".txt", ".md")) * options.repeat
    parse_partition(paths[:10])  # warm up

    start = time.perf_counter()
    here = parse_partition(paths)
    one = len(paths) / (time.perf_counter() - start)
    print(f"one process:   {len(paths)} letters, {one:7.1f} letters/s  ({one:6.1f} per core)")

    import dask.bag as db
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=options.workers, threads_per_worker=1,  # type: ignore[no-untyped-call]
                      processes=True, dashboard_address=None) as cluster, cluster.get_client():
        bag = db.from_sequence(paths, partition_size=options.partition)  # type: ignore[no-untyped-call]
        bag = bag.map_partitions(parse_partition)
        bag.take(1, npartitions=options.workers)  # workers started and llmparse imported in each
        start = time.perf_counter()
        there = bag.compute()
        many = len(paths) / (time.perf_counter() - start)
    print(f"dask {options.workers} workers: {len(paths)} letters, {many:7.1f} letters/s  "
          f"({many / options.workers:6.1f} per core)")
    same = [o.result for o in here] == [o.result for o in there]
    print(f"same results as parse_many: {same}; cores on this machine: {os.cpu_count()}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
