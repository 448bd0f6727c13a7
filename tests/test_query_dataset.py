"""`adekg query` evaluates over the endpoint's dataset: the query's FROM / FROM NAMED, else the union as a set."""
from __future__ import annotations

import json

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from server import create_app
from tests.conftest import adekg

G1, G2 = NamedNode("urn:adekg-test:graph/one"), NamedNode("urn:adekg-test:graph/two")
SHARED = (NamedNode("urn:adekg-test:s"), NamedNode("urn:adekg-test:p"), Literal("in both graphs"))
ONLY_ONE = (NamedNode("urn:adekg-test:s"), NamedNode("urn:adekg-test:p"), Literal("from graph one only"))


@pytest.fixture(scope="module")
def two_graph_store(tmp_path_factory):
    """A store (a bare pyoxigraph folder, which `--store` reads) holding one triple in two named graphs."""
    path = tmp_path_factory.mktemp("two-graphs") / "store"
    store = Store(str(path))
    store.extend([Quad(*SHARED, G1), Quad(*SHARED, G2), Quad(*ONLY_ONE, G1)])
    store.flush()
    del store
    return path


def values(answer: dict):
    """A SPARQL JSON answer as sorted rows of plain values, or its boolean."""
    if "boolean" in answer:
        return answer["boolean"]
    return sorted([binding[name]["value"] for name in answer["head"]["vars"] if name in binding]
                  for binding in answer["results"]["bindings"])


def cli_answer(store_path, query: str):
    """The answer of `adekg query --format json`."""
    result = adekg("query", "--store", str(store_path), "--format", "json", query)
    assert result.returncode == 0, result.stderr
    return values(json.loads(result.stdout))


def endpoint_answer(client, query: str):
    """The answer of the endpoint (Flask's test client over the same store)."""
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return values(response.get_json(force=True))


QUERIES = {
    # the union default graph is a set: the shared triple once, the other once
    "union": ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", [["2"]]),
    "union, with 'from' and 'graph' only in a string, an IRI, a variable and a comment": (
        'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?from FILTER(?from != "from graph" && ?p != <urn:from>) } # from',
        [["2"]]),
    "FROM one graph": (f"SELECT (COUNT(*) AS ?n) FROM <{G2.value}> WHERE {{ ?s ?p ?o }}", [["1"]]),
    "FROM a graph that is not there": ("ASK FROM <urn:adekg-test:none> { ?s ?p ?o }", False),
    "FROM NAMED": (f"SELECT ?g ?o FROM NAMED <{G2.value}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                   [[G2.value, SHARED[2].value]]),
    "GRAPH sees each graph": ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                              sorted([[G1.value, "2"], [G2.value, "1"]])),
}


@pytest.fixture(scope="module")
def endpoint(two_graph_store):
    return create_app(store=Store.read_only(str(two_graph_store))).test_client()


@pytest.mark.parametrize("name", QUERIES)
def test_cli_query_answers_over_the_endpoints_dataset(two_graph_store, endpoint, name):
    query, expected = QUERIES[name]
    stored = Store.read_only(str(two_graph_store))
    assert len(stored) == 3 and len(list(stored.quads_for_pattern(*SHARED))) == 2  # the shared triple, twice
    assert cli_answer(two_graph_store, query) == expected
    assert endpoint_answer(endpoint, query) == expected
