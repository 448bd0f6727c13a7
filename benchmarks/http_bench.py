"""HTTP benchmark: `adekg serve` vs a minimal Flask+pyoxigraph app vs Oxigraph's own server vs in-process pyoxigraph.

Usage: .venv/bin/python benchmarks/http_bench.py [--cases 10000] [--seconds 8] [--clients 8] [--workers 2] [--rounds 3]
Needs the `oxigraph` CLI and gunicorn (pip install -e '.[bench]'). Every server is started the same way (under setsid,
127.0.0.1, free port, same worker count where it has one: adekg's --workers is the number kept running, its pool
may grow on demand; the minimal app runs under gunicorn sync workers); per workload all of them run side by side and are
measured in alternating rounds (the median round is kept), then killed. Prints a table and ratios: of throughput,
and of the servers' CPU time per request (read from /proc for each server's session), which the load of other
processes on a shared machine distorts far less than throughput.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from pyoxigraph import NamedNode, Quad, QueryResultsFormat, Store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from graph.build import Progress, build  # noqa: E402
from graph.store import current_generation, migrate_legacy  # noqa: E402
from graph.terms import PREFIXES  # noqa: E402

WORK = Path(os.environ.get("ADEKG_BENCH_DIR", "/tmp/adekg-bench"))
DATA = "https://w3id.org/adekg/data/"
PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
# Case-level nodes replicated per synthetic case (quotes, claims, references and lab observations are left out).
KEEP = {"patient", "condition", "exposure", "event", "outcome", "intervention", "dechallenge", "rechallenge",
        "regimen", "alternative-cause", "cytogenetic", ""}
SYNTHETIC = {
    "lookup": "SELECT ?age WHERE { <" + DATA + "00{d}-r{i}/patient> ade:ageInYears ?age }",
    "1-hop": "SELECT ?exposure ?drug WHERE { <" + DATA + "00{d}-r{i}/patient> ade:hasExposure ?exposure . "
             "?exposure ade:drug ?drug }",
    "aggregate": "SELECT ?drug (COUNT(*) AS ?exposures) WHERE { ?exposure ade:drug ?drug } "
                 "GROUP BY ?drug ORDER BY DESC(?exposures) ?drug",
}


def seed_store() -> Path:
    """The project's store, built once into the work folder."""
    path = WORK / "seed" / "store"
    if not path.exists():
        build(path, ROOT / "seeds", ROOT / "ontology", Progress(0))
    return current_generation(path)  # its pyoxigraph folder, which every server here can open


