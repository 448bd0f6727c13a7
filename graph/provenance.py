"""PROV-O shared by the build, the FAERS import and the RDF loader: the input files an activity used."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Quad

from .terms import ADE, BUILD_GRAPH, PROV, RDF


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entity_quads(activity: NamedNode, path: Path, graph: NamedNode,
                      derived: Iterable[NamedNode] = ()) -> Iterator[Quad]:
    """A file the activity used, as a PROV entity with its name and SHA-256; the named graphs derived from it."""
    entity = NamedNode(f"{activity.value}/file/{path.name}")
    yield Quad(entity, NamedNode(RDF + "type"), NamedNode(PROV + "Entity"), graph)
    yield Quad(entity, NamedNode(ADE + "fileName"), Literal(path.name), graph)
    yield Quad(entity, NamedNode(ADE + "sha256"), Literal(sha256(path)), graph)
    yield Quad(activity, NamedNode(PROV + "used"), entity, graph)
    for named in derived:
        yield Quad(named, NamedNode(PROV + "wasDerivedFrom"), entity, graph)


def forget_graph_update(graph: str) -> str:
    """The SPARQL Update that removes what graph:build says of a graph (the activity that made it keeps its record)."""
    return f"DELETE WHERE {{ GRAPH <{BUILD_GRAPH}> {{ <{graph}> ?p ?o }} }}"
