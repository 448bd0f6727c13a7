"""A pool of killable query-worker processes, driven from the front's event loop.

Every request that reaches the app runs in a worker process (server/worker.py). The pool bounds each one in time
(past the timeout the worker is killed: 503) and memory (a monitor polls the resident size of busy workers: 507),
turns a worker's death by a signal into a 500 naming it, shares the workers fairly between client addresses
(round-robin admission, a per-client concurrency cap, a per-client budget of worker seconds: 429), and retires idle
workers whose store generation is no longer current, so a rebuild is picked up without a restart.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import math
import multiprocessing
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from . import generation, worker as worker_module

PAGE = os.sysconf("SC_PAGE_SIZE")
CORS = {"Access-Control-Allow-Origin": "*"}
DEMOTED_NICE = 10


@dataclass
class PoolSettings:
    """Limits of the pool (graph/cli.py fills them from flags and ADEKG_* variables)."""

    store_path: str
    config: dict = field(default_factory=dict)   # the Flask app's configuration in each worker
    min_workers: int = 2
    max_workers: int = 16
    timeout: float = 30.0
    max_query_memory: int = 512 * 2**20           # resident bytes of one busy worker
    max_total_memory: int = 1024 * 2**20          # bytes all busy workers grew by since they started
    client_budget: float = 60.0                   # worker seconds per client per window
    budget_window: float = 60.0
    client_concurrency: int = 4
    inline_limit: int = 1 << 20                   # larger bodies come back in a spool file
    spool_dir: str = ""
    poll: float = 0.025
    demote_after: float = 0.5                     # seconds busy before a worker runs at a lower CPU priority
    idle_seconds: float = 60.0                    # workers above min_workers idle this long are retired


class Reply(NamedTuple):
    """An answer for the front: status, headers, and a body in memory or in a spool file."""

    status: int
    headers: list
    body: bytes | None = None
    path: str | None = None


def plain(status: int, message: str, **headers: str) -> Reply:
    """A text/plain reply with a one-line reason."""
    return Reply(status, [("Content-Type", "text/plain; charset=utf-8"), *CORS.items(),
                          *((name.replace("_", "-"), value) for name, value in headers.items())],
                 (message + "\n").encode("utf-8"))


def stopped_message(timeout: float) -> str:
    """The one-line reason given with a 503 for an overrunning request."""
    return f"query stopped: it ran longer than the {timeout:g} s limit; narrow it or add a LIMIT"


def signal_name(exit_code: int | None) -> str:
    """How a worker ended, in words."""
    if exit_code is not None and exit_code < 0:
        try:
            return signal.Signals(-exit_code).name
        except ValueError:
            return f"signal {-exit_code}"
    return f"exit code {exit_code}"


class Worker:
    """One worker process and the front's end of its channel."""

    def __init__(self, process, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.process, self.reader, self.writer = process, reader, writer
        self.generation = ""
        self.base_rss = 0
        self.busy_since: float | None = None
        self.idle_since = time.monotonic()
        self.killed_for: tuple[int, str] | None = None
        self.demoted = False

    def rss(self) -> int:
        """Resident bytes of the process (0 once it is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError):
            return 0

    def kill(self, status: int | None = None, reason: str = "") -> None:
        """End the process now (SIGKILL: a query in pyoxigraph cannot be interrupted otherwise)."""
        if status is not None and self.killed_for is None:
            self.killed_for = (status, reason)
        try:
            os.kill(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def demote(worker: Worker) -> None:
    """Lower the CPU priority of a worker busy for long, so that short requests on other workers go first."""
    try:
        os.setpriority(os.PRIO_PROCESS, worker.process.pid, DEMOTED_NICE)
        worker.demoted = True
    except OSError:
        pass


def promote(worker: Worker) -> bool:
    """Give a demoted worker its normal priority back; False if the system does not allow it."""
    try:
        os.setpriority(os.PRIO_PROCESS, worker.process.pid, os.getpriority(os.PRIO_PROCESS, 0))
    except OSError:
        return False
    worker.demoted = False
    return True


class Client:
    """What the pool knows of one client address: requests in flight and its remaining budget."""

    def __init__(self, budget: float):
        self.in_flight = 0
        self.tokens = budget
        self.updated = time.monotonic()
        self.waiting: collections.deque[asyncio.Future] = collections.deque()


class Pool:
    """Query workers, spawned from a preloaded fork server, shared between clients."""

    def __init__(self, settings: PoolSettings):
        self.settings = settings
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["server", "server.worker"])
        self.idle: list[Worker] = []
        self.workers: set[Worker] = set()
        self.starting = 0
        self.clients: collections.OrderedDict[str, Client] = collections.OrderedDict()
        self.current = (0.0, "")
        self.monitor_task: asyncio.Task | None = None
        self.background: set[asyncio.Task] = set()
        self.spawn_error = ""
        self.starter = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="adekg-spawn")

    async def start(self) -> None:
        """Start the minimum number of workers and the monitor."""
        workers = await asyncio.gather(*(self.spawn() for _ in range(self.settings.min_workers)))
        for worker in workers:
            if worker is None:
                raise RuntimeError(f"query workers cannot start: {self.spawn_error}")
            self.release(worker)
        self.monitor_task = asyncio.get_running_loop().create_task(self.monitor())

    async def close(self) -> None:
        """Kill every worker."""
        if self.monitor_task is not None:
            self.monitor_task.cancel()
        for worker in list(self.workers):
            worker.kill()
            self.forget(worker)

    # ---- admission -------------------------------------------------------------------------------------------

    def client(self, address: str) -> Client:
        """The state of a client address, its budget refilled for the time since it was last seen."""
        client = self.clients.get(address)
        now = time.monotonic()
        if client is None:
            client = self.clients[address] = Client(self.settings.client_budget)
        else:
            rate = self.settings.client_budget / self.settings.budget_window
            client.tokens = min(self.settings.client_budget, client.tokens + (now - client.updated) * rate)
            client.updated = now
        return client

    async def handle(self, address: str, request: dict) -> Reply:
        """Run one request on a worker, within the client's budget and the pool's limits."""
        client = self.client(address)
        if self.settings.client_budget > 0 and client.tokens <= 0:
            rate = self.settings.client_budget / self.settings.budget_window
            wait = math.ceil(-client.tokens / rate) + 1
            return plain(429, f"too many requests: client {address} used its {self.settings.client_budget:g} s of "
                              f"query time per {self.settings.budget_window:g} s; retry in {wait} s",
                         Retry_After=str(wait))
        worker = self.take_now(client)
        if worker is None:
            worker = await self.wait_for_worker(client)
        if isinstance(worker, Reply):
            return worker
        started = time.monotonic()
        try:
            return await self.run(worker, request)
        finally:
            client.in_flight -= 1
            client.tokens -= time.monotonic() - started
            self.dispatch()

    def take_now(self, client: Client) -> Worker | None:
        """An idle worker at once if the client may have one and nobody is waiting (the common case), else None."""
        if self.idle and not client.waiting and client.in_flight < self.settings.client_concurrency:
            worker = self.take_idle()
            if worker is not None:
                client.in_flight += 1
            return worker
        return None

    async def wait_for_worker(self, client: Client) -> Worker | Reply:
        """Queue for a worker (round-robin between clients); a 503 Reply if none comes within the timeout."""
        future = asyncio.get_running_loop().create_future()
        client.waiting.append(future)
        self.dispatch()
        try:
            worker = await asyncio.wait_for(future, self.settings.timeout)
        except TimeoutError:
            return plain(503, f"server busy: no query worker was free within {self.settings.timeout:g} s; "
                              "retry later", Retry_After="5")
        finally:
            if not future.done() or future.cancelled():
                self.discard_waiting(client, future)
        if isinstance(worker, Reply):  # no worker could start
            client.in_flight -= 1
            self.dispatch()
        return worker

    @staticmethod
    def discard_waiting(client: Client, future: asyncio.Future) -> None:
        """Forget a request that stopped waiting."""
        try:
            client.waiting.remove(future)
        except ValueError:
            pass

    def dispatch(self) -> None:
        """Hand free capacity to waiting requests, one client after another (round-robin)."""
        while True:
            capacity = bool(self.idle) or len(self.workers) + self.starting < self.settings.max_workers
            if not capacity:
                self.top_up()
                return
            address = next((address for address, client in self.clients.items()
                            if client.waiting and client.in_flight < self.settings.client_concurrency), None)
            if address is None:
                self.forget_quiet_clients()
                self.top_up()
                return
            client = self.clients[address]
            self.clients.move_to_end(address)
            future = client.waiting.popleft()
            if future.done():
                continue
            client.in_flight += 1
            worker = self.take_idle()
            if worker is not None:
                future.set_result(worker)
            else:
                self.starting += 1
                self.spawn_for(future, client)

    def forget_quiet_clients(self) -> None:
        """Drop clients with nothing in flight and a full budget (keeps the table small)."""
        if len(self.clients) < 1024:
            return
        for address in [address for address, client in self.clients.items() if not client.in_flight
                        and not client.waiting and self.client(address).tokens >= self.settings.client_budget]:
            del self.clients[address]

    def take_idle(self) -> Worker | None:
        """An idle worker on the current generation (idle ones on an older generation are retired)."""
        current = self.current_generation()
        while self.idle:
            worker = self.idle.pop()
            if worker.generation == current:
                return worker
            self.retire(worker)
        return None

    def current_generation(self) -> str:
        """The current generation's folder, read at most every 0.2 s (one readlink per request is not needed)."""
        checked, folder = self.current
        now = time.monotonic()
        if now - checked > 0.2:
            try:
                folder = str(generation.current_generation(self.settings.store_path))
            except OSError:
                pass
            self.current = (now, folder)
        return folder

    def release(self, worker: Worker) -> None:
        """A worker that finished a request: idle again, or retired if its generation is no longer current."""
        worker.busy_since = None
        worker.idle_since = time.monotonic()
        if worker.demoted and not promote(worker):
            self.retire(worker)  # it cannot get its priority back: a fresh worker costs less than a slow one
        elif worker.generation != self.current_generation():
            self.retire(worker)
        else:
            self.idle.append(worker)

    def retire(self, worker: Worker) -> None:
        """Let a worker end by closing its channel (it exits when it reads the end of it)."""
        self.forget(worker)

    def forget(self, worker: Worker) -> None:
        """Remove a worker from the pool and close the front's end of its channel."""
        self.workers.discard(worker)
        if worker in self.idle:
            self.idle.remove(worker)
        worker.writer.close()
        self.later(self.reap(worker))

    def top_up(self) -> None:
        """Start a worker when fewer than the minimum are left, or when none is idle (a spare for the next client)."""
        total = len(self.workers) + self.starting
        if total >= self.settings.max_workers or (total >= self.settings.min_workers and (self.idle or self.starting)):
            return
        self.starting += 1

        async def replace() -> None:
            worker = await self.spawn(counted=True)
            if worker is not None:
                self.release(worker)
                self.dispatch()
        self.later(replace())

    def later(self, coroutine) -> None:
        """Run a coroutine in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    # ---- workers ---------------------------------------------------------------------------------------------

    def spawn_for(self, future: asyncio.Future, client: Client) -> None:
        """Start a worker for a waiting request (already counted in self.starting and in the client's in_flight)."""
        async def start() -> None:
            worker = await self.spawn(counted=True)
            if future.done():  # the request stopped waiting meanwhile: the worker is simply idle
                client.in_flight -= 1
                if worker is not None:
                    self.release(worker)
                self.dispatch()
            elif worker is None:
                future.set_result(plain(503, f"no query worker could start: {self.spawn_error}", Retry_After="5"))
            else:
                future.set_result(worker)
        self.later(start())

    async def spawn(self, counted: bool = False) -> Worker | None:
        """A new worker that has opened the current generation, or None (with self.spawn_error) if it failed."""
        if not counted:
            self.starting += 1
        try:
            ours, theirs = socket.socketpair()
            settings = self.settings
            process = self.context.Process(target=worker_module.main, daemon=True,
                                           args=(theirs, settings.store_path, settings.config, settings.spool_dir,
                                                 settings.inline_limit))
            # Read by the fork server's preload (it starts with the first worker) to build the app and union view once.
            os.environ[worker_module.CONFIG_VARIABLE] = json.dumps(settings.config)
            os.environ[worker_module.STORE_VARIABLE] = settings.store_path
            await asyncio.get_running_loop().run_in_executor(self.starter, process.start)
            theirs.close()
            reader, writer = await asyncio.open_connection(sock=ours, limit=2**16)
            worker = Worker(process, reader, writer)
            try:
                kind, detail = await asyncio.wait_for(self.receive(worker), 60)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
                kind, detail = "failed", f"the worker ended at start ({signal_name(process.exitcode)})"
            if kind != "ready":
                self.spawn_error = detail
                worker.kill()
                writer.close()
                self.later(self.reap(worker))
                return None
            worker.generation, worker.base_rss = detail, worker.rss()
            self.workers.add(worker)
            return worker
        finally:
            self.starting -= 1

    @staticmethod
    async def receive(worker: Worker):
        """Read one message from a worker."""
        header = await worker.reader.readexactly(worker_module.FRAME.size)
        data = await worker.reader.readexactly(worker_module.FRAME.unpack(header)[0])
        return worker_module.pickle.loads(data)  # noqa: S301 - our own worker

    async def run(self, worker: Worker, request: dict) -> Reply:
        """Send a request to a worker and wait for its answer within the timeout."""
        settings = self.settings
        worker.busy_since = time.monotonic()
        data = worker_module.pickle.dumps(request, protocol=worker_module.pickle.HIGHEST_PROTOCOL)
        # A timer rather than asyncio.wait_for: it costs less per request; killing the worker ends the read below.
        timer = asyncio.get_running_loop().call_later(settings.timeout, self.overran, worker)
        try:
            worker.writer.write(worker_module.FRAME.pack(len(data)) + data)
            status, headers, body, path = await self.receive(worker)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except BaseException:
            # Cancelled mid-request (the server is stopping): the channel is out of step, so the worker goes.
            worker.kill()
            self.forget(worker)
            raise
        else:
            self.release(worker)
            return Reply(status, headers, body, path)
        finally:
            timer.cancel()
        return await self.ended(worker)

    def overran(self, worker: Worker) -> None:
        """Kill a worker whose request ran past the timeout (its request is answered 503)."""
        worker.kill(503, stopped_message(self.settings.timeout))

    async def ended(self, worker: Worker) -> Reply:
        """The answer for a request whose worker was killed or died; the worker is replaced."""
        self.forget(worker)
        self.remove_spool_files(worker.process.pid)  # what it was writing when it ended
        self.top_up()
        if worker.killed_for is not None:
            status, reason = worker.killed_for
            return plain(status, reason, Retry_After="1") if status == 503 else plain(status, reason)
        exit_code = await self.exit_code(worker)
        return plain(500, f"query failed: its worker process died ({signal_name(exit_code)}), probably a crash in "
                          "the query engine; the worker was replaced")

    @staticmethod
    async def exit_code(worker: Worker, wait: float = 5.0) -> int | None:
        """The worker's exit code (negative: the signal that ended it), waiting a little for it to be known."""
        deadline = time.monotonic() + wait
        while worker.process.exitcode is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return worker.process.exitcode

    async def reap(self, worker: Worker) -> None:
        """Collect a finished process's status (the fork server waits for it; we read what it says)."""
        await self.exit_code(worker, wait=30)
        if worker.process.exitcode is None:
            worker.kill()

    def remove_spool_files(self, pid: int) -> None:
        """Spool files a killed worker left half written."""
        if not self.settings.spool_dir:
            return
        for path in Path(self.settings.spool_dir).glob(f"{pid}-*"):
            path.unlink(missing_ok=True)

    # ---- monitor ---------------------------------------------------------------------------------------------

    async def monitor(self) -> None:
        """Poll busy workers' memory; retire long-idle workers above the minimum."""
        settings = self.settings
        while True:
            await asyncio.sleep(settings.poll)
            busy = [worker for worker in self.workers if worker.busy_since is not None and worker.killed_for is None]
            grown = 0
            sizes = []
            for worker in busy:
                rss = worker.rss()
                if settings.max_query_memory and rss > settings.max_query_memory:
                    worker.kill(507, f"query stopped: its worker used {rss / 2**20:.0f} MiB, over the "
                                     f"{settings.max_query_memory / 2**20:.0f} MiB memory limit per query; "
                                     "narrow it or add a LIMIT")
                    continue
                if not worker.demoted and time.monotonic() - worker.busy_since > settings.demote_after:
                    demote(worker)
                grown += max(0, rss - worker.base_rss)
                sizes.append((rss - worker.base_rss, worker))
            if settings.max_total_memory and grown > settings.max_total_memory and sizes:
                _, largest = max(sizes, key=lambda item: item[0])
                largest.kill(507, f"query stopped: the queries running together used {grown / 2**20:.0f} MiB, over "
                                  f"the server's {settings.max_total_memory / 2**20:.0f} MiB for queries, and this "
                                  "one used the most; retry later or narrow it")
            self.retire_idle()

    def retire_idle(self) -> None:
        """Retire workers idle for long, down to the minimum."""
        now = time.monotonic()
        while len(self.workers) > self.settings.min_workers and self.idle \
                and now - self.idle[0].idle_since > self.settings.idle_seconds:
            self.retire(self.idle[0])
