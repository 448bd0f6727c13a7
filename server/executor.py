"""Run query work on one long-lived thread per process and collect its output against a deadline.

pyoxigraph releases the GIL while it evaluates, so the request thread can wait with a deadline and answer
503 on time; the runaway query itself is stopped by replacing the process (see sparql.retire_worker).
"""
from __future__ import annotations

import os
import queue
import threading
import time
from typing import Callable, Iterator

DONE = object()


class Failure:
    """An exception raised by the work, carried back to the request thread."""

    def __init__(self, error: BaseException):
        self.error = error


class Timeout(Exception):
    """The work did not finish before its deadline."""


class ChunkWriter:
    """A binary file-like object that hands serialised output to the request thread in chunks."""

    def __init__(self, out: queue.SimpleQueue, chunk_size: int, limit: int):
        self.out, self.chunk_size, self.limit = out, chunk_size, limit
        self.buffer, self.total = bytearray(), 0

    def write(self, data) -> int:
        """Buffer bytes; pass a chunk on when it is big enough; stop past the size limit."""
        self.buffer += data
        self.total += len(data)
        if self.total > self.limit:
            raise ResultTooLarge(f"the result exceeds the limit of {self.limit} bytes; add a LIMIT")
        if len(self.buffer) >= self.chunk_size:
            self.out.put(bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        """Pass on whatever is buffered."""
        if self.buffer:
            self.out.put(bytes(self.buffer))
            self.buffer.clear()


class ResultTooLarge(Exception):
    """The serialised result went over the configured size."""


class Job:
    """One unit of work and the queue its output arrives on."""

    def __init__(self, work: Callable[[ChunkWriter], object], chunk_size: int, limit: int):
        self.work, self.out = work, queue.SimpleQueue()
        self.writer = ChunkWriter(self.out, chunk_size, limit)

    def run(self) -> None:
        """Run the work, which puts its Head and chunks on the queue; then DONE or the Failure."""
        try:
            self.work(self.writer)
            self.writer.flush()
            self.out.put(DONE)
        except BaseException as error:  # noqa: BLE001 - carried to the request thread
            # Without its traceback, the work's frame (holding pyoxigraph iterators) is freed on this thread.
            self.out.put(Failure(error.with_traceback(None)))


class Executor:
    """A single daemon thread per process that runs jobs in order; replaced if a job overran."""

    def __init__(self):
        self.jobs: queue.SimpleQueue | None = None
        self.pid = None
        self.lock = threading.Lock()

    def submit(self, job: Job) -> None:
        """Queue a job, starting the thread in this process if needed."""
        with self.lock:
            if self.jobs is None or self.pid != os.getpid():
                self.jobs, self.pid = queue.SimpleQueue(), os.getpid()
                threading.Thread(target=self.loop, args=(self.jobs,), daemon=True, name="adekg-query").start()
            self.jobs.put(job)

    def abandon(self) -> None:
        """Forget the current thread (stuck in an overrunning query); the next job starts a fresh one."""
        with self.lock:
            if self.jobs is not None:
                self.jobs.put(None)
            self.jobs = None

    @staticmethod
    def loop(jobs: queue.SimpleQueue) -> None:
        """Run jobs until told to stop."""
        while (job := jobs.get()) is not None:
            job.run()


def next_item(job: Job, deadline: float):
    """The next item a job produced, or Timeout once the deadline has passed."""
    try:
        return job.out.get(timeout=max(0.0, deadline - time.monotonic()))
    except queue.Empty:
        raise Timeout() from None


def rest(job: Job, deadline: float, on_timeout: Callable[[], None]) -> Iterator[bytes]:
    """Stream the remaining chunks of a job; past the deadline, abort the response (the body is cut)."""
    while True:
        try:
            item = next_item(job, deadline)
        except Timeout:
            on_timeout()
            raise
        if item is DONE:
            return
        if isinstance(item, Failure):
            on_timeout()
            raise item.error
        yield item
