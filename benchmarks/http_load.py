"""Bounded load test of `adekg serve` on 127.0.0.1: mixed clients, slow clients and runaway clients at once.

Usage: .venv/bin/python benchmarks/http_load.py [--seconds 60] [--clients 32] [--slow-headers 20] [--slow-readers 5]
                                                 [--runaways 8] [--workers 2] [--timeout 2]
Mixed clients (each from its own address, 127.0.1.x) send competency questions (expect 200) and bad queries (400/403); runaway clients
(each from its own address, 127.0.0.10+) send a query that never ends (503 at the timeout, or 429 once their
budget is spent); slow-header connections (127.0.0.30) send one header line every 5 s and finish their request at
the end (200), or get 408 when the front's --header-timeout (30 s) passes first; slow readers (127.0.2.x) read a 2.3 MB CSV result at 256 KB/s and compare it with its Content-Length
(200 with the whole body, or 503 when the query was stopped at the timeout; never a cut body).
Reports outcomes, unexpected ones (should be 0), p50/p99 of the good queries, and the peak resident memory summed
over every server process (RSS, and PSS which counts shared pages once).
"""
from __future__ import annotations

import argparse
import collections
import http.client
import random
import select
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from http_bench import PROLOGUE, WORK, descendants, seed_store, start, stop  # noqa: E402

EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LARGE = "SELECT * WHERE { ?s ?p ?o }"
REASON_CHARS = 25  # of a non-200 body, kept in the outcome's label
STOPPED = "503 " + "query stopped: it ran longer than"[:REASON_CHARS]  # a 503 at the timeout
HEADER_TIMEOUT = "408 " + "request headers not received within"[:REASON_CHARS]  # the front's --header-timeout
BAD = [("SELECT ?x WHERE {", 400), ("INSERT DATA { <a:a> <a:a> <a:a> }", 403),
       ("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403)]


def memory_mb(pids: list[int]) -> tuple[float, float]:
    """(RSS, PSS) of some processes summed, in MB."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024


def get(url: str, query: str, source: str, timeout: float = 60) -> tuple[int, float, str]:
    """(status, seconds, start of the body's reason) of one GET from a local address."""
    parts = urllib.parse.urlsplit(url)
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request("GET", parts.path + "?" + urllib.parse.urlencode({"query": query}),
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        body = response.read()
        return response.status, time.monotonic() - started, body[:REASON_CHARS].decode(errors="replace").strip()
    finally:
        connection.close()


def request_bytes(url: str, query: str, accept: str = "application/sparql-results+json") -> bytes:
    """The raw HTTP/1.1 GET of a query, Connection: close."""
    parts = urllib.parse.urlsplit(url)
    return (f"GET {parts.path}?{urllib.parse.urlencode({'query': query})} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Accept: {accept}\r\nConnection: close\r\n").encode()


def read_response(connection: socket.socket, pace: float | None = None) -> tuple[int | str, bool]:
    """(status, whether the body is as long as its Content-Length) of a response, read at `pace` bytes/s.

    A status other than 200 comes with the start of the body's reason.
    """
    received = b""
    while chunk := connection.recv(65536 if pace is None else 16384):
        received += chunk
        if pace:
            time.sleep(len(chunk) / pace)
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), None)
    return (status if status == 200 else f"{status} {body[:REASON_CHARS].decode(errors='replace')}"), length == len(body)


def main() -> None:
    """Run the load, then print the figures; exit 1 if any outcome was unexpected."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--seconds", type=float, default=60)
    options.add_argument("--clients", type=int, default=32)
    options.add_argument("--slow-headers", type=int, default=20)
    options.add_argument("--slow-readers", type=int, default=5)
    options.add_argument("--runaways", type=int, default=8)
    options.add_argument("--workers", type=int, default=2)
    options.add_argument("--timeout", type=float, default=2)
    args = options.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    store = seed_store()
    competency = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").glob("cq-*.rq"))]
    process, url = start("adekg+cache", store, args.workers, "--timeout", str(args.timeout))
    parts = urllib.parse.urlsplit(url)
    try:
        rss_start, pss_start = memory_mb(descendants(process.pid))
        peak = [0.0, 0.0]
        outcomes, unexpected, good, lock = collections.Counter(), [], [], threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def record(label: str, status, expected: tuple, seconds: float | None = None) -> None:
            with lock:
                outcomes[(label, status)] += 1
                if status not in expected:
                    unexpected.append((label, status))
                elif seconds is not None and label == "competency":
                    good.append(seconds)

        def mixed(number: int) -> None:
            rng = random.Random(number)
            while time.monotonic() < stop_at:
                if rng.random() < 0.1:
                    query, expected = rng.choice(BAD)
                    label = f"bad-{expected}"
                else:
                    query, expected, label = PROLOGUE + rng.choice(competency), 200, "competency"
                try:
                    status, seconds, reason = get(url, query, f"127.0.1.{1 + number}")
                except OSError as error:
                    status, seconds, reason = repr(error), None, ""
                record(label, status if status == expected else f"{status} {reason}", (expected,), seconds)

        def runaway(number: int) -> None:
            while time.monotonic() < stop_at:
                try:
                    status, _, _ = get(url, EXPLOSIVE, f"127.0.0.{10 + number}")
                except OSError as error:
                    status = repr(error)
                record("runaway", status, (503, 429))
                if status == 429:
                    time.sleep(1)

        def slow_header(number: int) -> None:
            try:
                with socket.create_connection((parts.hostname, parts.port), source_address=("127.0.0.30", 0)) as sock:
                    sock.sendall(request_bytes(url, "ASK {}"))
                    answered = False
                    while time.monotonic() < stop_at and not answered:
                        time.sleep(min(5, max(0, stop_at - time.monotonic())))
                        answered = bool(select.select([sock], [], [], 0)[0])  # the front's 408 at --header-timeout
                        if not answered:
                            sock.sendall(b"X-Slow: 1\r\n")
                    if not answered:
                        sock.sendall(b"\r\n")
                    sock.settimeout(30)
                    status, complete = read_response(sock)
                record("slow-header", status if complete else f"{status} cut", (200, HEADER_TIMEOUT))
            except OSError as error:
                record("slow-header", repr(error), (200, HEADER_TIMEOUT))

        def slow_reader(number: int) -> None:
            while time.monotonic() < stop_at:
                try:
                    with socket.create_connection((parts.hostname, parts.port),
                                                  source_address=(f"127.0.2.{1 + number}", 0)) as sock:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                        sock.sendall(request_bytes(url, LARGE, "text/csv") + b"\r\n")
                        status, complete = read_response(sock, pace=256_000)
                    # a 503 at the timeout is an answer (the machine is overloaded), a cut body never is
                    record("slow-reader", status if complete else f"{status} cut", (200, STOPPED))
                except OSError as error:
                    record("slow-reader", repr(error), (200,))

        def sampler() -> None:
            while time.monotonic() < stop_at:
                rss, pss = memory_mb(descendants(process.pid))
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                time.sleep(0.25)

        threads = [threading.Thread(target=mixed, args=(n,)) for n in range(args.clients)]
        threads += [threading.Thread(target=runaway, args=(n,)) for n in range(args.runaways)]
        threads += [threading.Thread(target=slow_header, args=(n,)) for n in range(args.slow_headers)]
        threads += [threading.Thread(target=slow_reader, args=(n,)) for n in range(args.slow_readers)]
        threads.append(threading.Thread(target=sampler))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = [get(url, PROLOGUE + competency[0], "127.0.0.1")[0] for _ in range(20)]
        rss_end, pss_end = memory_mb(descendants(process.pid))
        total = sum(outcomes.values())
        good.sort()
        print(f"{total} requests in {args.seconds:.0f} s: {args.clients} mixed clients, {args.runaways} runaway "
              f"clients, {args.slow_headers} slow-header and {args.slow_readers} slow-reader connections")
        for (label, status), count in sorted(outcomes.items(), key=str):
            print(f"  {label:<12} {status}: {count}")
        print(f"unexpected outcomes: {len(unexpected)} {unexpected[:5]}")
        if good:
            print(f"good queries: {len(good)}, p50 {1000 * good[len(good) // 2]:.0f} ms, "
                  f"p99 {1000 * good[int(len(good) * 0.99)]:.0f} ms, max {1000 * good[-1]:.0f} ms")
        print(f"server memory MB (all processes): RSS start {rss_start:.0f}, peak {peak[0]:.0f}, end {rss_end:.0f}; "
              f"PSS start {pss_start:.0f}, peak {peak[1]:.0f}, end {pss_end:.0f}")
        print(f"after the load: {final.count(200)}/20 answered 200; {len(descendants(process.pid))} server processes")
        sys.exit(1 if unexpected or final.count(200) < 20 else 0)
    finally:
        stop(process)


if __name__ == "__main__":
    main()
