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


def timed(command: list[str], cpu: dict | None = None) -> tuple[float, int]:
    """Run a command; return its wall seconds and its peak RSS in MiB (its CPU seconds into `cpu["s"]` if given)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed ({os.waitstatus_to_exitcode(status)})")
    if cpu is not None:  # user + system of the process and all its threads: a loaded machine distorts it far less
        cpu["s"] = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, usage.ru_maxrss // 1024


def adekg(*args: str, cpu: dict | None = None) -> tuple[float, int]:
    """Run the CLI in a subprocess; return its wall seconds and peak RSS in MiB (CPU seconds into `cpu`)."""
    return timed([sys.executable, "-m", "graph.cli", "-q", *args], cpu)


def folder_mib(folder: Path) -> float:
    """Disk use of a folder in MiB (hard-linked files counted once)."""
    seen, total = set(), 0
    for path in folder.rglob("*"):
        stat = path.stat()
        if path.is_file() and stat.st_ino not in seen:
            seen.add(stat.st_ino)
            total += stat.st_size
    return total / 2**20


def bulk_floor(base: Path, extract: Path, scratch: Path) -> dict:
    """A bare pyoxigraph bulk_load of the quarter graph's triples into the same named graph of an empty store:
    wall and CPU seconds, peak RSS (in its own process, so the peak is the loader's).

    Into the named graph, as the import writes them: a named graph has six indexes to the default graph's three,
    and loading into the default graph takes about 1.7x less time (measured at 10^4 reports). The triples are the
    import's own mapping of the extract written to an N-Triples file first, outside the timing (dumping them back
    out of the imported store takes longer than loading them at 10^6 reports: 2-3 MB/s).
    """
    output = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--bulk-floor", str(base), str(extract),
                             str(scratch)], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def bulk_floor_process(base: Path, extract_folder: Path, scratch: Path) -> None:
    """(Run in its own process.) Write the quarter's triples as the import maps them, then time one bulk_load of them."""
    import resource

    from pyoxigraph import NamedNode, RdfFormat, Store

    from graph.drug_names import load_reaction_mapping
    from graph.faers import find_extract, select_reports
    from graph.faers_import import drug_index, extract_triples, ntriples_chunks
    from graph.faers_mapping import quarter_graph
    from graph.signals_tally import ReportTally
    from graph.store import open_store
    extract, text = find_extract(extract_folder), scratch / "quarter.nt"
    drugs, reactions = drug_index(open_store(base)), load_reaction_mapping(ROOT / "ontology")
    triples = 0
    with text.open("wb") as out:
        for chunk, size in ntriples_chunks(extract_triples(extract, select_reports(extract), drugs, reactions,
                                                           ReportTally())):
            out.write(chunk)
            triples += size
    started, cpu = time.perf_counter(), time.process_time()
    store = Store(str(scratch / "floor"))
    store.bulk_load(path=str(text), format=RdfFormat.N_TRIPLES, to_graph=NamedNode(quarter_graph(extract.quarter)))
    store.flush()
    print(json.dumps({"bulk_floor_s": time.perf_counter() - started, "bulk_floor_cpu_s": time.process_time() - cpu,
                      "bulk_floor_triples": triples,
                      "bulk_floor_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


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


def http_latency(stores: dict[str, Path], rounds: int) -> dict[str, dict]:
    """p50/p99 (ms) of the competency questions and the signal queries through `adekg serve`, per store (served from
    its folder, as a user serves it): all stores served at once and asked in alternating rounds, after one round that is not counted."""
    sys.path.insert(0, str(HERE))
    from http_bench import stop

    servers = {name: serve(str(path)) for name, path in stores.items()}  # the store folder, as a user serves it
    try:
        return latencies({name: url for name, (_, url) in servers.items()}, rounds)
    finally:
        for server, _ in servers.values():
            stop(server)


def serve(store: str) -> tuple[subprocess.Popen, str]:
    """`adekg serve --store STORE` (a folder or a URL) with no result cache, once it answers (benchmarks/http_bench.py)."""
    sys.path.insert(0, str(HERE))
    from http_bench import start
    return start("adekg+cache", store, 2, "--cache", "0")  # a str store: a URL stays a URL


def latencies(urls: dict[str, str], rounds: int) -> dict[str, dict]:
    """p50/p99 (ms) and failures of the competency questions and the signal queries, per SPARQL endpoint; each round
    asks every endpoint in turn (the order reversed every other round); round 0 warms them up and is not counted."""
    sys.path.insert(0, str(HERE))
    from http_bench import PROLOGUE, request
    # as a client would send them: with the project's prefixes (the competency tests add them too)
    kinds = {name: [PROLOGUE + path.read_text(encoding="utf-8") for path in files]
             for name, files in (("cq", QUESTIONS), ("signal_q", SIGNAL_QUERIES))}
    times = {(url, kind): [] for url in urls for kind in kinds}
    failures = Counter()
    names = list(urls)
    for round_ in range(rounds + 1):
        for name in names if round_ % 2 == 0 else names[::-1]:
            for kind, queries in kinds.items():
                for query in queries:
                    started = time.perf_counter()
                    status, _ = request(urls[name], query)
                    if round_:
                        times[name, kind].append(time.perf_counter() - started)
                    failures[name, kind] += status != 200
    figures = {}
    for name in names:
        figures[name] = {}
        for kind in kinds:
            figures[name][f"{kind}_p50"], figures[name][f"{kind}_p99"] = percentiles(times[name, kind])
            figures[name][f"{kind}_failed"] = failures[name, kind]
    return figures


def virtuoso_memory(pid: int) -> dict:
    """Virtuoso's resident memory now and at its peak (MiB), from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[key].split()[0]) // 1024 for name, key in (("rss", "VmRSS"), ("peak", "VmHWM"))}


def virtuoso_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) Virtuoso has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def virtuoso_file_import(extract: Path, url: str, folder: Path, sql_port: int, pid: int, tallies: Path) -> dict:
    """`import-faers --to-file` into Virtuoso's folder, then its bulk loader (ld_dir, rdf_loader_run, checkpoint):
    each step's wall time, the command's CPU and peak RSS, Virtuoso's CPU during its load (docs/external-store.md)."""
    from tests.test_virtuoso import ISQL
    target, cpu = folder / f"faers-{extract.name}.nq", {}
    figures = {"v_route": "file"}
    figures["v_tofile_s"], figures["v_tofile_peak_mib"] = adekg("import-faers", str(extract), "--store", url,
                                                               "--to-file", str(target), "--tallies", str(tallies),
                                                               cpu=cpu)
    figures["v_tofile_cpu_s"], figures["v_file_mib"] = cpu["s"], target.stat().st_size / 2**20
    started, server_cpu = time.perf_counter(), virtuoso_cpu_s(pid)
    loaded = subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba",
                             f"exec=ld_dir('{folder}', '{target.name}', 'urn:adekg:unused'); rdf_loader_run(); "
                             "checkpoint; SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;"],
                            capture_output=True, text=True, timeout=4 * 3600)
    if loaded.returncode or target.name in loaded.stdout:
        raise SystemExit(f"Virtuoso's bulk loader failed: {loaded.stdout[-2000:]} {loaded.stderr[-2000:]}")
    figures["v_bulk_load_s"] = time.perf_counter() - started
    figures["v_bulk_load_server_cpu_s"] = virtuoso_cpu_s(pid) - server_cpu
    figures["v_import_s"] = figures["v_tofile_s"] + figures["v_bulk_load_s"]
    target.unlink()
    return figures


def virtuoso_run(size: int, extract: Path, work: Path, rounds: int, buffers: int, route: str = "streamed",
                 embedded: Path | None = None) -> dict:
    """Build the seeds, import the extract (--no-signals), then `adekg signals`, into a fresh Virtuoso on 127.0.0.1 (as
    tests/test_virtuoso.py starts it, with `buffers` 8 KiB pages of cache); time each, with the client's peak RSS,
    Virtuoso's resident memory and database size; then the queries asked of Virtuoso directly and through
    `adekg serve --store URL` (and of the `embedded` store through `adekg serve`, in the same alternating rounds).

    route "streamed": `import-faers --store URL` (GSP into staging graphs, one swap); "file": `--to-file`, then
    Virtuoso's own bulk loader (for 10^6 reports, whose swap would not fit one transaction)."""
    from tests.test_virtuoso import GRANTS, INI, ISQL, VIRTUOSO, free_port
    sys.path.insert(0, str(HERE))
    from http_bench import request, stop
    folder = work / f"virtuoso-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = INI.format(folder=folder, sql_port=sql_port, http_port=http_port)
    ini = ini.replace("NumberOfBuffers = 20000", f"NumberOfBuffers = {buffers}").replace(
        "MaxDirtyBuffers = 15000", f"MaxDirtyBuffers = {buffers * 3 // 4}\n"
        # the swap MOVEs a whole quarter graph in one transaction; Virtuoso's default limit of its log (50 MB) stops
        # it near 3 x 10^5 triples ("SR325: Transaction aborted because it's log after image size went above the limit")
        "TransactionAfterImageLimit = 2000000000")
    (folder / "virtuoso.ini").write_text(ini)
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
        figures = {"v_buffers": buffers, "v_build_s": adekg("build", "--store", url)[0]}
        tallies, cpu = work / f"virtuoso-tallies-{size}", {}
        load_start = os.getloadavg()[0]
        if route == "file":
            figures.update(virtuoso_file_import(extract, url, folder, sql_port, process.pid, tallies))
        else:
            figures["v_import_s"], figures["v_import_peak_mib"] = adekg("import-faers", str(extract), "--store", url,
                                                                       "--no-signals", "--tallies", str(tallies),
                                                                       cpu=cpu)
            figures["v_import_cpu_s"] = cpu["s"]
        figures["v_load_import"] = (load_start, os.getloadavg()[0])
        figures["v_server_after_import_mib"] = virtuoso_memory(process.pid)
        figures["v_signals_s"], figures["v_signals_peak_mib"] = adekg("signals", "--store", url, "--tallies", str(tallies))
        figures["v_server_after_signals_mib"] = virtuoso_memory(process.pid)
        print(f"   {size} virtuoso so far: {json.dumps(figures)}", flush=True)  # kept if the queries fail
        subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba", "exec=checkpoint;"], check=True,
                       capture_output=True, timeout=600)
        figures["v_store_mib"] = sum(path.stat().st_size for path in folder.glob("virtuoso*.db")) / 2**20
        server, served = serve(url)
        local = serve(str(embedded)) if embedded else None
        try:  # Virtuoso's own endpoint, `adekg serve` in front of it (and the embedded store), in alternating rounds
            both = latencies({"direct": url, "served": served, **({"embedded": local[1]} if local else {})}, rounds)
        finally:
            stop(server)
            if local:
                stop(local[0])
        for name, values in both.items():
            figures.update({f"v_{name}_{key}": value for key, value in values.items()})
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


