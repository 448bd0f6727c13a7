"""FAERS at scale, per extract size: import time and peak memory, store size, signal time, HTTP latency, and floors.

Run on demand:  .venv/bin/python benchmarks/faers.py --sizes 1000 10000 100000
The seeds are built once (with reasoning, so the drug classes exist); per size, on a copy of that store:
  - synth-faers, then `import-faers --no-signals` in a subprocess (wall time, peak RSS of that process from wait4);
  - floor: a bare pyoxigraph bulk_load of the same quarter graph's triples (exported as N-Triples) into the same
    named graph of an empty store;
  - `adekg signals` and its floor, alternating, --repeat times each (best kept): the floor is a separate Python
    process too (start-up and imports included, as for the command) that builds the same contingency table straight
    from the extract's DEMO, DRUG and REAC files with pandas (latest case versions, deleted cases dropped, suspect
    roles, the same drug names mapped to the same ontology drugs and drug classes, given to it as a lookup table made
    beforehand) and makes exactly the same vigipy/scipy calls (graph.signals.statistics);
  - the size of the store's current generation;
  - `adekg serve` on the store: p50/p99 of the competency questions (queries/*.rq with expected results) and of the
    signal queries (benchmarks/faers-queries/*.rq), each asked --rounds times one after the other; the seeds-only
    store is measured just before, with the same query files, for the ratio of the competency questions' p50.
Stages (--stages, run in that order): import (with synth-faers), signals (with its floor), http, floors (the bulk_load
floor, last: at 10^6 it is the longest). With --work, each finished stage's figures are kept in figures-N.json there
and a second run on that folder goes on from the first stage not finished (a complete extract is reused), e.g.
  .venv/bin/python benchmarks/faers.py --sizes 1000000 --work /tmp/faers1m/work --stages import signals http
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics as stats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
QUESTIONS = sorted(path for path in (ROOT / "queries").glob("*.rq") if path.with_suffix(".expected.tsv").is_file())
SIGNAL_QUERIES = sorted((HERE / "faers-queries").glob("*.rq"))
SUSPECT_ROLES = ["PS", "SS", "I"]


def timed(command: list[str]) -> tuple[float, int]:
    """Run a command; return its wall seconds and its peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed ({os.waitstatus_to_exitcode(status)})")
    return time.perf_counter() - started, usage.ru_maxrss // 1024


def adekg(*args: str) -> tuple[float, int]:
    """Run the CLI in a subprocess; return its wall seconds and peak RSS in MiB."""
    return timed([sys.executable, "-m", "graph.cli", "-q", *args])


def folder_mib(folder: Path) -> float:
    """Disk use of a folder in MiB (hard-linked files counted once)."""
    seen, total = set(), 0
    for path in folder.rglob("*"):
        stat = path.stat()
        if path.is_file() and stat.st_ino not in seen:
            seen.add(stat.st_ino)
            total += stat.st_size
    return total / 2**20


def bulk_floor(store_path: Path, quarter: str, scratch: Path) -> float:
    """Seconds for a bare pyoxigraph bulk_load of the quarter graph's triples into the same named graph of an empty store.

    Into the named graph, as the import writes them: a named graph has six indexes to the default graph's three,
    and loading into the default graph takes about 1.7x less time (measured at 10^4 reports).
    """
    from pyoxigraph import NamedNode, RdfFormat, Store

    from graph.store import open_store
    graph = NamedNode(f"https://w3id.org/adekg/graph/faers/{quarter}")
    dump = scratch / "quarter.nt"
    open_store(store_path).dump(str(dump), format=RdfFormat.N_TRIPLES, from_graph=graph)
    started = time.perf_counter()
    store = Store(str(scratch / "floor"))
    store.bulk_load(path=str(dump), format=RdfFormat.N_TRIPLES, to_graph=graph)
    store.flush()
    return time.perf_counter() - started


def product_lookup(store_path: Path, extract: Path, target: Path) -> None:
    """The floor's lookup table: each (prod_ai, drugname) of the DRUG file -> the ontology drugs and classes it names."""
    import pandas as pd

    from graph.faers_import import drug_index
    from graph.signals import drug_classes
    from graph.store import open_store
    store = open_store(store_path)
    index, classes = drug_index(store), drug_classes(store)
    drug = pd.read_csv(next((extract / "ASCII").glob("DRUG*.txt")), sep="$", usecols=["prod_ai", "drugname"],
                       dtype=str, keep_default_na=False, on_bad_lines="skip", encoding="latin-1").drop_duplicates()
    lookup = {}
    for prod_ai, name in zip(drug["prod_ai"], drug["drugname"]):
        drugs = index.drugs_named(prod_ai, name)
        if drugs:
            lookup[f"{prod_ai}\t{name}"] = list(dict.fromkeys([*drugs, *(c for d in drugs for c in sorted(classes.get(d, ())))]))
    target.write_text(json.dumps(lookup), encoding="utf-8")


