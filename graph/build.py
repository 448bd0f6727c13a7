"""The build: load records -> check quotes, units, identifiers -> map -> validate -> write store."""
from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import importlib.metadata
import json
import uuid
from pathlib import Path
from typing import Iterator

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store

from . import __version__
from .content_cache import content_digest, read_result, source_of, write_result
from .errors import StoreError, raise_all
from .progress import Progress
from .identifiers import identifier_problems
from .mapping import record_quads
from .ontology_facts import OntologyFacts, ontology_facts
from .provenance import file_entity_quads
from .quotes import QuoteMatch, locate_quotes
from .reason import is_reasoning_quad, reason
from .records import MAX_RECORD_BYTES, Record, read_records
from .remote_store import is_remote, write_build
from .signals import SIGNALS_GRAPH, link_quads
from .store import (INPUTS, build_lock, bulk_write, carry_graphs, current_generation, discard, mark_complete,
                    new_generation, open_store, publish)
from .terms import (ADE, BUILD, BUILD_GRAPH, DCTERMS, IMPORTS_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, PROV, RDF, RDFS,
                    RULES_GRAPH, XSD, source_graph)
from .units import UnitFacts, unit_problems
from .validate import SHAPES_FILE, load_shapes, membership_shape_results, owned_shape_problems

ONTOLOGY_FILE = "adekg.owl"
IMPORTS_DIR = "imports"
SOFTWARE = NamedNode(f"https://w3id.org/adekg/software/adekg/{__version__}")


@dataclasses.dataclass
class CheckedCase:
    """A record whose quotes, units and identifiers passed, with its mapped quads."""

    record: Record
    matches: dict[str, QuoteMatch]
    quads: list[Quad] = dataclasses.field(default_factory=list)


def check_and_map(seeds_dir: Path, ontology_dir: Path, progress: Progress, max_record_bytes: int = MAX_RECORD_BYTES,
                  cache_dir: Path | None = None) -> tuple[list[CheckedCase], OntologyFacts]:
    """Run the stages up to and including SHACL validation; return the mapped cases and what they read of the ontology.

    cache_dir (the build's reasoner cache) also keeps what the unit checks learnt of each unit code, what the
    checks read of the ontology and the SHACL results, each keyed by the SHA-256 of its inputs (README.md, Command line).

    Every problem of every stage is collected and raised together (as Problems) at the end; a record with
    a problem in an early stage is not mapped, so its SHACL violations show once that problem is fixed.
    """
    started = progress.begin("load", f"reading records from {seeds_dir}")
    records, errors = read_records(seeds_dir, max_record_bytes)
    progress.stage("load", f"{len(records)} records from {seeds_dir}{problem_count(errors)}", started)

    started = progress.begin("ontology", f"reading {ontology_dir}")
    ontology = ontology_facts(ontology_dir, cache_dir)
    declared, test_kinds = ontology.declared, ontology.test_kinds
    progress.stage("ontology", f"{ontology.triples} triples, {len(declared)} declared terms", started)

    started = progress.begin("check", "quotes, units and identifiers")
    cases, quote_count, check_errors = [], 0, []
    unit_facts = UnitFacts(cache_dir)
    for record in records:
        matches, quote_errors = locate_quotes(record)
        units, unit_errors = unit_problems(record, test_kinds, unit_facts)
        identifiers, identifier_errors = identifier_problems(record, declared)
        record_errors = quote_errors + unit_errors + identifier_errors
        quote_count += len(matches)
        progress.detail(f"{record.name}: {len(matches)} quotes, {units} units, {identifiers} identifiers"
                        f"{problem_count(record_errors)}")
        check_errors += record_errors
        if not record_errors and not record.problems:
            cases.append(CheckedCase(record, matches))
    unit_facts.save()
    progress.stage("check", f"{quote_count} distinct quotes found in their texts; units and identifiers "
                   + (f"checked{problem_count(check_errors)}" if check_errors else "known"), started)
    errors += check_errors

    started = progress.begin("map", f"{len(cases)} records to RDF")
    for case in cases:
        case.quads = list(record_quads(case.record, case.matches))
        progress.detail(f"{case.record.name}: {len(case.quads)} quads")
    progress.stage("map", f"{sum(len(case.quads) for case in cases)} quads", started)

    started = progress.begin("validate", f"{len(cases)} graphs against the SHACL shapes, in one run")
    shapes_file = ontology_dir / SHAPES_FILE
    shape_errors = owned_shape_problems(shape_results(cases, ontology, ontology_dir, cache_dir), node_owners(cases),
                                        str(shapes_file))
    conforming = len(cases) - len({error.file for error in shape_errors} - {str(shapes_file)})
    progress.stage("validate", f"{conforming} of {len(cases)} graphs conform to {shapes_file}"
                   f"{problem_count(shape_errors)}", started)
    raise_all(errors + shape_errors)
    return cases, ontology


