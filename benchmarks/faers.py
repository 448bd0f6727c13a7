"""FAERS at scale: import time and peak memory, store size, signal time, and their floors, per extract size.

Run on demand:  .venv/bin/python benchmarks/faers.py --sizes 1000 10000 100000
For each size: synth-faers, import-faers --no-signals (a subprocess, its peak RSS read from the kernel),
signals, the size of the new generation, and two floors measured in the same run:
  - a bare pyoxigraph bulk_load of the same quarter graph's triples (exported as N-Triples) into the same named
    graph of an empty store;
  - pandas + vigipy PRR/ROR on a contingency table built straight from the extract's DRUG and REAC files.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def adekg(*args: str) -> tuple[float, int]:
    """Run the CLI in a subprocess; return its wall seconds and peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "graph.cli", "-q", *args], cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"adekg {' '.join(args)} failed ({child.returncode})")
    return time.perf_counter() - started, usage.ru_maxrss // 1024


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


def signal_floor(extract: Path) -> float:
    """Seconds for pandas + vigipy PRR and ROR on drug x reaction report counts read straight from the files."""
    import pandas as pd
    import vigipy

    started = time.perf_counter()
    ascii_dir = extract / "ASCII"
    drug = pd.read_csv(next(ascii_dir.glob("DRUG*.txt")), sep="$", usecols=["primaryid", "role_cod", "prod_ai"],
                       dtype=str, on_bad_lines="skip")
    reac = pd.read_csv(next(ascii_dir.glob("REAC*.txt")), sep="$", usecols=["primaryid", "pt"], dtype=str,
                       on_bad_lines="skip")
    drug = drug[drug["role_cod"].isin(["PS", "SS", "I"])].drop_duplicates(["primaryid", "prod_ai"])
    reac = reac.drop_duplicates()
    pairs = drug.merge(reac, on="primaryid").groupby(["prod_ai", "pt"]).size().rename("events").reset_index()
    total = reac["primaryid"].nunique()
    data = pd.DataFrame({"events": pairs["events"],
                         "product_aes": pairs["prod_ai"].map(drug.groupby("prod_ai")["primaryid"].nunique()),
                         "count_across_brands": pairs["pt"].map(reac.groupby("pt")["primaryid"].nunique()),
                         "ae_name": pairs["pt"], "product_name": pairs["prod_ai"]})
    container = vigipy.DataContainer(data=data, N=total)
    vigipy.prr(container, min_events=1)
    vigipy.ror(container, min_events=1)
    return time.perf_counter() - started


def run(size: int, work: Path) -> dict:
    """All figures for one extract size."""
    extract, store = work / f"extract-{size}", work / f"store-{size}"
    adekg("build", "--no-reason", "--store", str(store))
    adekg("synth-faers", "--reports", str(size), "--out", str(extract), "--seed", "1")
    import_seconds, import_peak = adekg("import-faers", str(extract), "--store", str(store), "--no-signals")
    signal_seconds, signal_peak = adekg("signals", "--store", str(store))
    from graph.store import current_generation
    figures = {"size": size, "import_s": import_seconds, "import_peak_mib": import_peak,
               "signals_s": signal_seconds, "signals_peak_mib": signal_peak,
               "store_mib": folder_mib(current_generation(store))}
    with tempfile.TemporaryDirectory(dir=work) as scratch:
        figures["bulk_floor_s"] = bulk_floor(store, "2025Q1", Path(scratch))
    figures["signal_floor_s"] = signal_floor(extract)
    figures["import_ratio"] = figures["import_s"] / figures["bulk_floor_s"]
    figures["signal_ratio"] = figures["signals_s"] / figures["signal_floor_s"]
    figures["load"] = os.getloadavg()[0]
    return figures


def main() -> None:
    """Print one line of figures per size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="adekg-faers-bench-"))
    print(f"machine: {os.cpu_count()} cores; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("reports  import_s  peak_MiB  store_MiB  bulk_floor_s  import/floor  signals_s  signal_floor_s  signals/floor  load")
    try:
        for size in args.sizes:
            f = run(size, work)
            print(f"{f['size']:>7}  {f['import_s']:>8.1f}  {f['import_peak_mib']:>8}  {f['store_mib']:>9.1f}  "
                  f"{f['bulk_floor_s']:>12.1f}  {f['import_ratio']:>12.2f}  {f['signals_s']:>9.1f}  "
                  f"{f['signal_floor_s']:>14.1f}  {f['signal_ratio']:>13.2f}  {f['load']:>4.1f}", flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
