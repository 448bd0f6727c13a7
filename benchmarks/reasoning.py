"""Time the reasoning stage (HermiT realisation and the SPARQL rules) over the project's seeds and print figures."""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.build import Progress, check_and_map, in_memory, ontology_documents, provenance_quads  # noqa: E402
from graph.reason import reason  # noqa: E402
from graph.rules import rule_quads, run_rules  # noqa: E402


def main() -> None:
    """Run the stage --runs times (HermiT each time) and the rules alone --rule-runs times; print the figures."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    options.add_argument("--ontology", type=Path, default=ROOT / "ontology")
    options.add_argument("--runs", type=int, default=2)
    options.add_argument("--rule-runs", type=int, default=20)
    args = options.parse_args()

    import datetime
    cases, _ = check_and_map(args.seeds, args.ontology, Progress(0))
    documents = list(ontology_documents(args.ontology))
    asserted = [q for case in cases for q in case.quads]
    asserted += list(provenance_quads(cases, args.ontology, datetime.datetime.now(datetime.timezone.utc)))
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"input: {len(asserted)} asserted quads from {len(cases)} records")

    stage, hermit, rules, output = [], [], [], None
    for _ in range(args.runs):
        started = time.perf_counter()
        output = reason(in_memory(asserted, documents), args.ontology)
        stage.append(time.perf_counter() - started)
        hermit.append(output.hermit_seconds)
        rules.append(output.rules_seconds)
    print(f"reasoning stage ({args.runs} runs): median {statistics.median(stage):.2f} s, "
          f"HermiT {statistics.median(hermit):.2f} s, rules {statistics.median(rules) * 1000:.0f} ms")
    print(f"output: {len(output.quads)} quads, {output.realised} HermiT types, "
          f"{len(output.rule_counts)} rules -> {sum(output.rule_counts.values())} triples")

    store = in_memory(asserted, documents)
    store.extend(output.hermit_quads + list(rule_quads(args.ontology)))
    timings = []
    for _ in range(args.rule_runs):
        copy = in_memory(list(store.quads_for_pattern(None, None, None)), [])
        started = time.perf_counter()
        run_rules(copy, args.ontology)
        timings.append(time.perf_counter() - started)
    print(f"rules alone ({args.rule_runs} runs): median {statistics.median(timings) * 1000:.0f} ms, "
          f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    slowest = sorted(output.rule_counts.items(), key=lambda item: -item[1])[:5]
    print("largest rule outputs: " + ", ".join(f"{name} {count}" for name, count in slowest))


if __name__ == "__main__":
    main()
