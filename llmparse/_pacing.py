"""Pacing: how the letters of one batch share an event loop and the endpoint.

A batch keeps ``concurrency`` model requests in flight. Between requests each letter needs a few milliseconds
of CPU: reading the letter and building its request before, checking the plan and assembling the letter
after. On one event loop that work runs in turns, and a request that is ready to go out must not wait behind
other letters' checks, or the endpoint sits idle. So the batch paces its letters with two things:

- the *gate*: places for requests in flight; a request takes a place as it is sent, once it is built, and
  gives it up as soon as its answer has been read;
- the *lane*: one letter at a time does CPU work. A letter holds the lane while it works and lets go of it
  whenever it waits (for a place, for an answer, for a retry), so at any moment at most one letter's work is
  queued on the loop, and reading an answer and sending the next request never wait behind more than that.

A batch sets its ``Pacing`` in a context variable; code outside a batch finds none and is not paced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

__all__ = ["PACING", "Pacing"]


class Pacing:
    """The gate and the lane of one batch, on one event loop.

    Args:
        requests: the most model requests in flight at once.
    """

    def __init__(self, requests: int) -> None:
        self.gate = asyncio.Semaphore(requests)
        self._lane = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    def _held(self) -> bool:
        return self._holder is not None and self._holder is asyncio.current_task()

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Hold the lane for one letter's work (let go of inside, around every wait, by ``waiting``)."""
        await self._take()
        try:
            yield
        finally:
            self._give()

    @asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Let go of the lane while the caller waits; take it back afterwards (in turn with the others)."""
        held = self._held()
        if held:
            self._give()
        try:
            yield
        finally:
            if held:
                await self._take()

    async def _take(self) -> None:
        await self._lane.acquire()
        self._holder = asyncio.current_task()

    def _give(self) -> None:
        if self._held():
            self._holder = None
            self._lane.release()


#: The pacing of the batch the current task belongs to (None outside a batch).
PACING: ContextVar[Pacing | None] = ContextVar("llmparse_pacing", default=None)
