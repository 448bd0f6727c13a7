"""Time the reasoning stage over the seeds and over 10^2..10^4 synthetic case reports (the seeds replicated).

By default the stage runs batched (graph/batched.py, --batch reports at a time; the output is counted, not
kept), so memory stays bounded; --route in-memory runs it as `adekg build` does for the seeds (one in-memory
store, output list), --route on-disk over one on-disk pyoxigraph store (bulk-loaded, output only in the store).
The first row (the seeds) of the batched route includes reading the rules with rdflib once. Prints, per size: case reports, input quads, seconds to fill the store,
seconds of the whole stage (HermiT's cached verdict + rules + consistency checks), input quads per second,
seconds of the rules alone (the rules inside the same stage, without HermiT, the checks and the provenance)
and the ratio of the two, seconds per report, the growth exponent between consecutive sizes (1.0 = linear),
CPU seconds of the process during the stage, quads out, the peak resident memory of the process so far and
the load average (1 min) after the stage.
Also times the whole `adekg build` of the seeds with a cold and a warm HermiT cache. With --per-rule it
prints instead the seconds and output quads of every rule and consistency check at each size.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from itertools import islice
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyoxigraph import NamedNode, Quad, RdfFormat, Store  # noqa: E402

from graph.batched import reason_in_batches, replicated_reports  # noqa: E402

from graph.build import Progress, check_and_map, in_memory, ontology_documents, provenance_quads  # noqa: E402
from graph.hermit import classify  # noqa: E402
from graph.reason import classification_quads, realisation_quads, reason  # noqa: E402
from graph.rules import apply_rule, check_inconsistencies, consistency_files, rule_files, rule_quads, run_rules  # noqa: E402


def machine() -> str:
    """One line naming the machine and its load."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.2f} at start")


def peak_memory() -> float:
    """Peak resident memory of this process so far, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def timed_build(store: Path, cache: Path) -> float:
    """Wall seconds of `adekg build -q` in a fresh Python process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "graph.cli", "build", "-q", "--store", str(store), "--reasoner-cache",
                    str(cache)], cwd=ROOT, check=True, timeout=1800)
    return time.perf_counter() - started


def synthetic_cases(cases: dict[str, list[Quad]], reports: int, chunk: int = 100) -> Iterator[bytes]:
    """`reports` case reports as N-Quads, `chunk` reports a piece (see graph.batched.replicated_reports)."""
    texts = replicated_reports(cases, reports)
    for start in range(0, reports, chunk):
        yield b"".join(islice(texts, chunk))


def synthetic_size(cases: dict[str, list[Quad]], reports: int) -> int:
    """How many quads synthetic_cases yields."""
    documents = sorted(cases)
    return sum(len(cases[documents[number % len(documents)]]) for number in range(reports))


def cpu_seconds() -> float:
    """User plus system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def filled_store(nquads: Iterable[bytes], provenance: list[Quad], documents: list, folder: Path | None) -> Store:
    """A store holding the ontology documents, the case reports (N-Quads pieces) and their provenance: in
    `folder` (bulk-loaded), or in memory if None."""
    if folder is None:
        store = in_memory(provenance, documents)
        for piece in nquads:
            store.load(piece, RdfFormat.N_QUADS)
        return store
    store = Store(str(folder))
    for content, rdf_format, graph in documents:
        store.bulk_load(content, rdf_format, to_graph=NamedNode(graph))
    for piece in nquads:
        store.bulk_load(piece, RdfFormat.N_QUADS)
    store.bulk_extend(provenance)
    store.flush()
    return store


def rules_input(asserted: Iterable[bytes], provenance: list[Quad], documents: list, ontology: Path, cache: Path,
                folder: Path | None) -> Store:
    """The store the rules read in the reasoning stage: the asserted data, HermiT's verdict and the rule data."""
    verdict = classify(ontology, cache)
    store = filled_store(asserted, provenance, documents, folder)
    store.extend(list(realisation_quads(list(verdict.realisations))) + list(rule_quads(ontology))
                 + list(classification_quads(verdict)))
    return store


@dataclasses.dataclass
class Figures:
    """What one size measured."""

    fill: float
    stage: float
    rules: float
    cpu: float
    produced: int


def measure(asserted: Iterable[bytes], provenance: list[Quad], documents: list, ontology: Path, cache: Path,
            folder: Path | None) -> Figures:
    """Seconds to fill the store, of the reasoning stage (warm HermiT cache) and of its rules alone; CPU; quads out."""
    started = time.perf_counter()
    store = filled_store(asserted, provenance, documents, folder)
    fill = time.perf_counter() - started
    started, cpu = time.perf_counter(), cpu_seconds()
    output = reason(store, ontology, cache, keep=folder is None)
    stage = time.perf_counter() - started
    return Figures(fill, stage, output.rules_seconds - output.checks_seconds, cpu_seconds() - cpu, output.produced)


def measure_batched(cases: dict, reports: int, provenance: list[Quad], documents: list, ontology: Path, cache: Path,
                    batch: int) -> Figures:
    """Seconds of the batched reasoning stage (warm HermiT cache) and of its rules alone; CPU; quads out."""
    def batches() -> Iterator:
        for number, piece in enumerate(synthetic_cases(cases, reports, batch)):
            yield lambda store, piece=piece, first=number == 0: (store.load(piece, RdfFormat.N_QUADS),
                                                                   store.extend(provenance if first else []))

    emitted = []
    started, cpu = time.perf_counter(), cpu_seconds()
    output = reason_in_batches(batches, documents, ontology, lambda quads: emitted.append(len(quads)), cache)
    stage = time.perf_counter() - started
    return Figures(0.0, stage, output.rules_seconds - output.checks_seconds, cpu_seconds() - cpu, output.produced)


