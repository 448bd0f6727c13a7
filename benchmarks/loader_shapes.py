"""How pyoxigraph's bulk loader costs CPU and memory depending on how the same triples are handed to it.

Why the FAERS import (graph/faers_import.py) costs more CPU than one bare `bulk_load` of its triples: each way of
loading runs in its own process (CPU and peak RSS from wait4), on the same N-Triples file, into the same named graph
of an empty store, and `optimize` (the compaction the import ends with) is timed after each in another process.

    benchmarks/loader_shapes.py QUARTER.nt --work DIR [--shapes floor import separate reader-1cpu chunks:1000000]

- floor: one bare `bulk_load(path=...)` (what benchmarks/faers.py calls the floor);
- import: graph.faers_import.write_graph, the import's own chunked loading (250,000 triples per call);
- chunks:N: the same with N triples per call;
- separate: each 250,000-triple chunk into its own empty store (no chunk overlaps another: no compaction);
- reader-1cpu: one `bulk_load` reading a file object, the process pinned to one CPU (one loader thread).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GRAPH = "https://w3id.org/adekg/graph/faers/loader-shapes"


def lines_of(path: Path):
    """The file's N-Triples lines split back into (subject, predicate, object) term strings."""
    with path.open("r", encoding="utf-8") as stream:
        for line in stream:
            subject, predicate, rest = line.split(" ", 2)
            yield subject, predicate, rest.rstrip("\n")[:-2]


def load(shape: str, source: Path, target: Path) -> None:
    """Load `source` into `target` one way (runs in the child process)."""
    from pyoxigraph import NamedNode, RdfFormat, Store
    from graph import faers_import

    graph = NamedNode(GRAPH)
    if shape == "floor":
        store = Store(str(target))
        store.bulk_load(path=str(source), format=RdfFormat.N_TRIPLES, to_graph=graph)
    elif shape == "reader-1cpu":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # Rust's available_parallelism follows it
        store = Store(str(target))
        with source.open("rb") as stream:
            store.bulk_load(stream, RdfFormat.N_TRIPLES, to_graph=graph)
    elif shape == "import" or shape.startswith("chunks:"):
        size = faers_import.CHUNK_TRIPLES if shape == "import" else int(shape.split(":")[1])
        faers_import.CHUNK_TRIPLES = size
        store = Store(str(target))
        faers_import.write_graph(store, GRAPH, lines_of(source))
    elif shape == "separate":
        triples = lines_of(source)
        for number in itertools.count():
            chunk = list(itertools.islice(triples, faers_import.CHUNK_TRIPLES))
            if not chunk:
                return
            store = Store(str(target / str(number)))
            faers_import.write_graph(store, GRAPH, chunk)
            store.flush()
            del store
        return
    elif shape == "optimize":
        store = Store(str(target))
        store.optimize()
    else:
        raise SystemExit(f"unknown shape {shape!r}")
    store.flush()


def measured(shape: str, source: Path, target: Path) -> dict:
    """Run one shape in a child process; its wall, CPU (incl. RocksDB's threads), peak RSS and store size."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", shape, str(source), str(target)])
    _, status, usage = os.wait4(child.pid, 0)
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) if target.exists() else 0
    return {"shape": shape, "status": status, "wall_s": round(time.perf_counter() - started, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "peak_mib": usage.ru_maxrss // 1024,
            "store_mib": round(size / 2 ** 20), "load": round(os.getloadavg()[0], 1)}


def main() -> None:
    """Measure each shape (then `optimize` of its store) and print one JSON line per step."""
    if sys.argv[1:2] == ["--child"]:
        load(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="an N-Triples file (e.g. the bulk floor's quarter.nt)")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder for the stores (emptied)")
    parser.add_argument("--shapes", nargs="+", default=["floor", "import", "separate", "reader-1cpu"])
    args = parser.parse_args()
    print(json.dumps({"machine": f"{os.cpu_count()} cores", "source_mib": round(args.source.stat().st_size / 2 ** 20)}))
    for shape in args.shapes:
        target = args.work / shape.replace(":", "-")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        figures = measured(shape, args.source, target)
        print(json.dumps(figures), flush=True)
        if figures["status"]:
            raise SystemExit(f"{shape} failed")
        if shape != "separate":
            print(json.dumps(measured("optimize", args.source, target)), flush=True)
        shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    main()
