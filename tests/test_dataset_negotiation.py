"""The query's dataset (FROM, FROM NAMED, the duplicate-free union), format names clients send, parse errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from server import create_app

ROOT = Path(__file__).resolve().parent.parent
EX = "http://ex/"
SHARED = Quad(NamedNode(EX + "s"), NamedNode(EX + "title"), NamedNode(EX + "t"), NamedNode(EX + "g/a"))


def tiny_store() -> Store:
    """Two named graphs with one triple each and one triple held by both (like dcterms:title in both ontology graphs)."""
    store = Store()
    for name in ("a", "b"):
        graph = NamedNode(f"{EX}g/{name}")
        store.add(Quad(NamedNode(EX + name), NamedNode(EX + "p"), NamedNode(EX + "o"), graph))
        store.add(Quad(SHARED.subject, SHARED.predicate, SHARED.object, graph))
    return store


@pytest.fixture(scope="module")
def client():
    return create_app(store=tiny_store()).test_client()


def rows(response, name="s"):
    assert response.status_code == 200, response.data
    return [row[name]["value"] for row in json.loads(response.data)["results"]["bindings"]]


def ask(client, query: str, **params) -> bool:
    response = client.get("/sparql", query_string={"query": query, **params})
    assert response.status_code == 200, response.data
    return json.loads(response.data)["boolean"]


def test_from_names_the_default_graph(client):
    assert ask(client, "ASK FROM <urn:x:none> { ?s ?p ?o }") is False
    assert ask(client, "ASK { ?s ?p ?o }") is True
    only_a = client.get("/sparql", query_string={"query": f"SELECT DISTINCT ?s FROM <{EX}g/a> WHERE {{ ?s <{EX}p> ?o }}"})
    assert rows(only_a) == [EX + "a"]
    count = client.get("/sparql", query_string={"query": f"SELECT (COUNT(*) AS ?n) FROM <{EX}g/b> WHERE {{ ?s ?p ?o }}"})
    assert rows(count, "n") == ["2"]


def test_from_named_names_the_named_graphs(client):
    query = f"SELECT ?g ?s FROM NAMED <{EX}g/b> WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}"
    response = client.get("/sparql", query_string={"query": query})
    assert [(r["g"]["value"], r["s"]["value"]) for r in json.loads(response.data)["results"]["bindings"]] == \
        [(EX + "g/b", EX + "b")]
    # FROM NAMED alone: the default graph is empty
    assert ask(client, f"ASK FROM NAMED <{EX}g/b> {{ ?s ?p ?o }}") is False


def test_words_that_look_like_from_are_not_a_dataset(client):
    query = f'SELECT ?from WHERE {{ ?from <{EX}p> ?o FILTER(?o != "FROM") }} # FROM <urn:x>'
    assert sorted(rows(client.get("/sparql", query_string={"query": query}), "from")) == [EX + "a", EX + "b"]


def test_union_default_graph_answers_each_triple_once(client):
    response = client.get("/sparql", query_string={"query": f"SELECT ?o WHERE {{ <{EX}s> <{EX}title> ?o }}"})
    assert rows(response, "o") == [EX + "t"]
    count = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert rows(count, "n") == ["3"]
    # GRAPH still sees each graph's own copy
    both = client.get("/sparql", query_string={"query": f"SELECT ?g WHERE {{ GRAPH ?g {{ <{EX}s> ?p ?o }} }} ORDER BY ?g"})
    assert rows(both, "g") == [EX + "g/a", EX + "g/b"]


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
def test_dataset_without_query_is_refused(client, parameter):
    response = client.get("/sparql", query_string={parameter: EX + "g/a"})
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "no 'query'" in response.get_data(as_text=True)


CONSTRUCT = f"CONSTRUCT WHERE {{ ?s <{EX}p> ?o }}"


@pytest.mark.parametrize("params,media_type", [
    ([("format", "json-ld")], "application/ld+json"),
    ([("format", "jsonld")], "application/ld+json"),
    ([("output", "json-ld"), ("results", "json-ld")], "application/ld+json"),
    ([("format", "n3")], "text/turtle"),
    ([("format", "turtle")], "text/turtle"),
    ([("format", "rdf+xml"), ("format", "application/rdf+xml")], "application/rdf+xml"),
    ([("format", "xml")], "application/rdf+xml"),
    ([("format", "rdf")], "application/rdf+xml"),
    ([("format", "json")], "application/ld+json"),
    # SPARQLWrapper: its name, then its Accept list, in each of format/output/results
    ([("format", "json-ld"), ("format", "application/ld+json,application/x-json+ld")], "application/ld+json"),
])
def test_format_names_clients_send_for_graphs(client, params, media_type):
    response = client.get("/sparql", query_string=[("query", CONSTRUCT), *params], headers={"Accept": "image/png"})
    assert response.status_code == 200 and response.mimetype == media_type, response.data


@pytest.mark.parametrize("params,media_type", [
    ([("format", "json")], "application/sparql-results+json"),
    ([("output", "xml")], "application/sparql-results+xml"),
    ([("results", "csv")], "text/csv"),
    ([("format", "tsv"), ("format", "text/tab-separated-values")], "text/tab-separated-values"),
])
def test_format_names_clients_send_for_solutions(client, params, media_type):
    response = client.get("/sparql", query_string=[("query", "SELECT * { ?s ?p ?o }"), *params],
                          headers={"Accept": "image/png"})
    assert response.status_code == 200 and response.mimetype == media_type, response.data


def test_unknown_or_unsuitable_format_names_fall_back_to_accept(client):
    unknown = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "nonsense"},
                         headers={"Accept": "application/n-triples"})
    assert unknown.status_code == 200 and unknown.mimetype == "application/n-triples"
    assert len(list(parse(unknown.data, RdfFormat.N_TRIPLES))) == 2
    unsuitable = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "csv"},
                            headers={"Accept": "text/turtle"})
    assert unsuitable.status_code == 200 and unsuitable.mimetype == "text/turtle"


def test_not_acceptable_names_what_was_asked(client):
    response = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "nonsense"},
                          headers={"Accept": "image/png"})
    text = response.get_data(as_text=True)
    assert response.status_code == 406 and "format 'nonsense' is not offered" in text and "'image/png'" in text


@pytest.mark.parametrize("query,words", [
    ("SELECT * WHERE { ?s ade:hasEvidence ?o }", ["prefix `ade:` is not declared", "line 1, column 21"]),
    ("PREFIX graph: <https://w3id.org/adekg/graph/>\nSELECT * WHERE { GRAPH graph:source/000 { ?s ?p ?o } }",
     ["`/` is not allowed in the prefixed name `graph:source/000`", "line 2, column 36", "graph:source\\/000"]),
    ("SELECT * WHERE { ?s ?p ?o ", ["syntax error at line 1, column 27"]),
])
def test_parse_errors_in_words_then_the_parsers_detail(client, query, words):
    response = client.get("/sparql", query_string={"query": query})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/plain" and text.count("\n") == 1
    assert text.startswith("malformed query: ") and all(word in text for word in words), text
    assert "(parser: error at " in text


def test_cli_parse_error_names_the_prefix(tmp_path):
    store_path = tmp_path / "store"
    Store(str(store_path)).add(SHARED)
    result = subprocess.run([sys.executable, "-m", "graph.cli", "query", "--store", str(store_path),
                             "SELECT * WHERE { ?s nope:x ?o }"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "prefix `nope:` is not declared (line 1, column 21)" in result.stderr
    assert "(parser: error at 1:" in result.stderr


def test_html_results_use_the_same_dataset(client):
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    once = client.get("/sparql", query_string={"query": f"SELECT ?o WHERE {{ <{EX}s> <{EX}title> ?o }}"}, headers=browser)
    assert once.status_code == 200 and once.mimetype == "text/html"
    assert once.get_data(as_text=True).count(f"{EX}t<") == 1
    none = client.get("/sparql", query_string={"query": "SELECT ?s FROM <urn:x:none> WHERE { ?s ?p ?o }"}, headers=browser)
    assert none.status_code == 200 and f"{EX}a<" not in none.get_data(as_text=True)
    bad = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ade:x ?o }"}, headers=browser)
    assert bad.status_code == 400 and "prefix `ade:` is not declared" in bad.get_data(as_text=True)