def signal_floor(extract: Path, lookup_file: Path) -> None:
    """(Run in its own process.) pandas counts from the files, then the signal stage's own statistics; print sizes."""
    import pandas as pd

    from graph.signals import Thresholds, statistics
    from graph.signals_tally import Counts

    lookup = json.loads(lookup_file.read_text(encoding="utf-8"))
    ascii_dir = extract / "ASCII"

    def table(name: str, columns: list[str]):
        return pd.read_csv(next(ascii_dir.glob(f"{name}*.txt")), sep="$", usecols=columns, dtype=str,
                           keep_default_na=False, on_bad_lines="skip", encoding="latin-1")

    deleted = set()
    for path in extract.rglob("DELETE*.txt"):
        deleted |= {line.strip().rstrip("$") for line in path.read_text(encoding="latin-1").splitlines()}
    demo = table("DEMO", ["primaryid", "caseid", "caseversion"])
    demo = demo[~demo["caseid"].isin(deleted)].assign(
        version=pd.to_numeric(demo["caseversion"], errors="coerce"), primary=pd.to_numeric(demo["primaryid"], errors="coerce"))
    latest = set(demo.dropna().sort_values(["version", "primary"]).drop_duplicates("caseid", keep="last")["primaryid"])
    drug = table("DRUG", ["primaryid", "role_cod", "prod_ai", "drugname"])
    drug = drug[drug["role_cod"].str.upper().isin(SUSPECT_ROLES) & drug["primaryid"].isin(latest)]
    drug = (drug.assign(product=(drug["prod_ai"] + "\t" + drug["drugname"]).map(lookup)).explode("product")
            .dropna(subset=["product"])[["primaryid", "product"]].drop_duplicates())
    reac = table("REAC", ["primaryid", "pt"])
    reac = reac[reac["primaryid"].isin(latest)].drop_duplicates()
    pairs = drug.merge(reac, on="primaryid").groupby(["product", "pt"]).size()
    counts = Counts(total=len(latest), per_product=Counter(drug.groupby("product").size().to_dict()),
                    per_reaction=Counter(reac.groupby("pt").size().to_dict()), per_pair=Counter(pairs.to_dict()))
    result = statistics(counts, Thresholds())
    print(json.dumps({"reports": counts.total, "pairs": len(counts.per_pair), "stored": len(result)}))


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(latencies)
    return 1000 * stats.median(ordered), 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def http_latency(store_path: Path, rounds: int) -> dict:
    """p50/p99 (ms) of the competency questions and the signal queries through `adekg serve` on the store."""
    sys.path.insert(0, str(HERE))
    from http_bench import stop

    from graph.store import current_generation
    server, url = serve(str(current_generation(store_path)))  # its pyoxigraph folder, as benchmarks/http_bench.py
    try:
        return latencies(url, rounds)
    finally:
        stop(server)


def serve(store: str) -> tuple[subprocess.Popen, str]:
    """`adekg serve --store STORE` (a folder or a URL) with no result cache, once it answers (benchmarks/http_bench.py)."""
    sys.path.insert(0, str(HERE))
    from http_bench import start
    return start("adekg+cache", store, 2, "--cache", "0")  # a str store: a URL stays a URL


def latencies(url: str, rounds: int) -> dict:
    """p50/p99 (ms) and failures of the competency questions and the signal queries at a SPARQL endpoint."""
    sys.path.insert(0, str(HERE))
    from http_bench import PROLOGUE, request
    figures = {}
    for name, files in (("cq", QUESTIONS), ("signal_q", SIGNAL_QUERIES)):
        # as a client would send them: with the project's prefixes (the competency tests add them too)
        queries = [PROLOGUE + path.read_text(encoding="utf-8") for path in files]
        times, failures = [], 0
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                status, _ = request(url, query)
                times.append(time.perf_counter() - started)
                failures += status != 200
        figures[f"{name}_p50"], figures[f"{name}_p99"] = percentiles(times)
        figures[f"{name}_failed"] = failures
    return figures