STAGES = ("import", "signals", "http", "optimize", "floors")


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
    cpu = {}
    figures["import_s"], figures["import_peak_mib"] = adekg("import-faers", str(extract), "--store", str(store),
                                                           "--no-signals", cpu=cpu)
    figures["import_cpu_s"] = cpu["s"]
    figures["import_store_mib"] = folder_mib(current_generation(store))


def floors_stage(base: Path, extract: Path, work: Path, figures: dict) -> None:
    """The bulk_load floor of the import (run after the other stages: at 10^6 it is the longest and the least needed)."""
    with tempfile.TemporaryDirectory(dir=work) as scratch:
        figures.update(bulk_floor(base, extract, Path(scratch)))


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
            # beside the seeds-only store, same query files, alternating rounds: for the competency questions' ratio
            both = http_latency({"seeds": base, "store": store}, args.rounds)
            figures["seeds"] = both["seeds"]
            figures.update(both["store"])
        elif stage == "optimize":
            # `adekg signals` leaves its generation uncompacted; `import-faers` with its signals compacts at its end,
            # which is the store this stage ends with (the same quads, compacted once more)
            cpu = {}
            figures["optimize_s"], figures["optimize_peak_mib"] = adekg("optimize", "--store", str(store), cpu=cpu)
            figures["optimize_cpu_s"] = cpu["s"]
            both = http_latency({"seeds": base, "store": store}, args.rounds)
            figures["optimized"] = {**both["store"], "seeds_cq_p50": both["seeds"]["cq_p50"]}
        elif stage == "floors":
            floors_stage(base, extract, work, figures)
        figures[f"load_{stage}"] = (load_start, os.getloadavg()[0])
        figures.setdefault("stages_done", []).append(stage)
        save_figures(kept, figures)
        print(f"   {size} {stage}: " + json.dumps({k: v for k, v in figures.items() if k != "seeds"}), flush=True)
    if args.virtuoso:
        synthesize(size, extract, figures)
        embedded = store if "import" in figures.get("stages_done", []) else None
        figures.update(virtuoso_run(size, extract, work, args.rounds, args.virtuoso_buffers, args.virtuoso_route,
                                    embedded))
        save_figures(kept, figures)
        print(f"   {size} virtuoso: " + json.dumps({k: v for k, v in figures.items() if k.startswith("v_")}), flush=True)
    return figures


