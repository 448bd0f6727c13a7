"""Source: any RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) bulk-loaded into a named graph."""
from __future__ import annotations

import contextlib
import datetime
import gzip
import uuid
import zlib
from pathlib import Path
from typing import Iterator

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, parse

from . import __version__
from .errors import AdekgError
from .provenance import file_entity_quads
from .terms import ADE, BUILD, BUILD_GRAPH, GRAPH, PROV, RDF, RDFS, XSD

FORMATS = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES, ".nq": RdfFormat.N_QUADS, ".trig": RdfFormat.TRIG,
           ".rdf": RdfFormat.RDF_XML, ".owl": RdfFormat.RDF_XML, ".xml": RdfFormat.RDF_XML,
           ".jsonld": RdfFormat.JSON_LD, ".json": RdfFormat.JSON_LD, ".n3": RdfFormat.N3}
DATASET_FORMATS = {RdfFormat.N_QUADS, RdfFormat.TRIG}


class LoadError(AdekgError):
    """A file that cannot be loaded: unknown syntax, a parse error, a graph name that is not an IRI."""


def rdf_format(path: Path) -> RdfFormat:
    """The RDF syntax of a file, by its extension (under a .gz)."""
    suffix = Path(path.stem).suffix if path.suffix.lower() == ".gz" else path.suffix
    try:
        return FORMATS[suffix.lower()]
    except KeyError:
        raise LoadError(f"unknown RDF file extension {suffix!r} (known: {', '.join(sorted(FORMATS))}, each also .gz)",
                        file=str(path)) from None


def load_files(store: Store, paths: list[Path], graph: str, merged: set[str] | None = None) -> int:
    """Replace a named graph of a writable store with the triples of the files; return how many it then holds.

    Each file is streamed to the bulk loader (memory bounded by its batches, not by the file). A dataset's
    (N-Quads, TriG) triples go into `graph` whatever graph they name; the names are added to `merged`. A syntax
    error names its file and place; the caller's new generation is then discarded, so nothing is written.
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
        rdf_format(path)
    if target in set(store.named_graphs()):
        store.remove_graph(target)
    for path in paths:
        syntax, base = rdf_format(path), path.resolve().as_uri()
        try:
            with (gzip.open(path, "rb") if path.suffix.lower() == ".gz" else contextlib.nullcontext()) as unzipped:
                if syntax in DATASET_FORMATS:
                    quads = parse(unzipped, syntax, path=None if unzipped is not None else str(path), base_iri=base,
                                  rename_blank_nodes=True)
                    store.bulk_extend(into_graph(quads, target, set() if merged is None else merged))
                elif unzipped is not None:
                    store.bulk_load(unzipped, syntax, base_iri=base, to_graph=target)
                else:
                    store.bulk_load(path=str(path), format=syntax, base_iri=base, to_graph=target)
        except (SyntaxError, OSError, EOFError, zlib.error) as error:  # the last three: a damaged .gz
            raise LoadError(f"not valid {syntax.name}: {error}", file=str(path)) from None
    count = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(count))["n"].value)


def into_graph(quads: Iterator[Quad], target: NamedNode, merged: set[str]) -> Iterator[Quad]:
    """A dataset's quads moved into one named graph, noting the graph names they had."""
    for quad in quads:
        if not isinstance(quad.graph_name, DefaultGraph):
            merged.add(quad.graph_name.value)
        yield Quad(quad.subject, quad.predicate, quad.object, target)


def provenance_quads(paths: list[Path], graph: str, triples: int, merged: set[str] = frozenset()) -> Iterator[Quad]:
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
    if merged:
        yield quad(activity, RDFS + "comment", Literal("the files' datasets named these graphs, merged into "
                                                       f"{graph}: {', '.join(sorted(merged))}"))
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
        merged: set[str] = set()
        triples = load_files(store, paths, graph, merged)
        store.bulk_extend(provenance_quads(paths, graph, triples, merged))
        return triples

    return derive_generation(store_path, change)