def per_rule(asserted: Iterable[bytes], provenance: list[Quad], documents: list, ontology: Path, cache: Path,
             folder: Path | None) -> dict[str, tuple[float, int]]:
    """Seconds and output quads of each rule in order (each seeing the earlier ones' output), then of each check."""
    store, figures = rules_input(asserted, provenance, documents, ontology, cache, folder), {}
    for path in rule_files(ontology):
        started = time.perf_counter()
        quads = apply_rule(store, path)
        store.extend(quads)
        figures[path.stem] = (time.perf_counter() - started, len(quads))
    for path in consistency_files(ontology):
        started = time.perf_counter()
        rows = check_inconsistencies(store, path)
        figures[f"consistency/{path.stem}"] = (time.perf_counter() - started, len(rows))
    return figures


def print_per_rule(table: dict[int, dict[str, tuple[float, int]]]) -> None:
    """Seconds (and output quads) of each rule and check per size, and the growth exponent over the sizes."""
    sizes = sorted(table)
    print(f"{'rule or check':<46}" + "".join(f"{f'{n} reports s (out)':>24}" for n in sizes) + f"{'growth':>8}")
    for name in table[sizes[0]]:
        cells = "".join(f"{f'{table[n][name][0]:.3f} ({table[n][name][1]})':>24}" for n in sizes)
        first, last = table[sizes[0]][name][0], table[sizes[-1]][name][0]
        growth = (f"{math.log(last / first) / math.log(sizes[-1] / sizes[0]):.2f}"
                  if len(sizes) > 1 and first > 0.005 else "")
        print(f"{name:<46}{cells}{growth:>8}", flush=True)


def main() -> None:
    """Print the figures (see the module docstring)."""
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    options.add_argument("--ontology", type=Path, default=ROOT / "ontology")
    options.add_argument("--sizes", default="100,1000,10000", help="numbers of synthetic case reports")
    options.add_argument("--skip-build", action="store_true", help="do not time the whole build of the seeds")
    options.add_argument("--reasoner-cache", type=Path, help="HermiT's cache folder (default: a new empty one)")
    options.add_argument("--per-rule", action="store_true",
                         help="time each rule and consistency check at each size instead of the whole stage")
    options.add_argument("--route", choices=("batched", "in-memory", "on-disk"), default="batched",
                         help="batched: graph.batched, reports in batches of --batch (default); in-memory: one "
                              "in-memory store and the output list, as the build of the seeds does; on-disk: one "
                              "on-disk store, the output only in it")
    options.add_argument("--batch", type=int, default=250, help="case reports per batch of the batched route")
    options.add_argument("--scratch", type=Path, help="folder for the on-disk stores (default: a temporary folder)")
    args = options.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        cache = args.reasoner_cache or Path(scratch) / "cache"

        def folder(reports: int) -> Path | None:
            return Path(scratch) / f"store-{reports}" if args.route == "on-disk" else None

        if not args.skip_build:
            cold = timed_build(Path(scratch) / "cold" / "store", cache)
            warm = timed_build(Path(scratch) / "warm" / "store", cache)
            print(f"whole build of the seeds (adekg build -q, new process): cold HermiT cache {cold:.1f} s, "
                  f"warm {warm:.1f} s")
        verdict = classify(args.ontology, cache)  # computed here unless the whole builds above filled the cache
        started = time.perf_counter()
        classify(args.ontology, cache)
        print(f"HermiT on the ontology: {verdict.hermit_seconds:.1f} s when computed, "
              f"{time.perf_counter() - started:.3f} s from the cache")

        checked, _ = check_and_map(args.seeds, args.ontology, Progress(0))
        cases = {case.record.document_id: case.quads for case in checked}
        provenance = list(provenance_quads(checked, args.ontology, datetime.datetime.now(datetime.timezone.utc)))
        documents = list(ontology_documents(args.ontology))
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
        if args.per_rule:
            print_per_rule({reports: per_rule(synthetic_cases(cases, reports), provenance, documents,
                                              args.ontology, cache, folder(reports)) for reports in sizes})
            return
        print(f"route: {args.route}" + (f", {args.batch} reports a batch" if args.route == "batched" else ""))
        print(f"{'reports':>8} {'quads in':>10} {'fill s':>7} {'stage s':>9} {'quads/s':>9} {'rules s':>9} "
              f"{'stage/rules':>11} {'ms/report':>9} {'growth':>6} {'CPU s':>8} {'quads out':>10} {'peak GB':>8} "
              f"{'load':>5}")
        previous = None
        for reports in [len(cases)] + sizes:
            quads_in = synthetic_size(cases, reports) + len(provenance)
            if args.route == "batched":
                run = measure_batched(cases, reports, provenance, documents, args.ontology, cache, args.batch)
            else:
                run = measure(synthetic_cases(cases, reports), provenance, documents, args.ontology, cache,
                              folder(reports))
            growth = (f"{math.log(run.stage / previous[1]) / math.log(reports / previous[0]):.2f}"
                      if previous and reports > previous[0] else "")
            print(f"{reports:>8} {quads_in:>10} {run.fill:>7.1f} {run.stage:>9.2f} {quads_in / run.stage:>9.0f} "
                  f"{run.rules:>9.2f} {run.stage / run.rules:>11.2f} {1000 * run.stage / reports:>9.1f} {growth:>6} "
                  f"{run.cpu:>8.1f} {run.produced:>10} {peak_memory():>8.2f} {os.getloadavg()[0]:>5.1f}", flush=True)
            previous = (reports, run.stage)
            if folder(reports) is not None:
                shutil.rmtree(folder(reports), ignore_errors=True)


if __name__ == "__main__":
    main()