def cell(figures: dict, key: str, form: str, width: int) -> str:
    """One column of the table, '-' for a figure not measured (yet)."""
    return format(figures[key], form).rjust(width) if key in figures else "-".rjust(width)


def ratios(figures: dict) -> dict:
    """import/floor, signals/floor and the competency questions' p50 over the seeds-only store's, where measured."""
    out = {}
    if "bulk_floor_s" in figures:
        out["import_ratio"] = figures["import_s"] / figures["bulk_floor_s"]
    if "bulk_floor_cpu_s" in figures and "import_cpu_s" in figures:
        out["import_cpu_ratio"] = figures["import_cpu_s"] / figures["bulk_floor_cpu_s"]
    if "signal_floor_s" in figures:
        out["signal_ratio"] = figures["signals_s"] / figures["signal_floor_s"]
    if "seeds" in figures:
        out["cq_ratio"] = figures["cq_p50"] / figures["seeds"]["cq_p50"]
    if "optimized" in figures:
        out["cq_ratio_optimized"] = figures["optimized"]["cq_p50"] / figures["optimized"]["seeds_cq_p50"]
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
    parser.add_argument("--virtuoso-buffers", type=int, default=20000,
                        help="Virtuoso's NumberOfBuffers (8 KiB pages; the tests' 20000 by default, ~170000 for 2 GiB)")
    parser.add_argument("--virtuoso-route", choices=("streamed", "file"), default="streamed",
                        help="how the extract goes into Virtuoso: `import-faers --store URL` (streamed), or "
                             "`import-faers --to-file` then Virtuoso's bulk loader (file; for 10^6 reports)")
    parser.add_argument("--signal-floor", nargs=2, type=Path, metavar=("EXTRACT", "LOOKUP"), help=argparse.SUPPRESS)
    parser.add_argument("--bulk-floor", nargs=3, type=Path, metavar=("SEEDS", "EXTRACT", "SCRATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.signal_floor:
        signal_floor(*args.signal_floor)
        return
    if args.bulk_floor:
        bulk_floor_process(*args.bulk_floor)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="adekg-faers-bench-"))
    print(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    try:
        base = work / "seeds-store"
        if not base.exists():
            adekg("build", "--store", str(base))
        rows = [run(size, base, work, args) for size in args.sizes]
        print("reports  import_s  peak_MiB  store_MiB  bulk_floor_s  import/floor  import/floor_CPU  signals_s  floor_s  "
              "signals/floor  CQ_p50  CQ_p99  seeds_CQ_p50  CQ/seeds  sig_p50  sig_p99  optimize_s  CQ/seeds_optimized",
              flush=True)
        for f in rows:
            f = {**f, **ratios(f), **{f"seeds_{k}": v for k, v in f.get("seeds", {}).items()}}
            print("  ".join([cell(f, "size", "", 7), cell(f, "import_s", ".1f", 8), cell(f, "import_peak_mib", "", 8),
                             cell(f, "store_mib", ".1f", 9), cell(f, "bulk_floor_s", ".1f", 12),
                             cell(f, "import_ratio", ".2f", 12), cell(f, "import_cpu_ratio", ".2f", 16),
                             cell(f, "signals_s", ".1f", 9),
                             cell(f, "signal_floor_s", ".1f", 7), cell(f, "signal_ratio", ".2f", 13),
                             cell(f, "cq_p50", ".1f", 6), cell(f, "cq_p99", ".1f", 6), cell(f, "seeds_cq_p50", ".1f", 12),
                             cell(f, "cq_ratio", ".2f", 8), cell(f, "signal_q_p50", ".1f", 7),
                             cell(f, "signal_q_p99", ".1f", 7), cell(f, "optimize_s", ".1f", 10),
                             cell(f, "cq_ratio_optimized", ".2f", 18)]), flush=True)
            print("   detail: " + json.dumps({key: value for key, value in f.items() if key.endswith(("_all", "_failed", "pairs", "_peak_mib")) or key.startswith(("v_", "load", "seeds_", "synth", "optimiz", "bulk_floor", "import_cpu"))}), flush=True)
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
