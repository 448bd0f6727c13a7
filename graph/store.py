"""Stage 5: write the embedded Oxigraph store atomically, and read it for export and query."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, TypeVar

from pyoxigraph import (Literal, NamedNode, Quad, QueryBoolean, QueryResultsFormat, QuerySolutions,
                        RdfFormat, Store, Triple, serialize)

from . import remote_store
from .errors import StoreError
from .remote_store import is_remote
from .terms import BUILD_GRAPH, ONTOLOGY_GRAPH, PREFIXES

# The on-disk layout (README "The store"): P/generations/<name>/ each a pyoxigraph store, COMPLETE once it
# is whole, READERS.lock held shared by its readers; P/current a relative symlink; P/build.lock.
# server/generation.py reads the same layout (the server never imports graph/).
GENERATIONS = "generations"
CURRENT = "current"
COMPLETE = "COMPLETE"
READERS_LOCK = "READERS.lock"
BUILD_LOCK = "build.lock"
INPUTS = "INPUTS.json"
LEGACY_GENERATIONS = ".generations"  # the sibling folder of the layout before this one

T = TypeVar("T")

EXPORT_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "nq": RdfFormat.N_QUADS,
                  "trig": RdfFormat.TRIG, "jsonld": RdfFormat.JSON_LD, "owl": RdfFormat.RDF_XML}
DATASET_FORMATS = {"nq", "trig"}


@contextlib.contextmanager
def build_lock(store_path: Path) -> Iterator[None]:
    """Hold P/build.lock exclusively for a whole build; a second build at the same time gets a StoreError."""
    if is_remote(store_path):  # an external store has no lock of ours (docs/external-store.md)
        yield
        return
    refuse_generation(store_path)
    created = not os.path.lexists(store_path)
    migrate_legacy(store_path)
    store_path.mkdir(parents=True, exist_ok=True)
    lock = store_path / BUILD_LOCK
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError("another build is writing this store (build.lock is held); wait for it to end",
                         file=str(store_path)) from None
    try:
        remove_incomplete(store_path)
        yield
    finally:
        if created and not (store_path / CURRENT).is_symlink():
            # A first build that failed leaves nothing behind, as if it had never started.
            shutil.rmtree(store_path, ignore_errors=True)
        os.close(fd)


def refuse_generation(folder: Path) -> None:
    """Refuse to write into one generation of a store as if it were a store (it would be moved and then lost)."""
    if (folder / COMPLETE).is_file() or (folder.parent.name == GENERATIONS
                                         and (folder.parent.parent / CURRENT).is_symlink()):
        raise StoreError(f"this is one generation of the store {folder.parent.parent}, which only that store's "
                         "commands may change: give --store that folder", file=str(folder))


def generation_folders(store_path: Path) -> list[Path]:
    """Every generation folder of a store, oldest name first."""
    folder = store_path / GENERATIONS
    return sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []


def remove_incomplete(store_path: Path) -> None:
    """Delete generations without COMPLETE: with the build lock held, they belong to dead builds.

    Never the one `current` names: published, it was whole, so a missing COMPLETE there is damage to report
    (current_generation refuses it), not a dead build's leftover to delete.
    """
    link = store_path / CURRENT
    published = (store_path / os.readlink(link)).resolve() if link.is_symlink() else None
    for generation in generation_folders(store_path):
        if not (generation / COMPLETE).is_file() and generation.resolve() != published:
            shutil.rmtree(generation, ignore_errors=True)
    for temporary in store_path.glob(f".{CURRENT}-*"):
        temporary.unlink(missing_ok=True)


def new_generation(store_path: Path) -> Path:
    """Create an empty generation folder with its readers' lock file."""
    name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"
    folder = store_path / GENERATIONS / name
    folder.mkdir(parents=True)
    (folder / READERS_LOCK).touch()
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
    del store  # closes RocksDB before the folder is read back and published
    read_back = len(Store.read_only(str(folder)))
    if read_back != size:
        raise StoreError(f"read-back check failed: wrote {size} quads, read {read_back}", file=str(folder))
    return size


