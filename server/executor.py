"""Run query work on a helper thread against a deadline, for servers where a worker process cannot be ended.

Under gunicorn's sync workers the query runs on the request thread guarded by `server.watchdog`; under any
other WSGI server (threaded, or Flask's test client) the request thread waits here with the deadline instead and
answers 503 on time, but the overrunning query can only be abandoned on its thread, not stopped.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from typing import Callable


class Timeout(Exception):
    """The work did not finish before its deadline."""


class Executor:
    """A daemon thread per process that runs work in order; replaced when a piece of work overran."""

    def __init__(self):
        self.jobs: queue.SimpleQueue | None = None
        self.pid = None
        self.lock = threading.Lock()

    def call(self, work: Callable[[], object], deadline: float):
        """work() run on the helper thread; its result, its exception, or Timeout at the deadline."""
        answer: queue.SimpleQueue = queue.SimpleQueue()
        with self.lock:
            if self.jobs is None or self.pid != os.getpid():
                self.jobs, self.pid = queue.SimpleQueue(), os.getpid()
                threading.Thread(target=self.loop, args=(self.jobs,), daemon=True, name="adekg-query").start()
            jobs = self.jobs
            jobs.put((work, answer))
        try:
            failed, value = answer.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self.abandon(jobs)
            raise Timeout() from None
        if failed:
            raise value
        return value

    def abandon(self, jobs: queue.SimpleQueue) -> None:
        """Forget a thread stuck in overrunning work; the next call starts a fresh one."""
        with self.lock:
            jobs.put(None)
            if self.jobs is jobs:
                self.jobs = None

    @staticmethod
    def loop(jobs: queue.SimpleQueue) -> None:
        """Run work until told to stop."""
        while (item := jobs.get()) is not None:
            work, answer = item
            try:
                answer.put((False, work()))
            except BaseException as error:  # noqa: BLE001 - carried to the request thread
                # Without its traceback, the work's frame (holding pyoxigraph iterators) is freed on this thread.
                answer.put((True, error.with_traceback(None)))
