"""Stage 5: write the embedded Oxigraph store atomically, and read it for export and query."""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import IO, Iterable

from pyoxigraph import NamedNode, Quad, QueryBoolean, QueryResultsFormat, QuerySolutions, QueryTriples, RdfFormat, Store, serialize

from .errors import StoreError
from .terms import ONTOLOGY_GRAPH, PREFIXES

GENERATIONS = ".generations"
KEEP_GENERATIONS = 2  # the live store and the one before it, which a running reader may still hold

EXPORT_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "nq": RdfFormat.N_QUADS,
                  "trig": RdfFormat.TRIG, "jsonld": RdfFormat.JSON_LD, "owl": RdfFormat.RDF_XML}
DATASET_FORMATS = {"nq", "trig"}


def generations_dir(store_path: Path) -> Path:
    """The folder that holds each built store generation beside the store link."""
    return store_path.parent / GENERATIONS


def new_generation(store_path: Path) -> Path:
    """Create an empty folder for a new store generation."""
    folder = generations_dir(store_path) / f"{store_path.name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def bulk_write(folder: Path, quads: Iterable[Quad], documents: Iterable[tuple[bytes, RdfFormat, str]]) -> int:
    """Bulk-load quads and whole documents (bytes, format, graph IRI) into a new store; return its size."""
    store = Store(str(folder))
    for content, rdf_format, graph in documents:
        store.bulk_load(content, rdf_format, to_graph=NamedNode(graph))
    store.bulk_extend(quads)
    store.flush()
    store.optimize()
    size = len(store)
    del store  # closes RocksDB before the folder is published
    return size


def publish(store_path: Path, folder: Path) -> None:
    """Point the store link at a finished generation atomically, then prune old generations."""
    store_path.parent.mkdir(parents=True, exist_ok=True)
    if store_path.exists() and not store_path.is_symlink():
        # A store from before generations existed: move it aside once, then link as usual.
        store_path.rename(generations_dir(store_path) / f"{store_path.name}-legacy-{int(time.time())}")
    temporary_link = store_path.parent / f".{store_path.name}.link-{os.getpid()}"
    temporary_link.unlink(missing_ok=True)
    temporary_link.symlink_to(os.path.relpath(folder, store_path.parent))
    os.replace(temporary_link, store_path)
    prune_generations(store_path)


def prune_generations(store_path: Path) -> None:
    """Delete all but the newest generations (the live one is always kept)."""
    live = store_path.resolve()
    folders = sorted(generations_dir(store_path).glob(f"{store_path.name}-*"), key=lambda p: p.stat().st_mtime)
    for folder in folders[:-KEEP_GENERATIONS]:
        if folder.resolve() != live:
            shutil.rmtree(folder, ignore_errors=True)


def discard(folder: Path) -> None:
    """Remove an unfinished generation after a failed build."""
    shutil.rmtree(folder, ignore_errors=True)


def open_store(store_path: Path) -> Store:
    """Open a built store read-only; raise StoreError if there is none."""
    if not store_path.exists():
        raise StoreError("no store here: run 'adekg build' first", file=str(store_path))
    try:
        return Store.read_only(str(store_path))
    except OSError as error:
        raise StoreError(f"cannot open the store ({error})", file=str(store_path)) from None


def syntax_problem(query: str, error: SyntaxError) -> str:
    """A parse error for the CLI: an undeclared prefix by name or where parsing stopped, then the parser's detail."""
    detail = str(error).replace("\n", " ")
    position = re.search(r"error at (\d+):(\d+)", detail)
    if position is None:
        return detail
    line_number, column = int(position.group(1)), int(position.group(2))
    line = (query.splitlines() or [""])[min(line_number, len(query.splitlines() or [""])) - 1]
    name = re.search(r"([A-Za-z][\w.\-]*)?:[\w.\-%\\]*$", line[:column - 1])
    if name is not None and "Prefix not found" in detail:
        problem = (f"prefix `{name.group(1) or ''}:` is not declared (line {line_number}, column {name.start() + 1}); "
                   f"predefined: {', '.join(sorted(PREFIXES))}")
    elif name is not None and line[column - 1:column] == "/":
        problem = f"`/` is not allowed in a prefixed name (line {line_number}, column {column}); write the full <IRI>"
    else:
        problem = f"syntax error at line {line_number}, column {column}"
    return f"{problem} (parser: {detail})"


def run_query(store: Store, query: str):
    """Evaluate a SPARQL query over the union of all named graphs."""
    try:
        return store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    except SyntaxError as error:
        raise StoreError(f"malformed query: {syntax_problem(query, error)}") from None
    except OSError as error:
        raise StoreError(f"query failed: {error}") from None


def export(store: Store, output: IO[bytes], format_name: str, graph: str | None) -> None:
    """Write the store (or one named graph) in a given syntax; 'owl' writes the ontology as RDF/XML."""
    rdf_format = EXPORT_FORMATS[format_name]
    if format_name == "owl":
        graph = ONTOLOGY_GRAPH
    if graph is not None:
        if not store.contains_named_graph(NamedNode(graph)):
            raise StoreError(f"no named graph <{graph}> in the store")
        if format_name in DATASET_FORMATS:
            quads = store.quads_for_pattern(None, None, None, NamedNode(graph))
            serialize(quads, output, rdf_format, prefixes=PREFIXES)
        else:
            store.dump(output, rdf_format, from_graph=NamedNode(graph), prefixes=PREFIXES)
        return
    if format_name in DATASET_FORMATS or rdf_format == RdfFormat.JSON_LD:
        store.dump(output, rdf_format, prefixes=PREFIXES)
        return
    # A triple syntax for the whole store: the union graph, as SPARQL sees it.
    triples = run_query(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    serialize(triples, output, rdf_format, prefixes=PREFIXES)


RESULT_FORMATS = {"json": QueryResultsFormat.JSON, "csv": QueryResultsFormat.CSV,
                  "tsv": QueryResultsFormat.TSV}


def write_results(results, output: IO[bytes], format_name: str) -> None:
    """Write query results as a table, JSON, CSV or TSV (graphs as Turtle)."""
    if isinstance(results, QueryTriples):
        serialize(results, output, RdfFormat.TURTLE, prefixes=PREFIXES)
    elif format_name in RESULT_FORMATS:
        results.serialize(output, RESULT_FORMATS[format_name])
    elif isinstance(results, QueryBoolean):
        output.write(b"true\n" if bool(results) else b"false\n")
    else:
        output.write(table(results).encode("utf-8"))


def table(solutions: QuerySolutions) -> str:
    """Render solutions as an aligned text table with a row count."""
    names = [variable.value for variable in solutions.variables]
    rows = [[shorten(solution[name]) for name in names] for solution in solutions]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(names)]
    lines = [" | ".join(name.ljust(width) for name, width in zip(names, widths)),
             "-+-".join("-" * width for width in widths)]
    lines += [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(lines) + f"\n({len(rows)} rows)\n"


def shorten(term) -> str:
    """Write a term compactly: IRIs as prefixed names where a prefix fits, literals by value."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace):]}"
        return f"<{term.value}>"
    return term.value
