"""Source: any RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) bulk-loaded into a named graph."""
from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Iterator

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store

from . import __version__
from .errors import AdekgError
from .provenance import file_entity_quads
from .terms import ADE, BUILD, BUILD_GRAPH, GRAPH, PROV, RDF, RDFS, XSD

FORMATS = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES, ".nq": RdfFormat.N_QUADS, ".trig": RdfFormat.TRIG,
           ".rdf": RdfFormat.RDF_XML, ".owl": RdfFormat.RDF_XML, ".xml": RdfFormat.RDF_XML,
           ".jsonld": RdfFormat.JSON_LD, ".json": RdfFormat.JSON_LD, ".n3": RdfFormat.N3}
DATASET_FORMATS = {RdfFormat.N_QUADS, RdfFormat.TRIG}


class LoadError(AdekgError):
    """A file that cannot be loaded: unknown syntax, a parse error, or a dataset given for one graph."""


def rdf_format(path: Path) -> RdfFormat:
    """The RDF syntax of a file, by its extension."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise LoadError(f"unknown RDF file extension {path.suffix!r} (known: {', '.join(sorted(FORMATS))})",
                        file=str(path)) from None


def load_files(store: Store, paths: list[Path], graph: str) -> int:
    """Replace a named graph of a writable store with the triples of the files; return how many were loaded.

    Files are parsed strictly first (so a syntax error names its file and line before anything is written),
    then bulk-loaded; datasets (N-Quads, TriG) are refused because their graphs would bypass `graph`.
    """
    if graph.startswith(GRAPH) and not graph.startswith(GRAPH + "loaded/"):
        raise LoadError(f"{graph} is one of adekg's own graphs; load into another IRI (e.g. {GRAPH}loaded/<name>)")
    try:
        target = NamedNode(graph)
    except ValueError as error:
        raise LoadError(f"--graph {graph!r} is not an absolute IRI ({error})") from None
    for path in paths:
        if not path.is_file():
            raise LoadError("no such file", file=str(path))
        if rdf_format(path) in DATASET_FORMATS:
            raise LoadError("a dataset (N-Quads/TriG) names its own graphs; load it with --graph per graph "
                            "after splitting, or give Turtle/N-Triples/RDF/XML/JSON-LD", file=str(path))
    scratch = Store()
    for path in paths:
        try:
            scratch.load(path=str(path), format=rdf_format(path), base_iri=path.resolve().as_uri(), to_graph=target)
        except SyntaxError as error:
            raise LoadError(f"not valid {rdf_format(path).name}: {error}", file=str(path)) from None
    if target in set(store.named_graphs()):
        store.remove_graph(target)
    store.bulk_extend(scratch.quads_for_pattern(None, None, None, target))
    return len(scratch)


def provenance_quads(paths: list[Path], graph: str, triples: int) -> Iterator[Quad]:
    """PROV-O: the graph was loaded by this activity from these files (name, SHA-256), with its size."""
    build_graph = NamedNode(BUILD_GRAPH)
    now = datetime.datetime.now(datetime.timezone.utc)
    activity = NamedNode(f"{BUILD}load-{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}")
    named = NamedNode(graph)

    def quad(subject, predicate: str, obj) -> Quad:
        return Quad(subject, NamedNode(predicate), obj, build_graph)

    stamp = Literal(now.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime"))
    yield quad(activity, RDF + "type", NamedNode(PROV + "Activity"))
    yield quad(activity, RDFS + "label", Literal(f"adekg load into {graph}"))
    yield quad(activity, PROV + "endedAtTime", stamp)
    yield quad(activity, PROV + "wasAssociatedWith", NamedNode(f"https://w3id.org/adekg/software/adekg/{__version__}"))
    yield quad(named, RDF + "type", NamedNode(PROV + "Entity"))
    yield quad(named, PROV + "wasGeneratedBy", activity)
    yield quad(named, PROV + "generatedAtTime", stamp)
    yield quad(named, ADE + "tripleCount", Literal(str(triples), datatype=NamedNode(XSD + "integer")))
    for path in paths:
        yield from file_entity_quads(activity, path, build_graph, derived=[named])


def load_into_store(store_path: Path, paths: list[Path], graph: str) -> int:
    """Replace one named graph of the store with the files' triples, with provenance, in a new generation."""
    from .store import derive_generation

    def change(store: Store) -> int:
        triples = load_files(store, paths, graph)
        store.bulk_extend(provenance_quads(paths, graph, triples))
        return triples

    return derive_generation(store_path, change)