def shape_results(cases: list[CheckedCase], ontology: OntologyFacts, ontology_dir: Path,
                  cache_dir: Path | None = None) -> list[tuple[str, str]]:
    """(focus IRI, line) per SHACL violation of the cases' quads, kept by the SHA-256 of data, shapes and ontology."""
    quads = [quad for case in cases for quad in case.quads]
    digest = None
    if cache_dir is not None and ontology.digest is not None and (ontology_dir / SHAPES_FILE).is_file():
        digest = content_digest(["shacl", ontology.digest, f"pyshacl {importlib.metadata.version('pyshacl')}",
                                 *source_of("graph.validate", __name__), (ontology_dir / SHAPES_FILE).read_bytes(),
                                 "\n".join(sorted({f"{quad.subject} {quad.predicate} {quad.object}" for quad in quads}))])
        kept = read_result(cache_dir, "shacl", digest)
        if isinstance(kept, list) and all(isinstance(item, list) and len(item) == 2 for item in kept):
            return [(str(focus), str(line)) for focus, line in kept]
    results = [(str(focus), line) for focus, line in membership_shape_results(
        quads_to_rdflib(quads), ontology.membership_graph(), load_shapes(ontology_dir))]
    if digest is not None:
        write_result(cache_dir, "shacl", digest, results)
    return results


def node_owners(cases: list[CheckedCase]) -> dict[str, list[str]]:
    """The records whose quads have a node as subject (else as object), by the node's IRI."""
    subjects: dict[str, list[str]] = {}
    objects: dict[str, list[str]] = {}
    for case in cases:
        for quad in case.quads:
            for term, owners in ((quad.subject, subjects), (quad.object, objects)):
                if isinstance(term, NamedNode) and case.record.name not in owners.setdefault(term.value, []):
                    owners[term.value].append(case.record.name)
    return {**objects, **subjects}


def problem_count(errors: list) -> str:
    """', 3 problems' for a progress line, or nothing when there are none."""
    return f", {len(errors)} problem{'s' if len(errors) != 1 else ''}" if errors else ""


def quads_to_rdflib(quads: list[Quad]) -> rdflib.Graph:
    """Copy quads (dropping their graph) into an rdflib graph for pySHACL, term by term."""
    import rdflib  # here: a build whose SHACL results are cached never loads rdflib

    graph = rdflib.Graph()
    for quad in quads:
        graph.add((rdflib_term(quad.subject), rdflib_term(quad.predicate), rdflib_term(quad.object)))
    return graph


def rdflib_term(term) -> rdflib.term.Node:
    """The rdflib term of a pyoxigraph IRI, blank node or literal."""
    import rdflib

    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        # rdflib keeps xsd:string literals without a datatype, as its parsers make them.
        datatype = None if term.datatype.value == XSD + "string" else rdflib.URIRef(term.datatype.value)
        return rdflib.Literal(term.value, datatype=datatype)
    return rdflib.BNode(term.value)


def validate(seeds_dir: Path, ontology_dir: Path, progress: Progress, max_record_bytes: int = MAX_RECORD_BYTES,
             cache_dir: Path | None = None) -> int:
    """Check records, quotes and shapes without writing a store; return the number of quads (cache_dir: as a build's)."""
    cases, _ = check_and_map(seeds_dir, ontology_dir, progress, max_record_bytes, cache_dir)
    return sum(len(case.quads) for case in cases)


def holding_build_lock(function):
    """Run a step that writes the store (its first argument) with the store's build lock held throughout."""
    @functools.wraps(function)
    def locked(store_path: Path, *args, **kwargs):
        with build_lock(store_path):
            return function(store_path, *args, **kwargs)
    return locked


@holding_build_lock
def build(store_path: Path, seeds_dir: Path, ontology_dir: Path, progress: Progress, reasoning: bool = True,
          reasoner_cache: Path | None = None, max_record_bytes: int = MAX_RECORD_BYTES) -> int:
    """Build the store atomically: a failure leaves the previous store untouched.

    reasoner_cache is the folder keeping HermiT's verdict on the ontology; None runs HermiT every time.
    """
    build_started = datetime.datetime.now(datetime.timezone.utc)
    inputs = input_hashes(seeds_dir, ontology_dir)
    cases, _ = check_and_map(seeds_dir, ontology_dir, progress, max_record_bytes, reasoner_cache)
    documents = list(ontology_documents(ontology_dir))
    provenance = list(provenance_quads(cases, ontology_dir, build_started))
    quads = [quad for case in cases for quad in case.quads] + provenance
    if reasoning:
        quads += reasoning_stage(in_memory(quads, documents), ontology_dir, progress, reasoner_cache)
    started = progress.begin("store", f"writing {len(quads)} quads and {len(documents)} ontology documents")
    size = write_generation(store_path, quads, documents, inputs)
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


def write_generation(store_path: Path, quads: list[Quad], documents: list, inputs: dict) -> int:
    """Write a new store generation, mark it complete and publish it, or discard it on failure."""
    if is_remote(store_path):  # an external store: replace the build's graphs there (docs/external-store.md)
        return write_build(store_path, quads, documents, lambda graph: not imported_graph(graph), imported_provenance)
    folder = new_generation(store_path)
    try:
        size = bulk_write(folder, quads, documents)
        size += carry_graphs(store_path, folder, imported_graph, imported_provenance)
        if size:
            relink_signals(folder)
        mark_complete(folder, inputs)
        publish(store_path, folder)
    except BaseException:
        discard(folder)
        raise
    return size


