"""An external SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, QLever) given by URL, as the target of the build.

The build, `load`, `import-faers` and `signals` compute what they write exactly as for the embedded store, then
put each named graph they changed into a staging graph (Graph Store Protocol, or SPARQL Update where the store has
no GSP endpoint) and swap the staged graphs in with one Update request of MOVE operations: a failure before the
swap drops the staging graphs and leaves the store as it was (docs/external-store.md). `import-faers` and
`signals` stream their triples into the staging graphs chunk by chunk and read only what they need from the store
(StreamedWrites), so their memory stays bounded by a chunk; the others change a local copy of the store (derive).
"""
from __future__ import annotations

import dataclasses
import secrets
import tempfile
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from pyoxigraph import (BlankNode, NamedNode, Quad, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat,
                        Store, parse, parse_query_results, serialize)

from .errors import AdekgError, StoreError

T = TypeVar("T")
STAGING = "urn:adekg:staging:"
# Where a write lists its staging graphs until its swap, so that `adekg serve --store URL` can tell that one is under
# way without listing every graph of the store (seconds on a large store) and keep them out of its answers.
STAGING_REGISTRY = f"{STAGING}registry"
STAGING_OF = "urn:adekg:stagingOf"
# A graph is sent in pieces of this many triples, unless it holds blank nodes (their labels are per request).
CHUNK_TRIPLES = 200_000
UPDATE_CHUNK_TRIPLES = 2_000  # per INSERT DATA request without GSP (Virtuoso 7 fails on ~5,000 lines)
RESULTS_XML = "application/sparql-results+xml"  # Virtuoso writes booleans as 1/0 in JSON results, not in XML
GRAPH_TYPES = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"
SYNTAXES = {"application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
            "text/turtle": RdfFormat.TURTLE, "application/rdf+xml": RdfFormat.RDF_XML,
            "application/n-quads": RdfFormat.N_QUADS}


def is_remote(location) -> bool:
    """Whether a --store value names an external store (an http(s) URL) rather than a folder."""
    return isinstance(location, Endpoint) or str(location).startswith(("http://", "https://"))


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Where an external store answers queries, updates and (optionally) the Graph Store Protocol."""

    query: str
    update: str
    gsp: str | None
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    timeout: float = 600.0

    def __str__(self) -> str:
        return self.query


def endpoint_from(url: str, update: str | None = None, gsp: str | None = None, user: str | None = None,
                  password: str | None = None, timeout: float = 600.0) -> Endpoint:
    """An Endpoint from the query URL; credentials in the URL are taken out of it; Virtuoso's GSP path is guessed."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"not an http(s) URL of a SPARQL endpoint: {url!r}")
    if parts.username:
        user, password = urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    if gsp is None and parts.path.rstrip("/").endswith(("/sparql", "/sparql-auth")):
        # Virtuoso: /sparql -> /sparql-graph-crud, /sparql-auth -> /sparql-graph-crud-auth
        path = parts.path.rstrip("/")
        gsp = url.split("?")[0].rstrip("/")[: -len(path)] + path.replace("/sparql", "/sparql-graph-crud")
    return Endpoint(url, update or url, gsp or None, user, password, timeout)


def opener(endpoint: Endpoint) -> urllib.request.OpenerDirector:
    """A URL opener that answers the store's Basic or Digest challenge with the endpoint's credentials."""
    if endpoint.user is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    for url in (endpoint.query, endpoint.update, endpoint.gsp):
        if url:
            passwords.add_password(None, url, endpoint.user, endpoint.password or "")
    return urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords),
                                       urllib.request.HTTPBasicAuthHandler(passwords))