def virtuoso_run(size: int, extract: Path, work: Path, rounds: int) -> dict:
    """Build the seeds and import the extract into a fresh Virtuoso on 127.0.0.1 (as tests/test_virtuoso.py starts
    it); time both, and the queries asked of Virtuoso directly and through `adekg serve --store URL`."""
    from tests.test_virtuoso import GRANTS, INI, ISQL, VIRTUOSO, free_port
    sys.path.insert(0, str(HERE))
    from http_bench import request, stop
    folder = work / f"virtuoso-{size}"
    folder.mkdir()
    sql_port, http_port = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen([VIRTUOSO, "-f", "-c", str(folder / "virtuoso.ini")], cwd=folder, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}/sparql"
    try:
        for _ in range(600):
            try:
                if request(url, "ASK {}")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={GRANTS}"], check=True, capture_output=True,
                       timeout=60)
        figures = {"v_build_s": adekg("build", "--store", url)[0]}
        figures["v_import_s"], figures["v_import_peak_mib"] = adekg("import-faers", str(extract), "--store", url)
        figures.update({f"v_direct_{key}": value for key, value in latencies(url, rounds).items()})
        server, served = serve(url)
        try:
            figures.update({f"v_served_{key}": value for key, value in latencies(served, rounds).items()})
        finally:
            stop(server)
        return figures
    finally:
        os.killpg(process.pid, 9)
        process.wait()


def signal_runs(store: Path, extract: Path, lookup: Path, repeat: int) -> dict:
    """`adekg signals` and its floor, alternating, `repeat` times each; the best of each and the floor's sizes."""
    ours, floors, peaks, sizes = [], [], [], {}
    for _ in range(repeat):
        seconds, peak = adekg("signals", "--store", str(store))
        ours.append(seconds)
        peaks.append(peak)
        started = time.perf_counter()
        output = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--signal-floor", str(extract),
                                 str(lookup)], cwd=ROOT, check=True, capture_output=True, text=True).stdout
        floors.append(time.perf_counter() - started)
        sizes = json.loads(output.strip().splitlines()[-1])
    return {"signals_s": min(ours), "signals_all": ours, "signals_peak_mib": max(peaks), "signal_floor_s": min(floors),
            "signal_floor_all": floors, "floor_pairs": sizes["pairs"]}


STAGES = ("import", "signals", "http", "floors")


