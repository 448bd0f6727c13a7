"""The build: load records -> check quotes, units, identifiers -> map -> validate -> write store."""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import rdflib
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, serialize

from . import __version__
from .errors import raise_all
from .identifiers import identifier_problems
from .mapping import record_quads
from .ontology import declared_terms, load_ontology_graph
from .quotes import QuoteMatch, locate_quotes
from .reason import is_reasoning_quad, reason
from .records import Record, read_records
from .store import bulk_write, discard, new_generation, open_store, publish
from .terms import (ADE, BUILD, BUILD_GRAPH, DCTERMS, IMPORTS_GRAPH, ONTOLOGY_GRAPH, PROV, RDF, RDFS,
                    XSD, source_graph)
from .units import declared_test_kinds, unit_problems
from .validate import load_shapes, shape_problems

ONTOLOGY_FILE = "adekg.owl"
IMPORTS_DIR = "imports"
SOFTWARE = NamedNode(f"https://w3id.org/adekg/software/adekg/{__version__}")


class Progress:
    """Prints a line when each stage starts and ends; on a terminal, a running count or bar for long steps.

    Level 0 (quiet) prints nothing, 1 the stage lines, 2 also per-record details.
    """

    REDRAW_SECONDS = 0.1
    BAR_WIDTH = 24

    def __init__(self, level: int = 1, stream=sys.stderr, live: bool | None = None):
        self.level, self.stream, self.started = level, stream, time.perf_counter()
        self.live = level >= 1 and (stream.isatty() if live is None and hasattr(stream, "isatty") else bool(live))
        self.drawn_at, self.drawn = 0.0, False

    def begin(self, name: str, detail: str = "") -> float:
        """Report that a stage starts; return its start time for stage()."""
        if self.level >= 1:
            self.clear()
            print(f"[{name:<11}] {detail or 'starting'} ...", file=self.stream, flush=True)
        return time.perf_counter()

    def stage(self, name: str, detail: str, started: float) -> None:
        """Report a finished stage."""
        if self.level >= 1:
            self.clear()
            print(f"[{name:<11}] {detail} ({time.perf_counter() - started:.2f} s)", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        """Report a detail, in verbose mode only."""
        if self.level >= 2:
            self.clear()
            print(f"              {message}", file=self.stream)

    def count(self, name: str, done: float, total: float | None = None, unit: str = "") -> None:
        """Show how far a long step is, redrawn in place on a terminal: a bar with a total, a running count without."""
        now = time.perf_counter()
        if not self.live or (now - self.drawn_at < self.REDRAW_SECONDS and done != total):
            return
        if total:
            filled = int(self.BAR_WIDTH * min(done / total, 1))
            shown = f"[{'#' * filled}{'.' * (self.BAR_WIDTH - filled)}] {done:g}/{total:g}"
        else:
            shown = f"{done:g}"
        self.stream.write(f"\r[{name:<11}] {shown} {unit}\033[K")
        self.stream.flush()
        self.drawn_at, self.drawn = now, True

    def clear(self) -> None:
        """Erase a running count before a normal line is printed."""
        if self.drawn:
            self.stream.write("\r\033[K")
            self.drawn = False


@dataclasses.dataclass
class CheckedCase:
    """A record whose quotes, units and identifiers passed, with its mapped quads."""

    record: Record
    matches: dict[str, QuoteMatch]
    quads: list[Quad] = dataclasses.field(default_factory=list)


def check_and_map(seeds_dir: Path, ontology_dir: Path, progress: Progress) -> tuple[list[CheckedCase], rdflib.Graph]:
    """Run the stages up to and including SHACL validation; return the mapped cases and the ontology.

    Every problem of every stage is collected and raised together (as Problems) at the end; a record with
    a problem in an early stage is not mapped, so its SHACL violations show once that problem is fixed.
    """
    started = progress.begin("load", f"reading records from {seeds_dir}")
    records, errors = read_records(seeds_dir)
    progress.stage("load", f"{len(records)} records from {seeds_dir}{problem_count(errors)}", started)

    started = progress.begin("ontology", f"reading {ontology_dir}")
    ontology = load_ontology_graph(ontology_dir)
    declared = declared_terms(ontology)
    test_kinds = declared_test_kinds(ontology)
    progress.stage("ontology", f"{len(ontology)} triples, {len(declared)} declared terms", started)

    started = progress.begin("check", "quotes, units and identifiers")
    cases, quote_count, check_errors = [], 0, []
    for record in records:
        matches, quote_errors = locate_quotes(record)
        units, unit_errors = unit_problems(record, test_kinds)
        identifiers, identifier_errors = identifier_problems(record, declared)
        record_errors = quote_errors + unit_errors + identifier_errors
        quote_count += len(matches)
        progress.detail(f"{record.name}: {len(matches)} quotes, {units} units, {identifiers} identifiers"
                        f"{problem_count(record_errors)}")
        check_errors += record_errors
        if not record_errors and not record.problems:
            cases.append(CheckedCase(record, matches))
    progress.stage("check", f"{quote_count} distinct quotes found in their texts; units and identifiers "
                   + (f"checked{problem_count(check_errors)}" if check_errors else "known"), started)
    errors += check_errors

    started = progress.begin("map", f"{len(cases)} records to RDF")
    for case in cases:
        case.quads = list(record_quads(case.record, case.matches))
        progress.detail(f"{case.record.name}: {len(case.quads)} quads")
    progress.stage("map", f"{sum(len(case.quads) for case in cases)} quads", started)

    started = progress.begin("validate", f"{len(cases)} graphs against the SHACL shapes")
    shapes, shape_errors = load_shapes(ontology_dir), []
    for done, case in enumerate(cases, 1):
        shape_errors += shape_problems(quads_to_rdflib(case.quads), ontology, shapes, case.record.name)
        progress.count("validate", done, len(cases), "graphs")
    conforming = len(cases) - len({error.file for error in shape_errors})
    progress.stage("validate", f"{conforming} of {len(cases)} graphs conform to {ontology_dir / 'shapes.ttl'}"
                   f"{problem_count(shape_errors)}", started)
    raise_all(errors + shape_errors)
    return cases, ontology


def problem_count(errors: list) -> str:
    """', 3 problems' for a progress line, or nothing when there are none."""
    return f", {len(errors)} problem{'s' if len(errors) != 1 else ''}" if errors else ""


def quads_to_rdflib(quads: list[Quad]) -> rdflib.Graph:
    """Copy quads (dropping their graph) into an rdflib graph for pySHACL."""
    triples = serialize((quad.triple for quad in quads), format=RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=triples, format="nt")


def validate(seeds_dir: Path, ontology_dir: Path, progress: Progress) -> int:
    """Check records, quotes and shapes without writing a store; return the number of quads."""
    cases, _ = check_and_map(seeds_dir, ontology_dir, progress)
    return sum(len(case.quads) for case in cases)


def build(store_path: Path, seeds_dir: Path, ontology_dir: Path, progress: Progress, reasoning: bool = True,
          reasoner_cache: Path | None = None) -> int:
    """Build the store atomically: a failure leaves the previous store untouched.

    reasoner_cache is the folder keeping HermiT's verdict on the ontology; None runs HermiT every time.
    """
    build_started = datetime.datetime.now(datetime.timezone.utc)
    cases, _ = check_and_map(seeds_dir, ontology_dir, progress)
    documents = list(ontology_documents(ontology_dir))
    provenance = list(provenance_quads(cases, ontology_dir, build_started))
    quads = [quad for case in cases for quad in case.quads] + provenance
    if reasoning:
        quads += reasoning_stage(in_memory(quads, documents), ontology_dir, progress, reasoner_cache)
    started = progress.begin("store", f"writing {len(quads)} quads and {len(documents)} ontology documents")
    size = write_generation(store_path, quads, documents)
    graphs = len(cases) + 3 + (2 if reasoning else 0)
    progress.stage("store", f"{size} quads in {graphs} named graphs at {store_path}", started)
    return size


def in_memory(quads: list[Quad], documents: list[tuple[bytes, RdfFormat, str]]) -> Store:
    """An in-memory store holding the ontology documents and the asserted quads."""
    store = Store()
    for content, rdf_format, graph in documents:
        store.load(content, rdf_format, to_graph=NamedNode(graph))
    store.extend(quads)
    return store


def reasoning_stage(store: Store, ontology_dir: Path, progress: Progress, reasoner_cache: Path | None = None) -> list[Quad]:
    """Run HermiT (or read its cached verdict) and the rules over the store; report and return the new quads."""
    started = progress.begin("reason", "HermiT on the ontology (cached by input digest), then the rules")
    output = reason(store, ontology_dir, reasoner_cache,
                    hermit_tick=lambda seconds: progress.count("reason", round(seconds), unit="s in HermiT"),
                    rule_tick=lambda done, total: progress.count("reason", done, total, "rules"))
    for rule, count in output.rule_counts.items():
        progress.detail(f"{rule}: {count} triples")
    hermit = "cached" if output.hermit_cached else f"{output.hermit_seconds:.1f} s"
    progress.stage("reason", f"HermiT {output.realised} new types ({hermit}), "
                   f"{len(output.rule_counts)} rules {sum(output.rule_counts.values())} triples "
                   f"({output.rules_seconds:.1f} s)", started)
    return output.quads


def write_generation(store_path: Path, quads: list[Quad], documents: list) -> int:
    """Write a new store generation and publish it, or discard it on failure."""
    folder = new_generation(store_path)
    try:
        size = bulk_write(folder, quads, documents)
        publish(store_path, folder)
    except BaseException:
        discard(folder)
        raise
    return size


def rereason(store_path: Path, ontology_dir: Path, progress: Progress, reasoner_cache: Path | None = None) -> int:
    """Recompute the inferences of an existing store and publish them as a new generation."""
    existing = open_store(store_path)
    kept = [quad for quad in existing.quads_for_pattern(None, None, None) if not is_reasoning_quad(quad)]
    del existing
    quads = kept + reasoning_stage(in_memory(kept, []), ontology_dir, progress, reasoner_cache)
    started = progress.begin("store", f"writing {len(quads)} quads")
    size = write_generation(store_path, quads, [])
    progress.stage("store", f"{size} quads at {store_path}", started)
    return size


def ontology_documents(ontology_dir: Path) -> Iterator[tuple[bytes, RdfFormat, str]]:
    """The ontology file and its import modules, each with the named graph it goes into."""
    yield (ontology_dir / ONTOLOGY_FILE).read_bytes(), RdfFormat.RDF_XML, ONTOLOGY_GRAPH
    for module in sorted((ontology_dir / IMPORTS_DIR).glob("*.owl")):
        yield module.read_bytes(), RdfFormat.RDF_XML, IMPORTS_GRAPH


def provenance_quads(cases: list[CheckedCase], ontology_dir: Path,
                     build_started: datetime.datetime) -> Iterator[Quad]:
    """PROV-O for each named graph: what it is, which files it came from, when, by which build."""
    graph = NamedNode(BUILD_GRAPH)
    activity = NamedNode(f"{BUILD}{build_started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}")

    def quad(subject, predicate: str, obj) -> Quad:
        return Quad(subject, NamedNode(predicate), obj, graph)

    def timestamp(moment: datetime.datetime) -> Literal:
        return Literal(moment.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime"))

    def file_entity(path: Path) -> Iterator[Quad]:
        entity = NamedNode(f"{activity.value}/file/{path.name}")
        yield quad(entity, RDF + "type", NamedNode(PROV + "Entity"))
        yield quad(entity, ADE + "fileName", Literal(path.name))
        yield quad(entity, ADE + "sha256", Literal(hashlib.sha256(path.read_bytes()).hexdigest()))
        yield quad(activity, PROV + "used", entity)

    yield quad(activity, RDF + "type", NamedNode(PROV + "Activity"))
    yield quad(activity, RDFS + "label", Literal(f"adekg build {build_started.isoformat(timespec='seconds')}"))
    yield quad(activity, PROV + "startedAtTime", timestamp(build_started))
    yield quad(activity, PROV + "wasAssociatedWith", SOFTWARE)
    yield quad(SOFTWARE, RDF + "type", NamedNode(PROV + "SoftwareAgent"))
    yield quad(SOFTWARE, RDFS + "label", Literal(f"adekg {__version__}"))
    ended = datetime.datetime.now(datetime.timezone.utc)
    yield quad(activity, PROV + "endedAtTime", timestamp(ended))

    ontology_files = [ontology_dir / ONTOLOGY_FILE, *sorted((ontology_dir / IMPORTS_DIR).glob("*.owl"))]
    for iri, files, label in ((ONTOLOGY_GRAPH, ontology_files[:1], "the adekg ontology"),
                              (IMPORTS_GRAPH, ontology_files[1:], "the ontology's import modules")):
        yield from graph_entity(quad, NamedNode(iri), activity, label, ended)
        for path in files:
            yield from file_entity(path)
            yield quad(NamedNode(iri), PROV + "wasDerivedFrom", NamedNode(f"{activity.value}/file/{path.name}"))
    for case in cases:
        record = case.record
        named = NamedNode(source_graph(record.document_id))
        yield from graph_entity(quad, named, activity, f"facts of source document {record.document_id}", ended)
        for path in (record.path, record.text_path):
            yield from file_entity(path)
            yield quad(named, PROV + "wasDerivedFrom", NamedNode(f"{activity.value}/file/{path.name}"))
        yield quad(named, DCTERMS + "source", NamedNode(f"https://w3id.org/adekg/data/{record.document_id}"))
    yield from graph_entity(quad, graph, activity, "provenance of this build", ended)


def graph_entity(quad, named: NamedNode, activity: NamedNode, label: str,
                 generated: datetime.datetime) -> Iterator[Quad]:
    """Describe one named graph as a PROV entity generated by the build."""
    yield quad(named, RDF + "type", NamedNode(PROV + "Entity"))
    yield quad(named, RDFS + "label", Literal(label))
    yield quad(named, PROV + "wasGeneratedBy", activity)
    yield quad(named, PROV + "generatedAtTime",
               Literal(generated.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime")))
