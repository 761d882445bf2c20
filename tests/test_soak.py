"""A soak in miniature: thousands of letters through parse_many in one process without memory growth.

bench/soak.py runs the full 10,000 letters and prints peak RSS; this test keeps CI honest with fewer letters and
tracemalloc, which counts what Python still holds rather than what the process once touched.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import llmparse

from .conftest import LETTERS


def _letters(count: int) -> Iterator[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(LETTERS.iterdir())
             if p.suffix in (".txt", ".md") and p.name != "README.md"]
    for k in range(count):
        # a different text each time, so nothing can be served from any cache
        yield texts[k % len(texts)] + f"\n\nKenmerk soak-{k}\n"


def test_memory_does_not_grow_over_a_long_batch() -> None:
    """Memory held after 2,000 letters is within 2 MB of what was held after 500."""
    held: dict[int, int] = {}
    tracemalloc.start()
    try:
        for done, outcome in enumerate(llmparse.parse_many(_letters(2_000), strategy="rules", concurrency=4),
                                       start=1):
            assert outcome.ok, outcome.error
            if done in (500, 2_000):
                gc.collect()
                held[done] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held[2_000] - held[500] < 2_000_000, held
