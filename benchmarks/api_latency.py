"""First-request latency of the /api/ documents under `adekg serve` (target: under 200 ms each).

Usage: .venv/bin/python benchmarks/api_latency.py [--store PATH] [--runs 5] [--reason]
Without --store, builds the seeds into a scratch store (without reasoning unless --reason). Each run starts a fresh
`adekg serve --workers 1` (setsid, 127.0.0.1, free port), waits until /sparql answers, then times the first
GET of each /api/ document (nothing of it cached in the worker) and a second GET (the worker's cache). Prints
the median and worst of the runs, the CPU time the workers spent on the first request (read from /proc: what the
request costs on an idle machine) and the load average, which dominates wall time on a shared machine.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from graph.build import Progress, build  # noqa: E402
from http_bench import descendants  # noqa: E402

PATHS = ["/api/case/000", "/api/drug/ixazomib"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def timed_get(url: str) -> tuple[float, int]:
    """Seconds for one complete GET, and the body's size."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        size = len(response.read())
    return time.perf_counter() - started, size


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu(server: int) -> float:
    """CPU seconds used so far by the query workers (the children of the fork server) of a server."""
    total = 0.0
    for pid in descendants(server):
        try:
            if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += sum(cpu_seconds(child) for child in descendants(pid) if child != pid)
        except OSError:
            pass
    return total


def one_run(store: Path) -> dict[str, tuple[float, float, int, float]]:
    """(first, second, bytes, CPU seconds of the first) per path against a freshly started server."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "graph.cli", "-q", "serve", "--store", str(store),
                               "--port", str(port), "--workers", "1"], cwd=ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/sparql?query=ASK%7B%7D", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("adekg serve did not start") from None
                time.sleep(0.1)
        results = {}
        for path in PATHS:
            cpu_before = workers_cpu(server.pid)
            first, size = timed_get(base + path)
            cpu = workers_cpu(server.pid) - cpu_before
            second, _ = timed_get(base + path)
            results[path] = (first, second, size, cpu)
        return results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--store", type=Path)
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--reason", action="store_true", help="build with reasoning when no --store is given")
    args = options.parse_args()
    store = args.store
    if store is None:
        store = Path(tempfile.mkdtemp(prefix="adekg-api-bench-")) / "store"
        build(store, ROOT / "seeds", ROOT / "ontology", Progress(0), reasoning=args.reason)
    runs = [one_run(store) for _ in range(args.runs)]
    print(f"store {store}; {args.runs} fresh servers; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'document':<22}{'first median':>14}{'first worst':>13}{'worker CPU':>12}{'cached median':>15}{'bytes':>10}")
    for path in PATHS:
        firsts = [run[path][0] * 1000 for run in runs]
        seconds = [run[path][1] * 1000 for run in runs]
        cpu = [run[path][3] * 1000 for run in runs]
        print(f"{path:<22}{statistics.median(firsts):>11.0f} ms{max(firsts):>10.0f} ms{statistics.median(cpu):>9.0f} ms"
              f"{statistics.median(seconds):>12.1f} ms{runs[0][path][2]:>10}")
    print("worker CPU: CPU time the worker spent on the first request (what it costs without other load; 10 ms ticks)")


if __name__ == "__main__":
    main()