def synthetic_store(seed: Path, cases: int) -> Path:
    """~`cases` case reports: the three seed cases' case-level nodes replicated under fresh IRIs, plus the ontology."""
    path = WORK / f"synthetic-{cases}"
    if (path / "done").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    source = Store.read_only(str(seed))
    kept, ontology = [], []
    for quad in source.quads_for_pattern(None, None, None, None):
        graph = quad.graph_name.value
        if "/graph/source/" in graph:
            subject = quad.subject.value if isinstance(quad.subject, NamedNode) else ""
            parts = subject.removeprefix(DATA).split("/")
            if subject.startswith(DATA) and (parts[1] if len(parts) > 1 else "") in KEEP:
                kept.append(quad)
        elif graph.endswith("/graph/ontology"):
            ontology.append(quad)
    graph = NamedNode("https://w3id.org/adekg/graph/synthetic")

    def rename(term, replica):
        if isinstance(term, NamedNode) and term.value.startswith(DATA) and term.value[len(DATA):len(DATA) + 3].isdigit():
            rest = term.value[len(DATA) + 3:]
            return NamedNode(f"{DATA}{term.value[len(DATA):len(DATA) + 3]}-r{replica}{rest}")
        return term

    def quads():
        yield from ontology
        for replica in range((cases + 2) // 3):
            for quad in kept:
                yield Quad(rename(quad.subject, replica), quad.predicate, rename(quad.object, replica), graph)
    path.mkdir(parents=True)
    store = Store(str(path / "store"))
    store.bulk_extend(quads())
    store.flush()
    store.optimize()
    del store
    migrate_legacy(path / "store")  # the layout `adekg serve` opens (it would move a bare folder itself)
    (path / "done").write_text("ok")
    return path


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(kind: str, store: Path, workers: int, *flags: str, before: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start one server under setsid on a free port and wait until it answers; return (process, query URL)."""
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    cwd = ROOT
    if kind == "adekg@before":  # the same command run from another checkout (`python -m` imports from there)
        command = [sys.executable, "-m", "graph.cli", "-q", "serve", "--store", str(store), "--port", str(port),
                   "--workers", str(workers), "--timeout", "30", "--cache", "0"]
        url, cwd = f"http://127.0.0.1:{port}/sparql", before
    elif kind == "adekg":
        command = [sys.executable, "-m", "graph.cli", "-q", "serve", "--store", str(store), "--port", str(port),
                   "--workers", str(workers), "--timeout", "30", "--cache", "0"]
        url = f"http://127.0.0.1:{port}/sparql"
    elif kind == "adekg+cache":
        command = [sys.executable, "-m", "graph.cli", "-q", "serve", "--store", str(store), "--port", str(port),
                   "--workers", str(workers), "--timeout", "30", *flags]
        url = f"http://127.0.0.1:{port}/sparql"
    elif kind == "flask-minimal":
        command = [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60",
                   "--chdir", str(ROOT / "benchmarks"), f"http_minimal_app:create_app({str(store)!r})"]
        url = f"http://127.0.0.1:{port}/sparql"
    else:
        command = [str(Path(sys.executable).parent / "oxigraph"), "serve-read-only", "--location", str(store),
                   "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
        url = f"http://127.0.0.1:{port}/query"
    process = subprocess.Popen(command, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600  # a worker opening a 10^6-report store takes a while
    while time.monotonic() < deadline:
        try:
            if request(url, "ASK {}")[0] == 200:
                settle(process.pid)
                return process, url
        except OSError:
            pass
        time.sleep(0.1)  # also after an answer other than 200 (503 while no worker is ready)
    stop(process)
    raise RuntimeError(f"{kind} did not start within 600 s")


def descendants(root: int) -> list[int]:
    """A process and all its descendants (children started by any of their threads)."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def settle(root: int) -> None:
    """Wait until a server's processes stop using CPU (every worker has finished booting)."""
    def ticks() -> int:
        total = 0
        for pid in descendants(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total
    previous = -1
    while (current := ticks()) != previous:
        previous = current
        time.sleep(0.5)


def stop(process: subprocess.Popen) -> None:
    """Kill a server's whole process group."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def request(url: str, query: str) -> tuple[int, int]:
    """One GET with a JSON Accept and Connection: close; (status, body length)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", parts.path + "?" + urllib.parse.urlencode({"query": query}),
                           headers={"Accept": "application/sparql-results+json", "Connection": "close"})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def client_process(url: str, queries: list[str], threads: int, seconds: float, out) -> None:
    """Run `threads` closed-loop clients for some seconds; send back latencies and error count."""
    latencies, errors, stop_at = [], [0], time.monotonic() + seconds
    rng = random.Random(os.getpid())

    def loop():
        while time.monotonic() < stop_at:
            query = rng.choice(queries).replace("{i}", str(rng.randrange(3000))).replace("{d}", str(rng.randrange(3)))
            started = time.perf_counter()
            try:
                status, _ = request(url, PROLOGUE + query)
            except OSError:
                status = 0
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors[0] += 1
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((latencies, errors[0]))


def session_cpu(session: int) -> float:
    """CPU seconds used so far by the processes of a session (a server started under setsid) and their reaped children."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields after the name: state ppid pgrp session ...; utime is the 12th
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def load(url: str, queries: list[str], clients: int, seconds: float, server: int | None = None) -> dict:
    """Closed-loop load from two client processes; p50/p99 latency (ms), throughput (requests/s) and, given the
    server's session, its CPU milliseconds per request (what the load of other processes does not change)."""
    cpu_before = session_cpu(server) if server else 0.0
    out = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=client_process, args=(url, queries, clients // 2, seconds, out))
                 for _ in range(2)]
    for process in processes:
        process.start()
    results = [out.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(value for values, _ in results for value in values)
    cpu = 1000 * (session_cpu(server) - cpu_before) / len(latencies) if server else float("nan")
    return {"p50": 1000 * latencies[len(latencies) // 2], "p99": 1000 * latencies[int(len(latencies) * 0.99)],
            "rps": len(latencies) / seconds, "errors": sum(errors for _, errors in results), "cpu_ms": cpu}


def warm_page_cache(store_path: Path) -> None:
    """Read every file of a store once, so no target pays for cold disk reads (the first one measured would)."""
    for path in store_path.rglob("*"):
        if path.is_file():
            with open(path, "rb") as data:
                while data.read(1 << 24):
                    pass


def in_process(store_path: Path, queries: list[str], seconds: float) -> dict:
    """The same queries evaluated and serialised to SPARQL JSON in this process, one thread."""
    store, rng = Store.read_only(str(store_path)), random.Random(1)
    latencies, stop_at = [], time.monotonic() + seconds
    while time.monotonic() < stop_at:
        query = rng.choice(queries).replace("{i}", str(rng.randrange(3000))).replace("{d}", str(rng.randrange(3)))
        started = time.perf_counter()
        store.query(PROLOGUE + query, use_default_graph_as_union=True).serialize(format=QueryResultsFormat.JSON)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {"p50": 1000 * latencies[len(latencies) // 2], "p99": 1000 * latencies[int(len(latencies) * 0.99)],
            "rps": len(latencies) / seconds, "errors": 0}


def overhead(store_path: Path, rounds: int = 2000) -> dict:
    """Per-request cost of a query worker's answer vs the minimal app's, in-process, for a request as the front reads it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from http_minimal_app import create_app as minimal
    from server import create_app
    from server.worker import respond, wsgi_environ
    query = PROLOGUE + SYNTHETIC["lookup"].replace("{i}", "7").replace("{d}", "1")
    request = {"method": "GET", "path": b"/sparql", "query_string": urllib.parse.urlencode({"query": query}).encode(),
               "headers": [(b"host", b"127.0.0.1:5000"), (b"accept", b"application/sparql-results+json"),
                           (b"connection", b"close")], "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 5000),
               "scheme": "http", "http_version": "1.1", "body": b""}
    adekg = create_app(store=Store.read_only(str(store_path)), config={"ADEKG_CACHE_ENTRIES": 0})
    baseline = minimal(str(store_path))
    # What a query worker runs per request (the front's reading, hand-over and writing come on top: see HTTP figures).
    targets = {"minimal": lambda: b"".join(baseline(wsgi_environ(request), lambda status, headers, exc_info=None: None)),
               "adekg query worker": lambda: respond(adekg, request, "/tmp", 1 << 20)}
    timings = {name: [] for name in targets}
    for _ in range(7):  # alternate rounds, keep the best of each
        for name, call in targets.items():
            started = time.perf_counter()
            for _ in range(rounds):
                call()
            timings[name].append(1e6 * (time.perf_counter() - started) / rounds)
    best = {name: round(min(values), 1) for name, values in timings.items()}
    return {**best, **{f"{name} - minimal": round(value - best["minimal"], 1) for name, value in best.items()
                       if name != "minimal"}}


def main() -> None:
    """Run every workload against every server and print the figures and ratios."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--cases", type=int, default=10_000)
    options.add_argument("--seconds", type=float, default=8)
    options.add_argument("--clients", type=int, default=8)
    options.add_argument("--workers", type=int, default=2)
    options.add_argument("--rounds", type=int, default=3, help="measuring rounds per server, alternated; median kept")
    options.add_argument("--before", type=Path, help="another checkout of adekg to measure side by side (adekg@before)")
    args = options.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    seed = seed_store()
    started = time.monotonic()
    synthetic = current_generation(synthetic_store(seed, args.cases) / "store")  # a folder every server can open
    print(f"synthetic store: {len(Store.read_only(str(synthetic)))} quads ({time.monotonic() - started:.0f} s)")
    competency = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").glob("cq-*.rq"))]
    workloads = {"competency": (seed, competency)}
    workloads.update({name: (synthetic, [query]) for name, query in SYNTHETIC.items()})
    print(json.dumps({"per_request_in_process_us": overhead(synthetic)}))
    table = {}
    for workload, (store, queries) in workloads.items():
        warm_page_cache(store)
        table[(workload, "in-process")] = in_process(store, queries, args.seconds / 2)
        kinds = ["adekg", "flask-minimal", "oxigraph"] + (["adekg@before"] if args.before else []) \
            + (["adekg+cache"] if workload == "aggregate" else [])
        servers = {}
        try:
            for kind in kinds:
                servers[kind] = start(kind, store, args.workers, before=args.before)
            for kind in kinds:
                load(servers[kind][1], queries, args.clients, 1)  # warm-up
            rounds = {kind: [] for kind in kinds}
            for number in range(args.rounds):  # alternate the servers, rotating who goes first
                for kind in kinds[number % len(kinds):] + kinds[:number % len(kinds)]:
                    rounds[kind].append(load(servers[kind][1], queries, args.clients, args.seconds,
                                             servers[kind][0].pid))
            for kind in kinds:
                table[(workload, kind)] = sorted(rounds[kind], key=lambda row: row["rps"])[len(rounds[kind]) // 2]
                print(f"{time.strftime('%H:%M:%S')} {workload} {kind} rounds (req/s): "
                      f"{[round(row['rps']) for row in rounds[kind]]}, server CPU ms/request: "
                      f"{[round(row['cpu_ms'], 2) for row in rounds[kind]]}, load {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            for process, _ in servers.values():
                stop(process)
    print(f"\n{'workload':<11} {'target':<14} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6} {'CPU ms/req':>10}")
    for (workload, kind), row in table.items():
        print(f"{workload:<11} {kind:<14} {row['p50']:8.2f} {row['p99']:8.2f} {row['rps']:8.0f} {row['errors']:6d} "
              f"{row.get('cpu_ms', float('nan')):10.2f}")
    print("\nratios (throughput): adekg / flask-minimal, adekg / oxigraph" + (", adekg@before / flask-minimal"
                                                                          if args.before else ""))
    for workload in workloads:
        adekg, minimal = table[(workload, "adekg")]["rps"], table[(workload, "flask-minimal")]["rps"]
        before = f"  {table[(workload, 'adekg@before')]['rps'] / minimal:.2f}" if args.before else ""
        print(f"{workload:<11} {adekg / minimal:.2f}  {adekg / table[(workload, 'oxigraph')]['rps']:.2f}{before}")
    print("\nratios (server CPU per request, the minimal app's / adekg's: above 1, adekg needs less CPU per request; "
          "the median round's figures" + (", then adekg@before's" if args.before else "") + ")")
    for workload in workloads:
        minimal = table[(workload, "flask-minimal")]["cpu_ms"]
        before = f"  {minimal / table[(workload, 'adekg@before')]['cpu_ms']:.2f}" if args.before else ""
        print(f"{workload:<11} {minimal / table[(workload, 'adekg')]['cpu_ms']:.2f}{before}")


if __name__ == "__main__":
    main()
