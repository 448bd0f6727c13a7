"""A FAERS quarter written as an N-Quads file for a triplestore's own bulk loader, instead of into the store.

At 10^6 reports a quarter is 60 M triples: too many for one SPARQL Update transaction in Virtuoso (its log of
the swap would need 10-20 GB), and stores load such files fastest with their own loaders (Virtuoso's `ld_dir` and
`rdf_loader_run`, Jena's `tdb2.tdbloader`, GraphDB's ImportRDF, QLever's index builder). `QuadsFile` offers what
graph/faers_import.py calls on a writable store: reads (drug names, drug classes, named graphs) go to the store,
writes go to the file, chunk by chunk, so memory stays bounded by a chunk. The file appears whole or not at all
(written beside it under a temporary name, renamed at the end). A name ending in `.gz` is gzip-compressed.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from pyoxigraph import NamedNode, Quad, RdfFormat, serialize

from .errors import StoreError
from .provenance import forget_graph_update

T = TypeVar("T")


class QuadsFile:
    """A store-like writer: queries go to `reader` (a store), writes become N-Quads lines of one open file."""

    def __init__(self, reader, stream):
        self.reader, self.stream = reader, stream

    def query(self, *args, **kwargs):
        """Ask the store (the file's own content is not read back)."""
        return self.reader.query(*args, **kwargs)

    def named_graphs(self):
        """The store's named graphs."""
        return self.reader.named_graphs()

    def remove_graph(self, graph: NamedNode) -> None:
        """Refuse: a file cannot remove what the store holds, and loading it on top would mix two imports."""
        raise StoreError(f"the store already holds {graph.value}: drop it and what graph:build says of it first "
                         f"(SPARQL Update: {drop_update(graph.value)}), then write the file again and load it")

    def bulk_load(self, data: bytes, rdf_format: RdfFormat, to_graph: NamedNode | None = None, **_options) -> None:
        """Append N-Triples lines (one triple a line, as graph/faers_import.py writes them) as quads of `to_graph`."""
        if rdf_format != RdfFormat.N_TRIPLES or not isinstance(to_graph, NamedNode):
            raise StoreError("a quads file takes N-Triples into a named graph")
        # Each line ends with " .\n" and nowhere else has a line end (literals escape theirs), so the graph goes
        # in front of that end.
        self.stream.write(data.replace(b" .\n", f" <{to_graph.value}> .\n".encode()))

    def bulk_extend(self, quads: Iterable[Quad]) -> None:
        """Append quads (the import's provenance)."""
        self.stream.write(serialize(quads, format=RdfFormat.N_QUADS))


def drop_update(graph: str) -> str:
    """The Update that removes a graph and graph:build's statements about it (its import's own record stays)."""
    return f"DROP SILENT GRAPH <{graph}> ; {forget_graph_update(graph)}"


def write_quads_file(target: Path, reader, change: Callable[[QuadsFile], T]) -> T:
    """Run `change` on a QuadsFile of `target` reading from `reader`; the file exists only if `change` returned."""
    target = Path(target)
    if target.is_dir():
        raise StoreError("the quads file is a folder", file=str(target))
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    opener = (lambda path: gzip.open(path, "wb", compresslevel=1)) if target.suffix == ".gz" else \
        (lambda path: open(path, "wb"))
    try:
        with opener(temporary) as stream:
            result = change(QuadsFile(reader, stream))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result
