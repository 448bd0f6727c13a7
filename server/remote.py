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
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator

from pyoxigraph import (NamedNode, Quad, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, Store, parse,
                        parse_query_results)

from .results import ResultTooLarge

RESULTS_XML = "application/sparql-results+xml"
GRAPH_TYPES = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"
SYNTAXES = {"application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
            "text/turtle": RdfFormat.TURTLE, "application/rdf+xml": RdfFormat.RDF_XML}
WHERE_KEYWORD = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
# Virtuoso 7 answers ASK as a one-column SELECT of this variable (a row for true, none or 0 for false).
VIRTUOSO_ASK = "__ASK_RETVAL"


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

    def query(self, query: str, use_default_graph_as_union: bool = False, default_graph=None, named_graphs=None,
              base_iri: str | None = None, substitutions: dict | None = None, **_ignored):
        """Parse the query here (SyntaxError if it is not one), then run it on the external store."""
        form = Store().query(query, base_iri=base_iri)  # lazy: parsed, not evaluated (nothing to evaluate anyway)
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
        """The store's non-empty named graphs."""
        # GROUP BY, not DISTINCT: Virtuoso 7 answers this in milliseconds and `SELECT DISTINCT ?g` in a minute.
        return (row["g"] for row in self.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"))

    def contains_named_graph(self, graph: NamedNode) -> bool:
        """Whether the store has a non-empty named graph of that name."""
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))


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
