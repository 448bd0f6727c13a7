"""Time the reasoning stage over the seeds and over 10^2..10^4 synthetic case reports (the seeds replicated).

Prints, per size: case reports, input quads, seconds of the whole stage (HermiT's cached verdict + rules +
consistency checks), input quads per second, seconds of the rules alone (the rules inside the same stage,
without HermiT, the checks and the provenance) and the ratio of the two, seconds per report, the growth
exponent between consecutive sizes (1.0 = linear), quads out and the peak resident memory of the process.
Also times the whole `adekg build` of the seeds with a cold and a warm HermiT cache. With --per-rule it
prints instead the seconds and output quads of every rule and consistency check at each size.
"""
from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyoxigraph import NamedNode, Quad, Store  # noqa: E402

from graph.build import Progress, check_and_map, in_memory, ontology_documents, provenance_quads  # noqa: E402
from graph.hermit import classify  # noqa: E402
from graph.reason import classification_quads, realisation_quads, reason  # noqa: E402
from graph.rules import apply_rule, check_inconsistencies, consistency_files, rule_files, rule_quads, run_rules  # noqa: E402
from graph.terms import DATA, source_graph  # noqa: E402


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


def replica(term, document: str, copy: str):
    """A term of one seed document renamed into a copy of that document (other terms unchanged)."""
    if isinstance(term, NamedNode):
        for old in (DATA + document, source_graph(document)):
            if term.value == old or term.value.startswith(old + "/"):
                return NamedNode(term.value.replace(old, old[:-len(document)] + copy, 1))
    return term


def synthetic_cases(cases: dict[str, list[Quad]], reports: int) -> Iterator[Quad]:
    """`reports` case reports: the seed documents replicated round-robin under new IRIs (000-r1, 001-r1, ...)."""
    documents = sorted(cases)
    for number in range(reports):
        document = documents[number % len(documents)]
        copy = document if number < len(documents) else f"{document}-r{number // len(documents)}"
        for quad in cases[document]:
            yield Quad(*(replica(part, document, copy) for part in (quad.subject, quad.predicate, quad.object, quad.graph_name)))


def synthetic_size(cases: dict[str, list[Quad]], reports: int) -> int:
    """How many quads synthetic_cases yields."""
    documents = sorted(cases)
    return sum(len(cases[documents[number % len(documents)]]) for number in range(reports))


def rules_input(asserted: Iterable[Quad], documents: list, ontology: Path, cache: Path) -> Store:
    """The store the rules read in the reasoning stage: the asserted data, HermiT's verdict and the rule data."""
    verdict = classify(ontology, cache)
    store = in_memory(asserted, documents)
    store.extend(list(realisation_quads(list(verdict.realisations))) + list(rule_quads(ontology))
                 + list(classification_quads(verdict)))
    return store


def measure(asserted: Iterable[Quad], documents: list, ontology: Path, cache: Path) -> tuple[float, float, int]:
    """Seconds of the reasoning stage (warm HermiT cache), seconds of its rules alone, quads produced."""
    store = in_memory(asserted, documents)
    started = time.perf_counter()
    output = reason(store, ontology, cache)
    stage = time.perf_counter() - started
    return stage, output.rules_seconds - output.checks_seconds, len(output.quads)


def per_rule(asserted: Iterable[Quad], documents: list, ontology: Path, cache: Path) -> dict[str, tuple[float, int]]:
    """Seconds and output quads of each rule in order (each seeing the earlier ones' output), then of each check."""
    store, figures = rules_input(asserted, documents, ontology, cache), {}
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
    args = options.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.reasoner_cache or Path(scratch) / "cache"
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
            print_per_rule({reports: per_rule(chain(synthetic_cases(cases, reports), provenance), documents,
                                              args.ontology, cache) for reports in sizes})
            return
        print(f"{'reports':>8} {'quads in':>10} {'stage s':>9} {'quads/s':>9} {'rules s':>9} {'stage/rules':>11} "
              f"{'ms/report':>9} {'growth':>6} {'quads out':>10} {'peak GB':>8}")
        previous = None
        for reports in [len(cases)] + sizes:
            quads_in = synthetic_size(cases, reports) + len(provenance)
            stage, rules, produced = measure(chain(synthetic_cases(cases, reports), provenance), documents,
                                             args.ontology, cache)
            growth = (f"{math.log(stage / previous[1]) / math.log(reports / previous[0]):.2f}"
                      if previous and reports > previous[0] else "")
            print(f"{reports:>8} {quads_in:>10} {stage:>9.2f} {quads_in / stage:>9.0f} {rules:>9.2f} "
                  f"{stage / rules:>11.2f} {1000 * stage / reports:>9.1f} {growth:>6} {produced:>10} {peak_memory():>8.1f}", flush=True)
            previous = (reports, stage)


if __name__ == "__main__":
    main()