def load_figures(path: Path, size: int) -> dict:
    """The figures of earlier stages kept in the work folder (empty if none)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"size": size}


def save_figures(path: Path, figures: dict) -> None:
    """Keep the figures so far, so that a later run on the same --work folder resumes after the last finished stage."""
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


def synthesize(size: int, extract: Path, figures: dict) -> None:
    """`adekg synth-faers` unless the extract is complete already (its planted.json is written last)."""
    if not (extract / "planted.json").is_file():
        shutil.rmtree(extract, ignore_errors=True)
        figures["synth_s"], figures["synth_peak_mib"] = adekg("synth-faers", "--reports", str(size), "--out",
                                                              str(extract), "--seed", "1")


def import_stage(base: Path, extract: Path, store: Path, figures: dict) -> None:
    """`import-faers --no-signals` into a fresh copy of the seeds store; its wall time, peak RSS and store size."""
    from graph.store import current_generation
    shutil.rmtree(store, ignore_errors=True)  # a store left by an unfinished run is not reused
    shutil.copytree(base, store, symlinks=True)
    figures["import_s"], figures["import_peak_mib"] = adekg("import-faers", str(extract), "--store", str(store),
                                                           "--no-signals")
    figures["import_store_mib"] = folder_mib(current_generation(store))


def floors_stage(store: Path, extract: Path, work: Path, figures: dict) -> None:
    """The bulk_load floor of the import (run after the other stages: at 10^6 it is the longest and the least needed)."""
    with tempfile.TemporaryDirectory(dir=work) as scratch:
        figures["bulk_floor_s"] = bulk_floor(store, "2025Q1", Path(scratch))


def run(size: int, base: Path, work: Path, args: argparse.Namespace) -> dict:
    """All figures for one extract size, stage by stage; a stage whose figures the work folder holds is not run again."""
    from graph.store import current_generation
    extract, store, kept = work / f"extract-{size}", work / f"store-{size}", work / f"figures-{size}.json"
    figures = load_figures(kept, size)
    for stage in args.stages:
        if stage in figures.get("stages_done", []):
            continue
        load_start = os.getloadavg()[0]
        if stage == "import":
            synthesize(size, extract, figures)
            import_stage(base, extract, store, figures)
        elif "import" not in figures.get("stages_done", []):
            raise SystemExit(f"stage {stage} needs the import stage of {size} reports first")
        elif stage == "signals":
            with tempfile.TemporaryDirectory(dir=work) as scratch:
                lookup = Path(scratch) / "lookup.json"
                product_lookup(store, extract, lookup)
                figures.update(signal_runs(store, extract, lookup, args.repeat))
            figures["store_mib"] = folder_mib(current_generation(store))
        elif stage == "http":
            # the seeds-only store just before, with the same query files, for the ratio of the competency questions
            figures["seeds"] = http_latency(base, args.rounds)
            figures.update(http_latency(store, args.rounds))
        elif stage == "floors":
            floors_stage(store, extract, work, figures)
        figures[f"load_{stage}"] = (load_start, os.getloadavg()[0])
        figures.setdefault("stages_done", []).append(stage)
        save_figures(kept, figures)
        print(f"   {size} {stage}: " + json.dumps({k: v for k, v in figures.items() if k != "seeds"}), flush=True)
    if args.virtuoso:
        figures.update(virtuoso_run(size, extract, work, args.rounds))
    return figures


def cell(figures: dict, key: str, form: str, width: int) -> str:
    """One column of the table, '-' for a figure not measured (yet)."""
    return format(figures[key], form).rjust(width) if key in figures else "-".rjust(width)


def ratios(figures: dict) -> dict:
    """import/floor, signals/floor and the competency questions' p50 over the seeds-only store's, where measured."""
    out = {}
    if "bulk_floor_s" in figures:
        out["import_ratio"] = figures["import_s"] / figures["bulk_floor_s"]
    if "signal_floor_s" in figures:
        out["signal_ratio"] = figures["signals_s"] / figures["signal_floor_s"]
    if "seeds" in figures:
        out["cq_ratio"] = figures["cq_p50"] / figures["seeds"]["cq_p50"]
    return out


def main() -> None:
    """Print one line of figures per size, and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of the signal stage and of its floor (alternating)")
    parser.add_argument("--rounds", type=int, default=5, help="times each query is asked over HTTP")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES),
                        help="stages to run, in this order; with --work, the stages a previous run finished there "
                             "(figures-N.json) are not run again, and a complete synthetic extract is reused")
    parser.add_argument("--virtuoso", action="store_true",
                        help="also build and import each size into a Virtuoso started on 127.0.0.1 (needs virtuoso-t)")
    parser.add_argument("--signal-floor", nargs=2, type=Path, metavar=("EXTRACT", "LOOKUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.signal_floor:
        signal_floor(*args.signal_floor)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="adekg-faers-bench-"))
    print(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    try:
        base = work / "seeds-store"
        if not base.exists():
            adekg("build", "--store", str(base))
        rows = [run(size, base, work, args) for size in args.sizes]
        print("reports  import_s  peak_MiB  store_MiB  bulk_floor_s  import/floor  signals_s  floor_s  signals/floor  "
              "CQ_p50  CQ_p99  seeds_CQ_p50  CQ/seeds  sig_p50  sig_p99", flush=True)
        for f in rows:
            f = {**f, **ratios(f), **{f"seeds_{k}": v for k, v in f.get("seeds", {}).items()}}
            print("  ".join([cell(f, "size", "", 7), cell(f, "import_s", ".1f", 8), cell(f, "import_peak_mib", "", 8),
                             cell(f, "store_mib", ".1f", 9), cell(f, "bulk_floor_s", ".1f", 12),
                             cell(f, "import_ratio", ".2f", 12), cell(f, "signals_s", ".1f", 9),
                             cell(f, "signal_floor_s", ".1f", 7), cell(f, "signal_ratio", ".2f", 13),
                             cell(f, "cq_p50", ".1f", 6), cell(f, "cq_p99", ".1f", 6), cell(f, "seeds_cq_p50", ".1f", 12),
                             cell(f, "cq_ratio", ".2f", 8), cell(f, "signal_q_p50", ".1f", 7),
                             cell(f, "signal_q_p99", ".1f", 7)]), flush=True)
            print("   detail: " + json.dumps({key: value for key, value in f.items() if key.endswith(("_all", "_failed", "pairs", "_peak_mib")) or key.startswith(("v_", "load", "seeds_", "synth"))}), flush=True)
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
