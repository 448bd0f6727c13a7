"""Time the reasoning stage over the seeds and over 10^2..10^4 synthetic case reports (the seeds replicated).

Prints, per size: case reports, input quads, seconds of the whole stage (HermiT's cached verdict + rules +
consistency checks), input quads per second, seconds of the rules alone on the same input and the ratio
of the two, seconds per report, and the growth exponent between consecutive sizes (1.0 = linear).
Also times the whole `adekg build` of the seeds with a cold and a warm HermiT cache.
"""
from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyoxigraph import NamedNode, Quad, Store  # noqa: E402

from graph.build import Progress, check_and_map, in_memory, ontology_documents, provenance_quads  # noqa: E402
from graph.hermit import classify  # noqa: E402
from graph.reason import classification_quads, realisation_quads, reason  # noqa: E402
from graph.rules import rule_quads, run_rules  # noqa: E402
from graph.terms import DATA, source_graph  # noqa: E402


def machine() -> str:
    """One line naming the machine and its load."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.2f} at start")


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


def synthetic_cases(cases: dict[str, list[Quad]], reports: int) -> list[Quad]:
    """`reports` case reports: the seed documents replicated round-robin under new IRIs (000-r1, 001-r1, ...)."""
    quads, documents = [], sorted(cases)
    for number in range(reports):
        document = documents[number % len(documents)]
        copy = document if number < len(documents) else f"{document}-r{number // len(documents)}"
        for quad in cases[document]:
            quads.append(Quad(*(replica(part, document, copy)
                                for part in (quad.subject, quad.predicate, quad.object, quad.graph_name))))
    return quads


def measure(asserted: list[Quad], documents: list, ontology: Path, cache: Path) -> tuple[float, float, int]:
    """Seconds of the reasoning stage (warm HermiT cache), seconds of the rules alone, quads produced."""
    store = in_memory(asserted, documents)
    started = time.perf_counter()
    output = reason(store, ontology, cache)
    stage = time.perf_counter() - started
    del store
    verdict = classify(ontology, cache)
    alone = in_memory(asserted, documents)
    alone.extend(list(realisation_quads(list(verdict.realisations))) + list(rule_quads(ontology))
                 + list(classification_quads(verdict)))
    started = time.perf_counter()
    run_rules(alone, ontology)
    rules = time.perf_counter() - started
    return stage, rules, len(output.quads)


def main() -> None:
    """Print the figures (see the module docstring)."""
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    options.add_argument("--ontology", type=Path, default=ROOT / "ontology")
    options.add_argument("--sizes", default="100,1000,10000", help="numbers of synthetic case reports")
    options.add_argument("--skip-build", action="store_true", help="do not time the whole build of the seeds")
    args = options.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "cache"
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
        print(f"{'reports':>8} {'quads in':>10} {'stage s':>9} {'quads/s':>9} {'rules s':>9} {'stage/rules':>11} "
              f"{'ms/report':>9} {'growth':>6} {'quads out':>10}")
        previous = None
        for reports in [len(cases)] + [int(size) for size in args.sizes.split(",") if size.strip()]:
            asserted = synthetic_cases(cases, reports) + provenance
            stage, rules, produced = measure(asserted, documents, args.ontology, cache)
            growth = (f"{math.log(stage / previous[1]) / math.log(reports / previous[0]):.2f}"
                      if previous and reports > previous[0] else "")
            print(f"{reports:>8} {len(asserted):>10} {stage:>9.2f} {len(asserted) / stage:>9.0f} {rules:>9.2f} "
                  f"{stage / rules:>11.2f} {1000 * stage / reports:>9.1f} {growth:>6} {produced:>10}", flush=True)
            previous = (reports, stage)


if __name__ == "__main__":
    main()
