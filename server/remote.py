"""A query worker's store when `adekg serve --store URL` names an external SPARQL 1.1 store (docs/external-store.md).

`RemoteStore` answers the calls the app makes on a pyoxigraph Store (query, quads_for_pattern, named_graphs,
contains_named_graph) by sending SPARQL to the external query endpoint. Every query is parsed here first, as a
query, by Oxigraph: a text that is not a query (an update above all: some stores accept updates on their query
endpoint) never reaches the store, and malformed queries are answered 400 with our own message. The endpoint's
guards stay where they are: SERVICE is checked before evaluation, rows are capped by the LIMIT added to the text,
results are serialised by the app into its size-capped spool, and the pool kills a worker past its time.
"""
from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator

from pyoxigraph import (NamedNode, Quad, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, Store, parse,
                        parse_query_results)

from .query_checks import IRI_LIKE, STRINGS_COMMENTS
from .results import ResultTooLarge

RESULTS_XML = "application/sparql-results+xml"
GRAPH_TYPES = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"
SYNTAXES = {"application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
            "text/turtle": RdfFormat.TURTLE, "application/rdf+xml": RdfFormat.RDF_XML}
WHERE_KEYWORD = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
# Virtuoso 7 answers ASK as a one-column SELECT of this variable (a row for true, none or 0 for false).
VIRTUOSO_ASK = "__ASK_RETVAL"
# The graphs an unfinished write streams into, and the graph where it lists them until its swap (graph/remote_store.py
# STAGING and STAGING_REGISTRY; the server imports no build code).
STAGING = "urn:adekg:staging:"
STAGING_REGISTRY = f"{STAGING}registry"
# Every write by adekg (build, reason, load, import-faers, signals) records its PROV-O activity in this graph.
BUILD_GRAPH = "https://w3id.org/adekg/graph/build"
# A dataset that names no graph of the store, for a store that has nothing but staging graphs.
NO_GRAPH = NamedNode("urn:adekg:no-graph")
# How often a worker looks at the staging registry: a write that begins or ends is noticed this much later at most.
REGISTRY_TTL_SECONDS = 1.0
# A FROM (or FROM NAMED) clause, looked for once IRIs, strings and comments are out of the text (one left-to-right
# scan, so a '#' inside an IRI does not start a comment).
DATASET_KEYWORD = re.compile(r"(?<![\w:?$])FROM(?![\w:\-])", re.IGNORECASE)
NOT_CODE = re.compile(f"{IRI_LIKE.pattern}|{STRINGS_COMMENTS.pattern}", re.DOTALL)


def is_remote(store_path: str) -> bool:
    """Whether a worker's store path is the URL of an external store."""
    return str(store_path).startswith(("http://", "https://"))


class RemoteReader:
    """What server/generation.open_reader gives a worker, for an external store: its store; no generation folder."""

    def __init__(self, store: RemoteStore):
        self.store, self.generation = store, None

    def close(self) -> None:
        """Nothing to release: the external store keeps no lock of ours."""


def open_remote(url: str, config: dict) -> RemoteReader:
    """A reader on the external store at url, with the endpoint's time and size limits; checks that it answers."""
    store = RemoteStore(url, timeout=float(config.get("ADEKG_REMOTE_TIMEOUT", 30.0)),
                        max_bytes=int(config.get("ADEKG_MAX_RESULT_BYTES", 512 * 2**20)))
    store.query("ASK { }")
    return RemoteReader(store)