def request(endpoint: Endpoint, method: str, url: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[str, bytes]:
    """One HTTP exchange with the store: (content type, body); any failure is a one-line StoreError."""
    call = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener(endpoint).open(call, timeout=endpoint.timeout) as response:
            return response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        detail = error.read(2000).decode("utf-8", "replace").strip().splitlines()
        raise StoreError(f"the external store answered {error.code} to {method} "
                         f"({detail[0] if detail else error.reason})", file=url.split("?")[0]) from None
    except (urllib.error.URLError, OSError) as error:
        raise StoreError(f"cannot reach the external store ({getattr(error, 'reason', error)})",
                         file=url.split("?")[0]) from None


def form(**fields: str) -> bytes:
    """A URL-encoded form body."""
    return urllib.parse.urlencode(fields).encode("utf-8")


def select(endpoint: Endpoint, query: str):
    """Run a SELECT or ASK query on the store (its default graph, the union of its graphs); parsed results."""
    _, body = request(endpoint, "POST", endpoint.query, form(query=query),
                      {"Accept": RESULTS_XML, "Content-Type": "application/x-www-form-urlencoded"})
    return parse_query_results(body, QueryResultsFormat.XML)


def ask(endpoint: Endpoint, query: str):
    """Run an ASK query on the store; a QueryBoolean, also from Virtuoso 7's one-column SELECT form of the answer."""
    results = select(endpoint, query)
    if isinstance(results, QueryBoolean):
        return results
    rows = [row[0] for row in results]  # Virtuoso: one row of __ASK_RETVAL for true, none (or 0) for false
    answer = bool(rows) and (rows[0] is None or rows[0].value not in ("0", "false"))
    return parse_query_results(f'{{"head": {{}}, "boolean": {str(answer).lower()}}}', QueryResultsFormat.JSON)


def construct(endpoint: Endpoint, query: str) -> Iterator:
    """Run a CONSTRUCT or DESCRIBE query on the store; its triples."""
    kind, body = request(endpoint, "POST", endpoint.query, form(query=query),
                         {"Accept": GRAPH_TYPES, "Content-Type": "application/x-www-form-urlencoded"})
    return (quad.triple for quad in parse(body, SYNTAXES.get(kind, RdfFormat.N_TRIPLES)))


def update(endpoint: Endpoint, text: str) -> None:
    """Run a SPARQL Update request on the store."""
    request(endpoint, "POST", endpoint.update, form(update=text), {"Content-Type": "application/x-www-form-urlencoded"})


# GROUP BY rather than DISTINCT: Virtuoso 7 takes a minute over `SELECT DISTINCT ?g` of 30,000 quads, 50 ms over this.
GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def graph_sizes(endpoint: Endpoint) -> dict[str, int]:
    """The number of triples in each non-empty named graph of the store."""
    return {row["g"].value: int(row["n"].value) for row in select(endpoint, GRAPH_SIZES)}


def named_graphs(endpoint: Endpoint) -> list[str]:
    """The IRIs of the store's named graphs that hold at least one triple."""
    return list(graph_sizes(endpoint))


def graph_triples(endpoint: Endpoint, graph: str) -> bytes:
    """The triples of one named graph as N-Triples (a CONSTRUCT: every store answers it alike)."""
    triples = construct(endpoint, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def chunks(triples: list, size: int = CHUNK_TRIPLES) -> Iterator[list]:
    """The triples in request-sized pieces; in one piece if any has a blank node (labels hold per request only)."""
    if len(triples) <= size or any(isinstance(term, BlankNode) for triple in triples
                                   for term in (triple.subject, triple.object)):
        yield triples
        return
    for start in range(0, len(triples), size):
        yield triples[start:start + size]


def gsp_url(endpoint: Endpoint, graph: str) -> str:
    """The Graph Store Protocol URL of one named graph (`graph=` as the protocol says, `graph-uri=` as Virtuoso reads)."""
    return f"{endpoint.gsp}?{urllib.parse.urlencode({'graph': graph, 'graph-uri': graph})}"


def put_graph(endpoint: Endpoint, graph: str, triples: list) -> None:
    """Replace one named graph of the store with triples: GSP PUT then POSTs, else DROP + INSERT DATA."""
    for number, piece in enumerate(chunks(triples, CHUNK_TRIPLES if endpoint.gsp else UPDATE_CHUNK_TRIPLES)):
        data = serialize(piece, format=RdfFormat.N_TRIPLES) or b""
        if endpoint.gsp:
            request(endpoint, "PUT" if number == 0 else "POST", gsp_url(endpoint, graph), data,
                    {"Content-Type": "application/n-triples"})
        else:
            # (Virtuoso 7 refuses blank nodes in INSERT DATA, and over 10,000 lines of SQL in INSERT ... WHERE {}:
            # with Virtuoso, use its GSP endpoint, the default.)
            drop = f"DROP SILENT GRAPH <{graph}> ;\n" if number == 0 else ""
            update(endpoint, f"{drop}INSERT DATA {{ GRAPH <{graph}> {{\n{data.decode('utf-8')}}} }}")


def put_document(endpoint: Endpoint, graph: str, content: bytes, rdf_format: RdfFormat) -> None:
    """Replace one named graph with the triples of an RDF document (N-Quads/Turtle/RDF-XML bytes, parsed here).

    The narrow hook for writers that produce serialised RDF (e.g. a streamed FAERS import): one graph at a time.
    """
    put_graph(endpoint, graph, [quad.triple for quad in parse(content, rdf_format)])


def replace_graphs(endpoint: Endpoint, graphs: dict[str, list], dropped: Iterable[str] = ()) -> None:
    """Put each graph's triples into a staging graph, then swap them all in (and drop `dropped`) in one Update.

    A failure while staging drops what was staged and leaves the store's graphs untouched.
    """
    token = secrets.token_hex(4)
    staged = {graph: f"{STAGING}{token}:{graph}" for graph, triples in graphs.items() if triples}
    try:
        register_staging(endpoint, staged)
        for graph, staging in staged.items():
            put_graph(endpoint, staging, graphs[graph])
    except BaseException as error:
        discard_staging(endpoint, staged.values(), error)
        raise
    operations = [f"DROP SILENT GRAPH <{graph}>" for graph in dropped if graph not in graphs]
    operations += [f"MOVE SILENT GRAPH <{staged[graph]}> TO GRAPH <{graph}>" if graphs[graph]
                   else f"DROP SILENT GRAPH <{graph}>" for graph in graphs]
    operations += unregistering(staged.values())
    if operations:
        update(endpoint, " ;\n".join(operations))


def register_staging(endpoint: Endpoint, staged: dict[str, str]) -> None:
    """Note staging graphs (by their target graph) in the registry graph, before anything goes into them."""
    if staged:
        entries = "".join(f"<{staging}> <{STAGING_OF}> <{graph}> .\n" for graph, staging in staged.items())
        update(endpoint, f"INSERT DATA {{ GRAPH <{STAGING_REGISTRY}> {{\n{entries}}} }}")


def unregistering(staging_graphs: Iterable[str]) -> list[str]:
    """The Update operations that take staging graphs out of the registry graph."""
    return [f"DELETE WHERE {{ GRAPH <{STAGING_REGISTRY}> {{ <{graph}> ?p ?o }} }}" for graph in staging_graphs]


def discard_staging(endpoint: Endpoint, graphs: Iterable[str], failure: BaseException | None = None) -> None:
    """Drop staging graphs after a failure; if the store refuses, name them in `failure` so they can be dropped by hand.

    The failure being reported matters more than the clean-up's own error, so that one is not raised.
    """
    graphs = list(graphs)
    try:
        update(endpoint, " ;\n".join([f"DROP SILENT GRAPH <{graph}>" for graph in graphs] + unregistering(graphs))
               or "DROP SILENT GRAPH <urn:none>")
    except StoreError as refusal:
        if isinstance(failure, AdekgError) and graphs:
            failure.problem += (f"; the store also refused to drop the staging graph(s) {', '.join(f'<{g}>' for g in graphs)}"
                                f" ({refusal.problem}): drop them by hand (DROP SILENT GRAPH <...>)")
            failure.args = (failure.one_line(),)


def quads_by_graph(quads: Iterable[Quad]) -> dict[str, list]:
    """Triples grouped by the named graph of their quad."""
    graphs: dict[str, list] = {}
    for quad in quads:
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return graphs


def snapshot(endpoint: Endpoint, folder: Path | None = None) -> Store:
    """A local pyoxigraph copy of every named graph of the store (on disk in `folder`, else in memory)."""
    store = Store(str(folder)) if folder is not None else Store()
    for graph in named_graphs(endpoint):
        if not graph.startswith(STAGING):
            store.bulk_load(graph_triples(endpoint, graph), RdfFormat.N_TRIPLES, to_graph=NamedNode(graph))
    return store


class TrackedStore:
    """A writable pyoxigraph store that remembers which named graphs a change wrote or removed."""

    def __init__(self, store: Store):
        self.store, self.touched = store, set()

    def __getattr__(self, name):
        return getattr(self.store, name)

    def _seen(self, quads):
        for quad in quads:
            self.touched.add(quad.graph_name.value)
            yield quad

    def bulk_extend(self, quads) -> None:
        """Add quads, noting their graphs."""
        self.store.bulk_extend(self._seen(quads))

    def extend(self, quads) -> None:
        """Add quads, noting their graphs."""
        self.store.extend(self._seen(quads))

    def add(self, quad) -> None:
        """Add a quad, noting its graph."""
        self.store.add(next(self._seen([quad])))

    def remove(self, quad) -> None:
        """Remove a quad, noting its graph."""
        self.touched.add(quad.graph_name.value)
        self.store.remove(quad)

    def remove_graph(self, graph) -> None:
        """Remove a named graph, noting it."""
        self.touched.add(graph.value)
        self.store.remove_graph(graph)

    def clear_graph(self, graph) -> None:
        """Empty a named graph, noting it."""
        self.touched.add(graph.value)
        self.store.clear_graph(graph)

    def bulk_load(self, *args, to_graph=None, **kwargs) -> None:
        """Load a document into one named graph, noting it (loads without a named target are refused)."""
        if not isinstance(to_graph, NamedNode):
            raise StoreError("a change of an external store must load into a named graph")
        self.touched.add(to_graph.value)
        self.store.bulk_load(*args, to_graph=to_graph, **kwargs)

    load = bulk_load


def derive(endpoint: Endpoint, change: Callable[[Store], T]) -> T:
    """Run `change` on a local copy of the store, then swap the graphs it wrote into the store; return its result.

    The same contract as graph.store.derive_generation: a change that raises leaves the store as it was.
    """
    with tempfile.TemporaryDirectory(prefix="adekg-remote-") as folder:
        tracked = TrackedStore(snapshot(endpoint, Path(folder)))
        try:
            result = change(tracked)
        except BaseException as error:
            # The failed change's frames still hold the local copy open, and RocksDB could still write into the
            # folder while it is removed ("Directory not empty"): drop them so the copy is closed first.
            traceback.clear_frames(error.__traceback__)
            del tracked
            raise
        graphs = {graph: [quad.triple for quad in tracked.store.quads_for_pattern(None, None, None, NamedNode(graph))]
                  for graph in sorted(tracked.touched) if graph}
        replace_graphs(endpoint, graphs)
        del tracked
    return result


class RemoteQueries:
    """The read side the CLI needs (query, named graphs) answered by the external store itself."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def query(self, query: str, prefixes: dict | None = None, **_options):
        """Run a query on the store's default graph (the union of its graphs); pyoxigraph-like results."""
        prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in (prefixes or {}).items())
        text = prologue + query
        kind = query_form(text)
        if kind == "ASK":
            return ask(self.endpoint, text)
        return construct(self.endpoint, text) if kind == "CONSTRUCT" else select(self.endpoint, text)

    def named_graphs(self) -> Iterator[NamedNode]:
        """The store's non-empty named graphs."""
        return (NamedNode(graph) for graph in named_graphs(self.endpoint))

    def quads_for_pattern(self, subject, predicate, object_, graph_name=None) -> Iterator[Quad]:
        """The quads with one predicate, in any named graph (the one pattern the signals read when no tally holds)."""
        if predicate is None or (subject, object_, graph_name) != (None, None, None):
            raise StoreError("an external store is read by predicate only")
        where = f"GRAPH ?g {{ ?s <{predicate.value}> ?o }}"
        expected = int(next(iter(select(self.endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")))["n"].value)
        rows = list(select(self.endpoint, f"SELECT ?s ?o ?g WHERE {{ {where} }}"))
        if len(rows) != expected:  # e.g. Virtuoso's ResultSetMaxRows (10,000 by default) cuts results silently
            raise StoreError(f"the external store answered {len(rows)} of {expected} rows: raise its result limit "
                             "(Virtuoso: [SPARQL] ResultSetMaxRows)", file=self.endpoint.query)
        return (Quad(row["s"], predicate, row["o"], row["g"]) for row in rows)


def post_ntriples(endpoint: Endpoint, graph: str, data: bytes) -> None:
    """Add N-Triples (one triple a line, no blank nodes across calls) to a named graph: GSP POST, else INSERT DATA."""
    if endpoint.gsp:
        request(endpoint, "POST", gsp_url(endpoint, graph), data, {"Content-Type": "application/n-triples"})
        return
    lines = data.splitlines(keepends=True)
    for start in range(0, len(lines), UPDATE_CHUNK_TRIPLES):
        piece = b"".join(lines[start:start + UPDATE_CHUNK_TRIPLES]).decode("utf-8")
        update(endpoint, f"INSERT DATA {{ GRAPH <{graph}> {{\n{piece}}} }}")


class StreamedWrites(RemoteQueries):
    """A store-like writer for an external store: reads go to the store, writes stream into staging graphs.

    It offers what graph/faers_import.py and graph/signals.py call on a writable store (query, named_graphs,
    remove_graph, bulk_load, bulk_extend), so the embedded code runs on it unchanged. Each bulk_load is sent at
    once (memory: one chunk); nothing is visible until `commit` swaps the staging graphs in with one Update
    (a graph removed first is replaced, MOVE; another is added to, ADD). Reads do not see the staged writes.
    """

    def __init__(self, endpoint: Endpoint):
        super().__init__(endpoint)
        self.token, self.staged, self.removed, self.updates = secrets.token_hex(4), {}, set(), []

    def staging(self, graph: str) -> str:
        """The staging graph of one target graph (registered on first use, before anything is sent into it)."""
        if graph not in self.staged:
            staging = f"{STAGING}{self.token}:{graph}"
            register_staging(self.endpoint, {graph: staging})
            self.staged[graph] = staging
        return self.staged[graph]

    def remove_graph(self, graph: NamedNode) -> None:
        """Replace the graph at commit (with what was staged for it, or by nothing)."""
        self.removed.add(graph.value)

    def update(self, text: str) -> None:
        """Run a SPARQL Update at commit, in its one request, before the staged graphs go in."""
        self.updates.append(text)

    def bulk_load(self, data: bytes, rdf_format: RdfFormat, to_graph: NamedNode | None = None, **_options) -> None:
        """Send an N-Triples document into the staging graph of `to_graph`."""
        if rdf_format != RdfFormat.N_TRIPLES or not isinstance(to_graph, NamedNode):
            raise StoreError("a streamed write to an external store takes N-Triples into a named graph")
        post_ntriples(self.endpoint, self.staging(to_graph.value), data)

    def bulk_extend(self, quads: Iterable[Quad]) -> None:
        """Send quads into the staging graphs of their graphs (a graph with blank nodes in one request)."""
        for graph, triples in quads_by_graph(quads).items():
            for piece in chunks(triples, UPDATE_CHUNK_TRIPLES if not self.endpoint.gsp else CHUNK_TRIPLES):
                post_ntriples(self.endpoint, self.staging(graph), serialize(piece, format=RdfFormat.N_TRIPLES) or b"")

    def commit(self) -> None:
        """Swap the staged graphs in with one Update request (a failure before it leaves the store as it was)."""
        operations = self.updates + [f"DROP SILENT GRAPH <{graph}>" for graph in sorted(self.removed - set(self.staged))]
        for graph, staging in self.staged.items():
            operations += ([f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>"] if graph in self.removed else
                           [f"ADD SILENT GRAPH <{staging}> TO GRAPH <{graph}>", f"DROP SILENT GRAPH <{staging}>"])
        operations += unregistering(self.staged.values())
        if operations:
            update(self.endpoint, " ;\n".join(operations))
        self.staged, self.removed, self.updates = {}, set(), []

    def discard(self, failure: BaseException | None = None) -> None:
        """Drop what was staged (after `failure`, which names the staging graphs the store refused to drop)."""
        discard_staging(self.endpoint, self.staged.values(), failure)
        self.staged, self.removed, self.updates = {}, set(), []


def streamed(endpoint: Endpoint, change: Callable[[StreamedWrites], T]) -> T:
    """Run `change` on a StreamedWrites of the store and commit it; a change that raises leaves the store as it was."""
    writes = StreamedWrites(endpoint)
    try:
        result = change(writes)
        writes.commit()
    except BaseException as error:
        writes.discard(error)
        raise
    return result


def query_form(query: str) -> str:
    """SELECT, ASK or CONSTRUCT (DESCRIBE included), read by Oxigraph's parser (on an empty store: nothing to evaluate)."""
    try:
        results = Store().query(query)
    except SyntaxError as error:
        raise StoreError(f"malformed query: {error}") from None
    if isinstance(results, QueryBoolean):
        return "ASK"
    if isinstance(results, QuerySolutions):
        return "SELECT"
    return "CONSTRUCT"


def write_build(endpoint: Endpoint, quads: list[Quad], documents: list, owned: Callable[[str], bool],
                carried: Callable[[str], bool]) -> int:
    """Replace the graphs a build owns with its quads and ontology documents; keep imported graphs; return the size.

    `owned(graph)` tells the build's graphs (those it no longer writes are dropped); `carried(subject)` the
    graph:build statements of imports, loads and signals, which the new graph:build keeps, as the embedded store does.
    """
    from .signals import SIGNALS_GRAPH
    from .terms import BUILD_GRAPH

    scratch = Store()
    for content, rdf_format, graph in documents:  # as bulk_write loads them, so blank nodes stay apart
        scratch.load(content, rdf_format, to_graph=NamedNode(graph))
    graphs = quads_by_graph(scratch.quads_for_pattern(None, None, None, None))
    for graph, triples in quads_by_graph(quads).items():
        graphs.setdefault(graph, []).extend(triples)
    # Only the build's own graphs: `reason` hands over every graph of its copy, the store's own (Virtuoso's
    # virtrdf#) included, and those are not ours to rewrite.
    graphs = {graph: triples for graph, triples in graphs.items() if owned(graph)}
    existing = named_graphs(endpoint)
    if BUILD_GRAPH in existing:
        kept = construct(endpoint, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BUILD_GRAPH}> {{ ?s ?p ?o }} }}")
        graphs.setdefault(BUILD_GRAPH, []).extend(t for t in kept if carried(t.subject.value))
    replace_graphs(endpoint, graphs, [graph for graph in existing if owned(graph) and not graph.startswith(STAGING)])
    if SIGNALS_GRAPH in existing:  # link the new class-level risks to the signals the store keeps
        relink_signals(endpoint)
    return sum(len(triples) for triples in graphs.values())


def relink_signals(endpoint: Endpoint) -> None:
    """Link the class-level risks in the store to the signals it holds anew (a small Update after the swap)."""
    from .signals import SIGNALS_GRAPH, link_quads

    update(endpoint, f"DELETE WHERE {{ GRAPH <{SIGNALS_GRAPH}> {{ ?risk "
                     "<https://w3id.org/adekg/ontology/hasDisproportionalitySignal> ?signal } }")
    links = link_quads(RemoteQueries(endpoint))
    if links:
        data = serialize((quad.triple for quad in links), format=RdfFormat.N_TRIPLES).decode("utf-8")
        update(endpoint, f"INSERT DATA {{ GRAPH <{SIGNALS_GRAPH}> {{\n{data}}} }}")


def replace_signals(endpoint: Endpoint, thresholds=None, folder: Path | None = None, fresh: Iterable = ()):
    """Recompute the signals graph of an external store (streamed into a staging graph, swapped in), then relink.

    The same computation as the embedded store's (graph/signals.py compute_signals, on the imports' tallies where
    they hold, else on the reports read back from the store by predicate); return the statistics table.
    """
    from .faers_import import ntriples_chunks
    from .signals import SIGNALS_GRAPH, Thresholds, compute_signals, ended

    def change(writes: StreamedWrites):
        triples, provenance, table = compute_signals(writes, thresholds or Thresholds(), folder, fresh)
        writes.remove_graph(NamedNode(SIGNALS_GRAPH))
        for chunk, _ in ntriples_chunks(triples):
            writes.bulk_load(chunk, RdfFormat.N_TRIPLES, to_graph=NamedNode(SIGNALS_GRAPH))
        writes.bulk_extend(ended(provenance))
        return table

    table = streamed(endpoint, change)
    relink_signals(endpoint)
    return table


def import_faers(endpoint: Endpoint, extract, ontology_dir: Path, max_bad_fraction: float, signals: bool,
                 tallies: Path | None):
    """Import one FAERS extract into an external store, streamed; then its signals (in a second swap); the report.

    graph/faers_import.py's import_extract runs on a StreamedWrites: it reads the drug names and classes by query
    and sends the quarter graph chunk by chunk (and its provenance) into staging graphs; one Update then moves the
    quarter graph into place and adds the provenance to graph:build, so the quarter is whole or not there.
    """
    from .faers_import import import_extract
    from .signals_tally import save

    report = streamed(endpoint, lambda writes: import_extract(writes, extract, ontology_dir, max_bad_fraction))
    if tallies is not None:  # kept once the quarter graph is in the store; named by the import that counted it
        save(tallies, report.tally)
    if signals:
        replace_signals(endpoint, folder=tallies, fresh=[report.tally])
    return report
