"""The former reasoning route (HermiT realising the seed case data with the ontology), recorded with its inputs' digest.

HermiT over the case data takes minutes, so tests/test_rules.py compares the rules against the result recorded
in tests/hermit_with_data.json when the SHA-256 of that result's inputs is unchanged, and runs HermiT for real
when it is not. The inputs are: the ontology release and its imports, owlready2's and HermiT's builds (all
through graph.hermit.input_digest), the asserted case data (its sorted N-Triples lines) and the source code of
the route itself. Regenerate the record after a change with

    .venv/bin/python -m tests.hermit_with_data

which maps the seeds (seconds), and runs HermiT and rewrites the record only when the record's digest is not that
of the current inputs (`--force` runs HermiT anyway; `--check` never runs it and exits 1 when the record is stale).
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import sys
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, serialize

from graph import hermit, reason
from graph.terms import source_graph

ROOT = Path(__file__).resolve().parent.parent
RECORD = Path(__file__).resolve().parent / "hermit_with_data.json"
ONTOLOGY = ROOT / "ontology"
# The code of the route: what it reads, how it runs HermiT and which types it keeps.
ROUTE = (reason.realise_with_data, reason.classes_of, reason.most_specific, hermit.load_ontology_world)


def case_quads(store) -> list[Quad]:
    """The asserted case data of a built store: every quad of the seeds' source graphs."""
    return [q for q in store.quads_for_pattern(None, None, None) if q.graph_name.value.startswith(source_graph(""))]


def case_ntriples(cases: list[Quad]) -> bytes:
    """The case data as N-Triples, one line per distinct triple, sorted (the same bytes for the same data)."""
    lines = serialize((q.triple for q in cases), format=RdfFormat.N_TRIPLES).splitlines(keepends=True)
    return b"".join(sorted(set(lines)))


def inputs_digest(ntriples: bytes) -> str:
    """SHA-256 over everything the former route's answer depends on."""
    digest = hashlib.sha256()
    for part in (hermit.input_digest(ONTOLOGY).encode(), hashlib.sha256(ntriples).hexdigest().encode(),
                 *(inspect.getsource(function).encode() for function in ROUTE)):
        digest.update(part + b"\0")
    return digest.hexdigest()


def realise(ntriples: bytes) -> set[tuple[str, str]]:
    """The (case individual, new type) pairs HermiT infers from the ontology with the case data (minutes)."""
    individuals = {line.split(b" ", 1)[0].strip(b"<>").decode() for line in ntriples.splitlines()}
    return {(r.individual, r.inferred_class) for r in reason.realise_with_data(ONTOLOGY, ntriples)
            if r.individual in individuals}


def recorded(digest: str) -> set[tuple[str, str]] | None:
    """The recorded pairs when they were computed from inputs with this digest, else None."""
    try:
        record = json.loads(RECORD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("inputs_sha256") != digest:
        return None
    return {tuple(pair) for pair in record["realisations"]}


def write_record(digest: str, pairs: set[tuple[str, str]]) -> None:
    """Write the record for one digest."""
    record = {"about": "HermiT's new types for the seed case individuals (tests/hermit_with_data.py)",
              "inputs_sha256": digest, "realisations": sorted(map(list, pairs))}
    RECORD.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def current_case_ntriples() -> bytes:
    """The seeds' asserted case data, mapped and validated as the build does (the same quads, no store written)."""
    from graph.build import Progress, check_and_map

    cases, _ = check_and_map(ROOT / "seeds", ONTOLOGY, Progress(0))
    return case_ntriples([quad for case in cases for quad in case.quads
                          if quad.graph_name.value.startswith(source_graph(""))])


def main(argv: list[str] | None = None) -> int:
    """Map the seeds; when the record is stale (or with --force) run the former route and write the record."""
    options = argparse.ArgumentParser(prog="python -m tests.hermit_with_data", description=__doc__.splitlines()[0])
    mode = options.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only say whether the record is current (exit 1 if not)")
    mode.add_argument("--force", action="store_true", help="run HermiT even when the record is current")
    arguments = options.parse_args(argv)
    ntriples = current_case_ntriples()
    digest = inputs_digest(ntriples)
    name = RECORD.relative_to(ROOT)
    if recorded(digest) is not None and not arguments.force:
        print(f"{name} is current (inputs {digest}): HermiT not run")
        return 0
    if arguments.check:
        print(f"{name} is stale (inputs now {digest}): regenerate it with .venv/bin/python -m tests.hermit_with_data",
              file=sys.stderr)
        return 1
    pairs = realise(ntriples)
    write_record(digest, pairs)
    print(f"{name}: {len(pairs)} types, inputs {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
