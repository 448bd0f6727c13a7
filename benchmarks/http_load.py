"""Bounded load test of `adekg serve` on 127.0.0.1: many clients mixing competency queries, bad queries and runaways.

Usage: .venv/bin/python benchmarks/http_load.py [--seconds 60] [--clients 32] [--workers 2] [--timeout 2]
Reports requests by outcome, unexpected failures (should be 0), server memory at start/end/peak, how many
workers were replaced after runaway queries, and whether every worker still answers at the end.
"""
from __future__ import annotations

import argparse
import collections
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from http_bench import PROLOGUE, WORK, request, seed_store, start, stop  # noqa: E402

EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BAD = [("SELECT ?x WHERE {", 400), ("INSERT DATA { <a:a> <a:a> <a:a> }", 403),
       ("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403)]


def tree(arbiter: int) -> list[int]:
    """The arbiter and its worker PIDs."""
    return [arbiter] + [int(pid) for pid in Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()]


def rss_mb(pids: list[int]) -> float:
    """Resident memory of some processes, in MB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_ticks(pid: int) -> int:
    """User+system CPU ticks a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main() -> None:
    """Run the load, then print the figures; exit 1 if any request failed unexpectedly."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--seconds", type=float, default=60)
    options.add_argument("--clients", type=int, default=32)
    options.add_argument("--workers", type=int, default=2)
    options.add_argument("--timeout", type=float, default=2)
    args = options.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    store = seed_store()
    competency = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").glob("cq-*.rq"))]
    process, url = start("adekg+cache", store, args.workers, "--timeout", str(args.timeout))
    try:
        arbiter = process.pid
        seen_workers = set(tree(arbiter)[1:])
        rss_start, rss_peak = rss_mb(tree(arbiter)), 0.0
        outcomes, unexpected, lock = collections.Counter(), [], threading.Lock()
        stop_at = time.monotonic() + args.seconds
        runaway_every = 10.0

        def client(number: int) -> None:
            rng = random.Random(number)
            next_runaway = time.monotonic() + (runaway_every * number / args.clients if number < 3 else 1e9)
            while time.monotonic() < stop_at:
                if time.monotonic() >= next_runaway:
                    query, expected, label = EXPLOSIVE, 503, "runaway"
                    next_runaway += runaway_every
                elif rng.random() < 0.1:
                    query, expected = rng.choice(BAD)
                    label = f"bad-{expected}"
                else:
                    query, expected, label = PROLOGUE + rng.choice(competency), 200, "competency"
                try:
                    status, _ = request(url, query)
                except OSError as error:
                    status = repr(error)
                with lock:
                    outcomes[(label, status)] += 1
                    if status != expected:
                        unexpected.append((label, status))

        def sampler() -> None:
            nonlocal rss_peak
            while time.monotonic() < stop_at:
                pids = tree(arbiter)
                seen_workers.update(pids[1:])
                rss_peak = max(rss_peak, rss_mb(pids))
                time.sleep(0.5)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        threads.append(threading.Thread(target=sampler))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(1)
        workers = tree(arbiter)[1:]
        before = {pid: cpu_ticks(pid) for pid in workers}
        final = [threading.Thread(target=lambda: request(url, PROLOGUE + competency[0])) for _ in range(40)]
        for thread in final:
            thread.start()
        for thread in final:
            thread.join()
        answering = sum(cpu_ticks(pid) > before[pid] for pid in workers)
        rss_end = rss_mb(tree(arbiter))
        total = sum(outcomes.values())
        print(f"{total} requests in {args.seconds:.0f} s from {args.clients} clients ({total / args.seconds:.0f} req/s)")
        for (label, status), count in sorted(outcomes.items(), key=str):
            print(f"  {label:<11} {status}: {count}")
        print(f"unexpected outcomes: {len(unexpected)} {unexpected[:5]}")
        print(f"server RSS MB: start {rss_start:.0f}, peak {rss_peak:.0f}, end {rss_end:.0f}")
        print(f"workers: {len(workers)} at the end, {len(seen_workers)} seen in all "
              f"({len(seen_workers) - args.workers} replaced after runaways); answering at the end: {answering}/{len(workers)}")
        sys.exit(1 if unexpected or answering < len(workers) else 0)
    finally:
        stop(process)


if __name__ == "__main__":
    main()