def mark_complete(folder: Path, inputs: dict) -> None:
    """Record the build's input hashes and write COMPLETE, both fsynced with the folder."""
    for name, content in ((INPUTS, json.dumps(inputs, indent=1, sort_keys=True)),
                          (COMPLETE, time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))):
        with open(folder / name, "w", encoding="utf-8") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
    fsync_folder(folder)


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (new files, renamed links) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(store_path: Path, folder: Path) -> None:
    """Swap P/current to a COMPLETE generation atomically, then prune the ones no reader holds."""
    if not (folder / COMPLETE).is_file():
        raise StoreError("refusing to publish a generation that is not COMPLETE", file=str(folder))
    link = store_path / CURRENT
    previous = link.resolve() if link.is_symlink() else None
    temporary = store_path / f".{CURRENT}-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(Path(GENERATIONS) / folder.name)
    os.replace(temporary, link)
    fsync_folder(store_path)
    prune(store_path, keep={folder.resolve(), previous})


def prune(store_path: Path, keep: set) -> None:
    """Delete generations outside `keep` whose READERS.lock nobody holds (a live reader keeps its own)."""
    for generation in generation_folders(store_path):
        if generation.resolve() in keep:
            continue
        try:
            fd = os.open(generation / READERS_LOCK, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            shutil.rmtree(generation, ignore_errors=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a reader has it open
        remove_locked(generation, fd)


def remove_locked(generation: Path, fd: int) -> None:
    """Delete a generation while holding its lock exclusively, so no reader can take it meanwhile."""
    try:
        (generation / COMPLETE).unlink(missing_ok=True)  # a reader that locks it after us sees it is gone
        shutil.rmtree(generation, ignore_errors=True)
    finally:
        os.close(fd)


def derive_generation(store_path: Path, change: Callable[[Store], T], compact: bool = True) -> T:
    """Publish a new generation made of the current one plus `change` (run on a writable copy); return its result.

    The copy is a RocksDB checkpoint (hard links, no copying), so a change to a large store costs only what
    it writes; a change that raises leaves the current generation as it was. An external store (a URL) gets the
    same contract from graph/remote_store.py. `compact=False` skips the final `optimize`, which rewrites the
    whole store (5 s at 10^4 FAERS reports, growing with the store): for a change that writes little.
    """
    if is_remote(store_path):
        return remote_store.derive(store_path, change)
    with build_lock(store_path):
        source = current_generation(store_path)
        folder = store_path / GENERATIONS / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"
        try:
            Store.read_only(str(source)).backup(str(folder))
            (folder / READERS_LOCK).touch()
            store = Store(str(folder))
            result = change(store)
            store.flush()
            if compact:
                store.optimize()
            del store
            inputs = source / INPUTS
            mark_complete(folder, json.loads(inputs.read_text(encoding="utf-8")) if inputs.is_file() else {})
            publish(store_path, folder)
        except BaseException:
            discard(folder)
            raise
        return result


def optimize(store_path: Path) -> None:
    """Publish a compacted copy of the current generation (what `oxigraph optimize` does, as a new generation).

    Reads of a generation that `adekg signals` or many bulk loads wrote visit every file those loads left;
    compacting merges them. It rewrites the whole store, so it costs minutes at 10^6 FAERS reports.
    """
    if is_remote(store_path):
        raise StoreError("optimize compacts the embedded store; an external store compacts itself",
                         file=str(store_path))
    derive_generation(store_path, lambda store: None, compact=True)


def carry_graphs(store_path: Path, folder: Path, graphs: Callable[[str], bool],
                 build_subjects: Callable[[str], bool]) -> int:
    """Copy the named graphs a build does not own (imports, loads, signals) from the current generation into a
    new one, with their provenance from graph:build; return how many quads were copied (streamed, not held)."""
    if not (store_path / CURRENT).is_symlink() and not (store_path / "CURRENT").is_file():
        return 0  # a first build: nothing to carry
    # A current generation that cannot be read is an error, not "nothing": carrying nothing would drop the imports.
    source = Store.read_only(str(current_generation(store_path)))
    carried = [graph for graph in source.named_graphs() if isinstance(graph, NamedNode) and graphs(graph.value)]
    if not carried:
        return 0
    counter = Counter()

    def quads() -> Iterator[Quad]:
        for graph in carried:
            for quad in source.quads_for_pattern(None, None, None, graph):
                counter["quads"] += 1
                yield quad
        for quad in source.quads_for_pattern(None, None, None, NamedNode(BUILD_GRAPH)):
            if build_subjects(quad.subject.value):
                counter["quads"] += 1
                yield quad

    target = Store(str(folder))
    target.bulk_extend(quads())
    target.flush()
    del target
    return counter["quads"]


def discard(folder: Path) -> None:
    """Remove an unfinished generation after a failed build."""
    shutil.rmtree(folder, ignore_errors=True)


def migrate_legacy(store_path: Path) -> None:
    """Move a store of an older layout (P a pyoxigraph folder, or a link into ../.generations/) inside P."""
    if (store_path / CURRENT).is_symlink() or not (store_path / "CURRENT").is_file():
        return  # the current layout, or nothing yet (RocksDB's CURRENT file marks a bare pyoxigraph store)
    old = Path(os.path.realpath(store_path))
    staging = store_path.parent / f".{store_path.name}.migrating-{os.getpid()}"
    (staging / GENERATIONS).mkdir(parents=True)
    generation = staging / GENERATIONS / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-legacy-{secrets.token_hex(3)}"
    os.rename(old, generation)
    (generation / READERS_LOCK).touch()
    mark_complete(generation, {})  # it was published, so it was whole
    (staging / CURRENT).symlink_to(Path(GENERATIONS) / generation.name)
    if store_path.is_symlink():
        store_path.unlink()
        if old.parent.name == LEGACY_GENERATIONS:  # the older generations of that layout go with it
            for stale in old.parent.glob(f"{store_path.name}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            with contextlib.suppress(OSError):
                old.parent.rmdir()
    os.rename(staging, store_path)


def current_generation(store_path: Path) -> Path:
    """The folder of the current complete generation; P itself if P is a store of an older layout."""
    if is_remote(store_path):  # an OSError, as for a missing folder: callers that may see either read it as "none"
        raise FileNotFoundError(f"{store_path}: an external store has no generation folders")
    link = store_path / CURRENT
    if link.is_symlink():
        generation = store_path / os.readlink(link)
        if (generation / COMPLETE).is_file():
            return generation
        raise StoreError(f"the current generation {generation.name} is not complete (no {COMPLETE} file): if its data "
                         f"is whole, restore that file; to start anew, remove the store folder", file=str(store_path))
    if (store_path / "CURRENT").is_file():
        return Path(os.path.realpath(store_path))
    raise StoreError("no store here: run 'adekg build' first", file=str(store_path))


def open_store(store_path: Path) -> Store:
    """Open the current generation read-only, holding its READERS.lock shared until this process ends.

    For an external store (a URL): a local in-memory copy of its named graphs.
    """
    if is_remote(store_path):
        return remote_store.snapshot(store_path)
    generation = current_generation(store_path)
    try:
        fd = os.open(generation / READERS_LOCK, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        # Never closed on purpose: a Store cannot carry it, and a command lives as long as its store.
        fcntl.flock(fd, fcntl.LOCK_SH)
    except OSError:
        pass  # pruned just now (the read below fails with a clear error), or a read-only legacy store
    try:
        return Store.read_only(str(generation))
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


def run_query(store: Store, query: str, union: bool = True):
    """Evaluate a SPARQL query over the union of all named graphs (or, with union=False, the store's own dataset)."""
    try:
        return store.query(query, use_default_graph_as_union=union, prefixes=PREFIXES)
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
        quads = store.quads_for_pattern(None, None, None, NamedNode(graph))
        if rdf_format in READABLE:
            write_readable(quads if format_name in DATASET_FORMATS else (quad.triple for quad in quads),
                           output, rdf_format)
        elif format_name in DATASET_FORMATS:
            serialize(quads, output, rdf_format, prefixes=PREFIXES)
        else:
            store.dump(output, rdf_format, from_graph=NamedNode(graph), prefixes=PREFIXES)
        return
    if rdf_format in READABLE and format_name in DATASET_FORMATS:
        write_readable(store.quads_for_pattern(None, None, None), output, rdf_format)
    elif format_name in DATASET_FORMATS or rdf_format == RdfFormat.JSON_LD:
        store.dump(output, rdf_format, prefixes=PREFIXES)
    else:
        # A triple syntax for the whole store: the union graph, as SPARQL sees it.
        triples = run_query(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        if rdf_format in READABLE:
            write_readable(triples, output, rdf_format)
        else:
            serialize(triples, output, rdf_format, prefixes=PREFIXES)


# pyoxigraph writes an IRI with the longest declared prefix that matches, escaping what the local name
# cannot hold (`data:000\/patient`), so Turtle and TriG declare only prefixes under which every IRI of the
# output reads plainly; the rest is written in full. A folder one or two steps below a project prefix with
# at least this many IRIs gets a prefix of its own (`data-000-quote:12`, named after the prefix and path).
FOLDER_PREFIX_MIN_IRIS = 3
FOLDER_PREFIX_MAX_DEPTH = 2
READABLE = {RdfFormat.TURTLE, RdfFormat.TRIG}
PLAIN_LOCAL_NAME = re.compile(r"([A-Za-z0-9_]([\w.-]*[\w-])?)?", re.ASCII)
PREFIX_NAME = re.compile(r"[A-Za-z]([\w.-]*[\w-])?", re.ASCII)


def write_readable(statements: Iterable, output: IO[bytes], rdf_format: RdfFormat) -> None:
    """Write triples as Turtle or quads as TriG with prefixes that need no escapes."""
    statements = list(statements)
    serialize(statements, output, rdf_format, prefixes=readable_prefixes(set(iris_of(statements))))


def iris_of(statements: Iterable) -> Iterator[str]:
    """Every IRI a serialiser may abbreviate in triples or quads: terms, graph names, datatypes."""
    for statement in statements:
        terms = [statement.subject, statement.predicate, statement.object, getattr(statement, "graph_name", None)]
        for term in terms:
            if isinstance(term, NamedNode):
                yield term.value
            elif isinstance(term, Literal):
                yield term.datatype.value
            elif isinstance(term, Triple):
                yield from iris_of([term])


def readable_prefixes(iris: set[str]) -> dict[str, str]:
    """The project's prefixes and folder prefixes under which every IRI that would use them reads plainly."""
    candidates = {namespace: name for name, namespace in PREFIXES.items()}
    folders = Counter(iri[:iri.rindex("/") + 1] for iri in iris if "/" in iri)
    for folder, count in folders.items():
        name = folder_prefix_name(folder)
        if name and count >= FOLDER_PREFIX_MIN_IRIS and folder not in candidates and name not in candidates.values():
            candidates[folder] = name
    # Each IRI's candidate namespaces, deepest first (they end at a '/' or '#'): one pass over its characters.
    chains = {iri: [iri[:end + 1] for end in range(len(iri) - 1, -1, -1)
                    if iri[end] in "/#" and iri[:end + 1] in candidates] for iri in iris}
    under: dict[str, list[str]] = {}
    for iri, chain in chains.items():
        for namespace in chain:
            under.setdefault(namespace, []).append(iri)
    kept: dict[str, str] = {}
    for namespace in sorted(under, key=len, reverse=True):  # deepest first, as the serialiser matches
        # The IRIs this prefix would write: those no deeper kept prefix takes.
        local_names = [iri[len(namespace):] for iri in under[namespace]
                       if not any(deeper in kept for deeper in chains[iri][:chains[iri].index(namespace)])]
        if local_names and all(map(PLAIN_LOCAL_NAME.fullmatch, local_names)):
            kept[namespace] = candidates[namespace]
    return {name: namespace for namespace, name in sorted(kept.items(), key=lambda item: item[1])}


def folder_prefix_name(folder: str) -> str | None:
    """A prefix name for a folder below a project prefix ('data-000-quote'), or None if none is valid."""
    bases = [(namespace, name) for name, namespace in PREFIXES.items() if folder.startswith(namespace)]
    if not bases:
        return None
    namespace, name = max(bases, key=lambda base: len(base[0]))
    path = folder[len(namespace):].strip("/").split("/")
    candidate = "-".join([name, *path])
    return candidate if len(path) <= FOLDER_PREFIX_MAX_DEPTH and PREFIX_NAME.fullmatch(candidate) else None


RESULT_FORMATS = {"json": QueryResultsFormat.JSON, "csv": QueryResultsFormat.CSV,
                  "tsv": QueryResultsFormat.TSV}


def write_results(results, output: IO[bytes], format_name: str) -> None:
    """Write query results as a table, JSON, CSV or TSV (graphs as Turtle)."""
    if not isinstance(results, (QuerySolutions, QueryBoolean)):  # triples (an external store's: a plain iterator)
        write_readable(results, output, RdfFormat.TURTLE)
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
