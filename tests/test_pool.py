"""The pool's admission rules, without processes: round-robin between clients, per-client cap, budget, generations."""
import asyncio
import time

from server.pool import Pool, PoolSettings


class FakeWorker:
    """Stands in for a started worker: only its generation matters to admission."""

    def __init__(self, generation: str):
        self.generation = generation
        self.busy_since = None
        self.idle_since = time.monotonic()
        self.demoted = False


def pool_with(idle: list, **settings) -> Pool:
    """A pool whose current generation is "g1" and whose idle workers are given (no spawning: max reached)."""
    pool = Pool(PoolSettings(store_path="/nonexistent", min_workers=0, max_workers=len(idle), **settings))
    pool.current = (time.monotonic() + 3600, "g1")   # as if just read from the store
    pool.idle, pool.workers = list(idle), set(idle)
    return pool


def waiting(pool: Pool, address: str):
    """Queue a request of a client and return its future (what handle() awaits)."""
    future = asyncio.get_running_loop().create_future()
    pool.client(address).waiting.append(future)
    return future


def test_clients_take_turns_and_one_client_cannot_take_every_worker():
    async def scenario():
        workers = [FakeWorker("g1") for _ in range(3)]
        pool = pool_with(workers, client_concurrency=2)
        greedy = [waiting(pool, "10.0.0.1") for _ in range(5)]
        other = waiting(pool, "10.0.0.2")
        pool.dispatch()
        assert [future.done() for future in greedy] == [True, True, False, False, False]
        assert other.done() and pool.clients["10.0.0.1"].in_flight == 2
        # a worker coming back goes to the greedy client's next request (the other one has nothing waiting)
        pool.clients["10.0.0.1"].in_flight -= 1
        pool.release(greedy[0].result())
        pool.dispatch()
        assert [future.done() for future in greedy] == [True, True, True, False, False]
    asyncio.run(scenario())


def test_idle_workers_on_an_old_generation_are_not_handed_out():
    async def scenario():
        old, new = FakeWorker("g0"), FakeWorker("g1")
        pool = pool_with([new, old])
        retired = []
        pool.retire = retired.append
        request = waiting(pool, "10.0.0.3")
        pool.dispatch()
        assert request.result() is new and retired == [old]
    asyncio.run(scenario())


def test_a_client_that_spent_its_budget_gets_429_with_retry_after():
    async def scenario():
        pool = pool_with([FakeWorker("g1")], client_budget=10, budget_window=60)
        pool.client("10.0.0.4").tokens = -2   # 2 s over: refilled at 1/6 s per second
        reply = await pool.handle("10.0.0.4", {})
        headers = dict(reply.headers)
        assert reply.status == 429 and 12 <= int(headers["Retry-After"]) <= 14
        assert b"10 s of query time per 60 s" in reply.body
    asyncio.run(scenario())


def test_a_request_that_stops_waiting_while_its_worker_starts_is_not_counted_against_its_client():
    async def scenario():
        pool = pool_with([], timeout=0.05)
        pool.settings.max_workers = 1
        started = FakeWorker("g1")

        async def slow_spawn(counted=False):
            await asyncio.sleep(0.2)
            pool.starting -= 1
            pool.workers.add(started)
            return started
        pool.spawn = slow_spawn
        reply = await pool.handle("10.0.0.5", {})
        assert reply.status == 503 and b"no query worker was free" in reply.body
        await asyncio.sleep(0.3)
        assert pool.clients["10.0.0.5"].in_flight == 0 and pool.idle == [started]
    asyncio.run(scenario())