@holding_build_lock
def rereason(store_path: Path, ontology_dir: Path, progress: Progress, reasoner_cache: Path | None = None) -> int:
    """Recompute the inferences of an existing store and publish them as a new generation."""
    inputs = {**built_inputs(store_path), "ontology": folder_hashes(ontology_dir)}
    existing = open_store(store_path)
    kept = [quad for quad in existing.quads_for_pattern(None, None, None) if not is_reasoning_quad(quad)]
    del existing
    quads = kept + reasoning_stage(in_memory(kept, []), ontology_dir, progress, reasoner_cache)
    started = progress.begin("store", f"writing {len(quads)} quads")
    size = write_generation(store_path, quads, [], inputs)
    progress.stage("store", f"{size} quads at {store_path}", started)
    return size


BUILT_GRAPHS = {ONTOLOGY_GRAPH, IMPORTS_GRAPH, INFERRED_GRAPH, RULES_GRAPH, BUILD_GRAPH}
IMPORT_ACTIVITIES = (BUILD + "faers-import-", BUILD + "load-", BUILD + "signals-")


def imported_graph(graph: str) -> bool:
    """Whether a named graph came from an import or a load (a build keeps it) rather than from the build."""
    return graph not in BUILT_GRAPHS and not graph.startswith(source_graph(""))


def imported_provenance(subject: str) -> bool:
    """Whether a graph:build subject describes an import, a load or the signals (a build keeps it)."""
    return subject.startswith(IMPORT_ACTIVITIES) or imported_graph(subject)


def relink_signals(folder: Path) -> None:
    """Link the new build's class-level risks to the signals it carried over."""
    store = Store(str(folder))
    graph = NamedNode(SIGNALS_GRAPH)
    if graph in set(store.named_graphs()):
        for quad in list(store.quads_for_pattern(None, NamedNode(ADE + "hasDisproportionalitySignal"), None, graph)):
            store.remove(quad)
        store.bulk_extend(link_quads(store))
        store.flush()
    del store


def input_files(folder: Path) -> list[Path]:
    """Every file a build may read below a folder (hidden files and docs aside), in order."""
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.rglob("*")) if path.is_file() and path.suffix != ".md"
            and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts)]


def folder_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every input file below a folder, by relative path."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in input_files(folder)}


def input_hashes(seeds_dir: Path, ontology_dir: Path) -> dict[str, dict[str, str]]:
    """What a build is made from: the file hashes of its seeds and ontology folders."""
    return {"seeds": folder_hashes(seeds_dir), "ontology": folder_hashes(ontology_dir)}


def built_inputs(store_path: Path) -> dict:
    """The input hashes the current generation was built from ({} if it does not record them)."""
    try:
        return json.loads((current_generation(store_path) / INPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stale_inputs(store_path: Path, seeds_dir: Path, ontology_dir: Path) -> str | None:
    """Why the store does not reflect these seeds and ontology folders, in a few words; None if it does."""
    try:
        generation = current_generation(store_path)
    except StoreError:
        return "there is no store yet"
    built = built_inputs(store_path)
    if not built:
        # A store that does not record its inputs (an older layout, or made by other means): only files
        # changed after it was written make it stale. RocksDB's CURRENT file keeps the time it was written.
        written = (generation / "CURRENT").stat().st_mtime
        newer = [f"{folder} has files newer than the store ({', '.join(names[:5])})"
                 for folder in (seeds_dir, ontology_dir)
                 if (names := [path.name for path in input_files(folder) if path.stat().st_mtime > written])]
        return "; ".join(newer) or None
    now = input_hashes(seeds_dir, ontology_dir)
    changes = [f"{folder} differs from what the store was built from ({changed})"
               for folder, label in ((seeds_dir, "seeds"), (ontology_dir, "ontology"))
               if (changed := file_changes(built.get(label, {}), now[label]))]
    return "; ".join(changes) or None


def file_changes(before: dict[str, str], after: dict[str, str], shown: int = 5) -> str:
    """Name the files that changed, appeared or disappeared between two hash tables ('' if none)."""
    changes = [f"{name} {'changed' if name in after else 'removed'}" if name in before else f"{name} added"
               for name in sorted(before.keys() | after.keys()) if before.get(name) != after.get(name)]
    more = f" and {len(changes) - shown} more" if len(changes) > shown else ""
    return ", ".join(changes[:shown]) + more


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
            yield from file_entity_quads(activity, path, graph, derived=[NamedNode(iri)])
    for case in cases:
        record = case.record
        named = NamedNode(source_graph(record.document_id))
        yield from graph_entity(quad, named, activity, f"facts of source document {record.document_id}", ended)
        for path in (record.path, record.text_path):
            yield from file_entity_quads(activity, path, graph, derived=[named])
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
