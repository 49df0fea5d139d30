"""Requests that arrive together are written together: one batched generate per model.

Each model has a :class:`Batcher`. A request becomes a :class:`Job` in its waiting line; the
first job wakes the batcher, which waits :attr:`Limits.batch_window` for others to join, then
hands every waiting job (up to :attr:`Limits.max_batch_rows` posts) to one
:meth:`Generator.generate_batch` call in the worker thread. Jobs that arrive while it runs join
it at its next step, as far as its rows allow. Posts come back to each job's queue
as soon as they are finished, so a page shows them as they are written. A job whose client went
away is skipped if it is still waiting and stops costing tokens if it is being written. The
waiting line is bounded: past it, :meth:`Batcher.submit` raises :class:`Busy` (a 503).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from dataclasses import dataclass, field

from tweetgen.generation.generator import Generator
from tweetgen.generation.samples import Sample, SampleRequest
from tweetgen.serve.settings import Limits


class Busy(Exception):
    """The waiting line of a model is full."""


@dataclass(eq=False)
class Job:
    """One request in flight: the posts come through ``posts`` (``None`` closes it)."""

    request: SampleRequest
    posts: asyncio.Queue[Sample | None] = field(default_factory=asyncio.Queue)
    arrived: float = field(default_factory=time.monotonic)
    cancelled: bool = False
    failed: str | None = None

    async def results(self) -> AsyncIterator[Sample]:
        """Each post as it is written, until the job is done."""
        while (sample := await self.posts.get()) is not None:
            yield sample


class Batcher:
    """The waiting line and batch loop of one model."""

    def __init__(self, generator: Generator, limits: Limits, executor: Executor) -> None:
        self.generator = generator
        self.limits = limits
        self.executor = executor
        self.waiting: deque[Job] = deque()
        #: Counts for ``/health``: batches run, posts drawn, jobs dropped by their client.
        self.batches = 0
        self.drawn = 0
        self.cancelled = 0
        #: Whether a batch is being written now, and seconds spent writing so far.
        self.writing = False
        self.seconds = 0.0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        #: The waiting line is read by the worker thread too (jobs joining a running batch).
        self._lock = threading.Lock()

    def submit(self, request: SampleRequest) -> Job:
        """Queue ``request``; raise :class:`Busy` when the line is full."""
        self._start()
        with self._lock:
            self.waiting = deque(j for j in self.waiting if not j.cancelled)
            if len(self.waiting) >= self.limits.max_waiting:
                raise Busy
            job = Job(request)
            self.waiting.append(job)
        assert self._wake is not None
        self._wake.set()
        return job

    def _start(self) -> None:
        """Start the loop on first use: the app may be mounted in another one whose startup
        hooks never reach it."""
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self.limits.batch_window)
            while jobs := self._take(self.limits.max_batch_rows):
                self.writing = True
                try:
                    await asyncio.get_running_loop().run_in_executor(
                        self.executor, self._generate, jobs, asyncio.get_running_loop()
                    )
                finally:
                    self.writing = False

    def _take(self, room: int) -> list[Job]:
        """Waiting jobs, in order, for at most ``room`` posts."""
        jobs: list[Job] = []
        rows = 0
        with self._lock:
            while self.waiting:
                job = self.waiting[0]
                if job.cancelled:
                    self.waiting.popleft()
                    self.cancelled += 1
                    continue
                if rows + job.request.n > room:
                    break
                jobs.append(self.waiting.popleft())
                rows += job.request.n
        return jobs

    def _generate(self, jobs: list[Job], loop: asyncio.AbstractEventLoop) -> None:
        """One batched generate (in the worker thread); every job is closed after it."""
        self.batches += 1
        began = time.perf_counter()

        given = [0] * len(jobs)

        def deliver(i: int, sample: Sample) -> None:
            """Send a post; a job that has all its posts is closed at once, not with the
            batch (its client need not wait for longer posts of others)."""
            given[i] += 1
            loop.call_soon_threadsafe(jobs[i].posts.put_nowait, sample)
            if given[i] == jobs[i].request.n:
                loop.call_soon_threadsafe(jobs[i].posts.put_nowait, None)

        def joining(room: int) -> list[SampleRequest]:
            """Jobs that arrived meanwhile: they join this batch (and this call's indexes)
            once the first of them has waited a batch window, so that a burst joins at once
            (each join copies the batch's cache)."""
            with self._lock:
                first = self.waiting[0].arrived if self.waiting else None
            if first is None or time.monotonic() - first < self.limits.batch_window:
                return []
            arrived = self._take(room)
            jobs.extend(arrived)
            given.extend(0 for _ in arrived)
            return [job.request for job in arrived]

        try:
            results = self.generator.generate_batch(
                [j.request for j in jobs],
                batch_size=self.limits.max_batch_rows,
                on_sample=deliver,
                cancelled=lambda i: jobs[i].cancelled,
                joining=joining,
            )
            self.drawn += sum(r.drawn for r in results)
        except Exception as exc:  # one bad batch must not stop the server: each job hears it
            for job in jobs:
                job.failed = f"generation failed: {type(exc).__name__}"
        finally:
            self.seconds += time.perf_counter() - began
            self.cancelled += sum(j.cancelled for j in jobs)
            for job, count in zip(jobs, given, strict=True):
                if count < job.request.n:
                    loop.call_soon_threadsafe(job.posts.put_nowait, None)


__all__ = ["Batcher", "Busy", "Job"]