class RemoteStore:
    """The read-only calls of a pyoxigraph Store, answered by an external SPARQL endpoint."""

    answers_its_own_union = True  # no in-memory union view (server/results.py): the store's default graph is one

    def __init__(self, url: str, timeout: float, max_bytes: int):
        self.url, self.timeout = url, timeout
        # The store's result document is read up to a multiple of the endpoint's result cap: the app's own
        # serialisation is capped exactly, this only keeps one answer from filling the worker's memory first.
        self.max_response = 4 * max_bytes
        user, password = os.environ.get("ADEKG_STORE_USER"), os.environ.get("ADEKG_STORE_PASSWORD")
        handlers = []
        if user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, url, user, password or "")
            handlers = [urllib.request.HTTPDigestAuthHandler(passwords), urllib.request.HTTPBasicAuthHandler(passwords)]
        self.opener = urllib.request.build_opener(*handlers)
        # see look_at_registry
        self.registry, self.finished, self.changes, self.looked_at = frozenset(), None, 0, -REGISTRY_TTL_SECONDS
        self.writes = hash(frozenset())

    def query(self, query: str, use_default_graph_as_union: bool = False, default_graph=None, named_graphs=None,
              base_iri: str | None = None, substitutions: dict | None = None, **_ignored):
        """Parse the query here (SyntaxError if it is not one), then run it on the external store.

        While a write is under way, a query that names no dataset (no FROM, no default-graph-uri or
        named-graph-uri) is asked of the store's finished graphs only, so the write's staging graphs stay out of its
        answers; otherwise it is sent as it came (the store's union default graph is the same, and faster).
        """
        form = Store().query(query, base_iri=base_iri)  # lazy: parsed, not evaluated (nothing to evaluate anyway)
        finished = None if default_graph or named_graphs else self.finished_graphs()
        if finished is not None and not names_its_dataset(query):
            default_graph = named_graphs = finished
        return self.ask(form, query, default_graph, named_graphs, base_iri, substitutions)

    def ask(self, form, query: str, default_graph, named_graphs, base_iri: str | None, substitutions: dict | None):
        """Send a parsed query with its dataset; its results, as a pyoxigraph Store would give them."""
        text = with_values(query, substitutions) if substitutions else query
        if base_iri:
            text = f"BASE <{base_iri}>\n{text}"
        fields = [("query", text)]
        fields += [("default-graph-uri", graph.value) for graph in default_graph or ()]
        fields += [("named-graph-uri", graph.value) for graph in named_graphs or ()]
        if isinstance(form, (QuerySolutions, QueryBoolean)):
            kind, body = self.post(fields, RESULTS_XML)
            results = parse_query_results(body, QueryResultsFormat.XML)
            return as_boolean(results) if isinstance(form, QueryBoolean) else results
        kind, body = self.post(fields, GRAPH_TYPES)
        return [quad.triple for quad in parse(body, SYNTAXES.get(kind, RdfFormat.N_TRIPLES))]

    def post(self, fields: list[tuple[str, str]], accept: str) -> tuple[str, bytes]:
        """POST a protocol request; (content type, body), the body read up to the response cap."""
        call = urllib.request.Request(self.url, data=urllib.parse.urlencode(fields).encode("utf-8"), method="POST",
                                      headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with self.opener.open(call, timeout=self.timeout) as response:
                body = response.read(self.max_response + 1)
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            detail = error.read(500).decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"the external store answered {error.code}"
                               f"{': ' + detail[0] if detail else ''}") from None
        except (urllib.error.URLError, OSError) as error:
            raise RuntimeError(f"the external store did not answer ({getattr(error, 'reason', error)})") from None
        if len(body) > self.max_response:
            raise ResultTooLarge(f"the external store's answer exceeds {self.max_response} bytes; add a LIMIT")
        return kind, body

    def quads_for_pattern(self, subject, predicate, obj, graph_name=None) -> Iterator[Quad]:
        """The quads in named graphs matching a pattern (None matches anything)."""
        terms = {"s": subject, "p": predicate, "o": obj, "g": graph_name}
        pattern = {name: str(term) if term is not None else f"?{name}" for name, term in terms.items()}
        text = (f"SELECT * WHERE {{ GRAPH {pattern['g']} {{ {pattern['s']} {pattern['p']} {pattern['o']} }} }}")
        for row in self.query(text):
            value = {name: term if term is not None else row[name] for name, term in terms.items()}
            yield Quad(value["s"], value["p"], value["o"], value["g"])

    def named_graphs(self) -> Iterator[NamedNode]:
        """The store's non-empty named graphs, but for the staging graphs of a write under way."""
        # GROUP BY, not DISTINCT: Virtuoso 7 answers this in about a second at 10^6 reports, `SELECT DISTINCT ?g` in a minute.
        text = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        return iter([row["g"] for row in self.ask(Store().query(text), text, None, None, None, None)
                     if isinstance(row["g"], NamedNode) and not row["g"].value.startswith(STAGING)])

    def finished_graphs(self) -> list[NamedNode] | None:
        """While a write is under way (its staging graphs registered), the store's other named graphs; else None.

        The store's graphs are listed only when a write is seen to begin (about a second at 10^6 reports on
        Virtuoso), not for every query.
        """
        self.look_at_registry()
        if self.registry and self.finished is None:
            self.finished = list(self.named_graphs()) or [NO_GRAPH]
        return self.finished if self.registry else None

    def writes_seen(self) -> int:
        """How many times a write by adekg was seen to begin or end: what the answers cached for this store depend on."""
        try:
            self.look_at_registry()
        except RuntimeError:  # the store did not answer: the query that follows reports it, with its own status
            pass
        return self.changes

    def look_at_registry(self) -> None:
        """Read the staging registry and the write activities in graph:build (small graphs: milliseconds), at most
        once a REGISTRY_TTL_SECONDS. A write that began and ended between two looks shows as a new activity."""
        if time.monotonic() - self.looked_at >= REGISTRY_TTL_SECONDS:
            text = (f"SELECT ?g ?activity WHERE {{ {{ GRAPH <{STAGING_REGISTRY}> {{ ?g ?p ?o }} }} UNION "
                    f"{{ GRAPH <{BUILD_GRAPH}> {{ ?activity a <http://www.w3.org/ns/prov#Activity> }} }} }}")
            rows = list(self.ask(Store().query(text), text, None, None, None, None))
            registry = frozenset(row["g"].value for row in rows if row["g"] is not None)
            writes = hash(frozenset(row["activity"].value for row in rows if row["activity"] is not None))
            if registry != self.registry or writes != self.writes:  # a write began, ended, or came and went
                self.registry, self.writes, self.finished = registry, writes, None
                self.changes += 1
            self.looked_at = time.monotonic()

    def contains_named_graph(self, graph: NamedNode) -> bool:
        """Whether the store has a non-empty named graph of that name."""
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))


def names_its_dataset(query: str) -> bool:
    """Whether a query's text has a FROM or FROM NAMED clause (outside its strings, comments and IRIs)."""
    code = NOT_CODE.sub(" ", query)
    return DATASET_KEYWORD.search(code) is not None


def as_boolean(results) -> QueryBoolean:
    """An ASK answer as a QueryBoolean, also from Virtuoso's one-column SELECT form of it."""
    if isinstance(results, QueryBoolean):
        return results
    rows = [row[0] for row in results]
    answer = bool(rows) and (rows[0] is None or rows[0].value not in ("0", "false"))
    return parse_query_results(f'{{"head": {{}}, "boolean": {str(answer).lower()}}}', QueryResultsFormat.JSON)


def with_values(query: str, substitutions: dict) -> str:
    """The query with its substituted variables bound by a VALUES block at the start of its WHERE clause."""
    names = " ".join(f"?{variable.value}" for variable in substitutions)
    values = " ".join(str(term) for term in substitutions.values())
    opening = WHERE_KEYWORD.search(query) or re.search(r"\{", query)  # ASK { ... } has no WHERE
    if opening is None:
        return query
    return f"{query[:opening.end()]} VALUES ({names}) {{ ({values}) }} {query[opening.end():]}"
