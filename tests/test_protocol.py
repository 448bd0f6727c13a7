"""SPARQL 1.1 Protocol behaviours of /sparql, checked with Flask's test client."""
import json

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from server import create_app
from server.negotiation import choose

ADE = "https://w3id.org/adekg/ontology/"
AGES = f"SELECT ?age WHERE {{ ?p a <{ADE}Patient> ; <{ADE}ageInYears> ?age }} ORDER BY ?age"
PATIENTS = f"CONSTRUCT WHERE {{ ?p a <{ADE}Patient> }}"


@pytest.fixture(scope="module")
def app(built_store):
    return create_app(store_path=built_store, config={"MAX_CONTENT_LENGTH": 10_000})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def tiny():
    """A store with two named graphs, for dataset parameters."""
    store = Store()
    for name in ("a", "b"):
        store.add(Quad(NamedNode(f"http://ex/{name}"), NamedNode("http://ex/p"), NamedNode("http://ex/o"),
                       NamedNode(f"http://ex/g/{name}")))
    return create_app(store=store).test_client()


def ages(response):
    return [b["age"]["value"] for b in json.loads(response.data)["results"]["bindings"]]


@pytest.mark.parametrize("accept,expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
    ("application/json", "application/sparql-results+json"),
    ("image/png", None),
    ("text/csv;q=0", None),
])
def test_negotiation_table(accept, expected):
    assert choose("solutions", accept) == expected


def test_graph_negotiation_and_format_override():
    assert choose("graph", None) == "text/turtle"
    assert choose("graph", "application/ld+json, text/turtle;q=0.5") == "application/ld+json"
    assert choose("graph", "application/n-quads") == "application/n-quads"
    assert choose("graph", "image/png", "nt") == "application/n-triples"
    assert choose("solutions", "text/csv", "json") == "application/sparql-results+json"
    assert choose("solutions", None, "text/tab-separated-values") == "text/tab-separated-values"
    assert choose("solutions", None, "turtle") == "application/sparql-results+json"  # not a result format: Accept


@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_three_ways_to_send_a_query(client, method):
    if method == "get":
        response = client.get("/sparql", query_string={"query": AGES})
    elif method == "form":
        response = client.post("/sparql", data={"query": AGES})
    else:
        response = client.post("/sparql", data=AGES, content_type="application/sparql-query")
    assert response.status_code == 200 and ages(response) == ["59", "70", "71"]
    assert response.headers["Vary"] == "Accept" and response.headers["ETag"]


@pytest.mark.parametrize("media_type,syntax", [
    ("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/rdf+xml", RdfFormat.RDF_XML), ("application/ld+json", RdfFormat.JSON_LD),
    ("application/trig", RdfFormat.TRIG), ("application/n-quads", RdfFormat.N_QUADS)])
def test_construct_in_each_rdf_syntax(client, media_type, syntax):
    response = client.get("/sparql", query_string={"query": PATIENTS}, headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert len(list(parse(response.data, syntax))) == 3


def test_ask_and_format_parameter(client):
    response = client.get("/sparql", query_string={"query": "ASK {}", "format": "xml"}, headers={"Accept": "text/csv"})
    assert response.mimetype == "application/sparql-results+xml" and b"<boolean>true</boolean>" in response.data


def test_dataset_parameters(tiny):
    query = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
    union = tiny.get("/sparql", query_string={"query": query})
    assert [b["s"]["value"] for b in json.loads(union.data)["results"]["bindings"]] == ["http://ex/a", "http://ex/b"]
    one = tiny.get("/sparql", query_string={"query": query, "default-graph-uri": "http://ex/g/b"})
    assert [b["s"]["value"] for b in json.loads(one.data)["results"]["bindings"]] == ["http://ex/b"]
    named = tiny.post("/sparql?named-graph-uri=http://ex/g/a", data="SELECT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
                      content_type="application/sparql-query")
    rows = json.loads(named.data)["results"]["bindings"]
    assert [(r["g"]["value"], r["s"]["value"]) for r in rows] == [("http://ex/g/a", "http://ex/a")]
    # only named graphs given: the default graph is empty
    empty = tiny.get("/sparql", query_string={"query": query, "named-graph-uri": "http://ex/g/a"})
    assert json.loads(empty.data)["results"]["bindings"] == []
    # the protocol dataset wins over FROM in the query
    override = tiny.get("/sparql", query_string={"query": "SELECT ?s FROM <http://ex/g/a> WHERE { ?s ?p ?o }",
                                                  "default-graph-uri": "http://ex/g/b"})
    assert [b["s"]["value"] for b in json.loads(override.data)["results"]["bindings"]] == ["http://ex/b"]


@pytest.mark.parametrize("request_args,status,words", [
    ({"method": "GET", "query_string": {"query": "SELECT ?x WHERE {"}}, 400, "malformed query: syntax error at line 1"),
    ({"method": "GET", "query_string": [("query", AGES), ("query", AGES)]}, 400, "exactly one"),
    ({"method": "POST", "data": {"query": AGES, "update": "CLEAR ALL"}}, 400, "not both"),
    ({"method": "GET", "query_string": {"update": "CLEAR ALL"}}, 403, "read-only"),
    ({"method": "POST", "data": {"update": "LOAD <http://example.org/x>"}}, 403, "read-only"),
    ({"method": "POST", "data": "DROP ALL", "content_type": "application/sparql-update"}, 403, "read-only"),
    ({"method": "POST", "data": {"query": "INSERT DATA { <a:a> <a:a> <a:a> }"}}, 403, "read-only"),
    ({"method": "POST", "data": "ASK {}", "content_type": "text/plain"}, 415, "unsupported media type"),
    ({"method": "POST", "data": "ASK {}"}, 415, "unsupported media type"),
    ({"method": "POST", "data": "ASK {}".encode("utf-16"), "content_type": "application/sparql-query; charset=UTF-16"},
     415, "UTF-8"),
    ({"method": "GET", "query_string": {"query": AGES}, "headers": {"Accept": "image/png"}}, 406,
     "offered: application/sparql-results+json"),
    ({"method": "POST", "data": "ASK {} #" + "x" * 20_000, "content_type": "application/sparql-query"}, 413, "limit"),
    ({"method": "PUT", "data": "ASK {}"}, 405, "not allowed"),
    ({"method": "GET", "query_string": {"query": "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}},
     403, "SERVICE http://example.org/sparql refused"),
    ({"method": "GET", "query_string": {"query": "SELECT * { SERVICE ?endpoint { ?s ?p ?o } }"}}, 403, "refused"),
    ({"method": "POST", "data": {"foo": "1"}}, 400, "no 'query'"),
])
def test_errors_are_one_plain_line(client, request_args, status, words):
    response = client.open("/sparql", **request_args)
    assert response.status_code == status, response.data
    assert response.mimetype == "text/plain" and words in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count("\n") == 1


def test_service_keyword_inside_strings_and_names_is_not_refused(client):
    query = 'SELECT ?service WHERE { BIND("SERVICE <http://x/>" AS ?service) } # SERVICE <http://y/>'
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_service_on_the_allow_list_is_let_through(built_store):
    app = create_app(store_path=built_store, config={"ADEKG_SERVICE_ALLOW": ["http://127.0.0.1:9/"]})
    response = app.test_client().get("/sparql", query_string={
        "query": "SELECT * { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert response.status_code == 200  # SILENT: the unreachable endpoint yields one empty solution


def test_store_untouched_after_update_attempts(client):
    before = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).data
    client.post("/sparql", data={"update": "CLEAR ALL"})
    client.post("/sparql", data="DROP ALL", content_type="application/sparql-update")
    after = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                       headers={"Cache-Control": "no-cache", "Accept": "text/csv"}).data
    assert json.loads(before)["results"]["bindings"][0]["n"]["value"] == after.decode().split()[1]


def test_cors(client):
    preflight = client.options("/sparql", headers={"Origin": "http://other.example",
                                                   "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "http://other.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_etag_and_304(client):
    first = client.get("/sparql", query_string={"query": AGES})
    etag = first.headers["ETag"]
    again = client.get("/sparql", query_string={"query": AGES}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.data
    other_type = client.get("/sparql", query_string={"query": AGES}, headers={"Accept": "text/csv"})
    assert other_type.headers["ETag"] != etag
    cached = client.get("/sparql", query_string={"query": AGES})
    assert cached.data == first.data and cached.headers["ETag"] == etag


def test_large_results_stream(built_store):
    app = create_app(store_path=built_store, config={"ADEKG_SPOOL_AFTER": 1024})
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"},
                                     headers={"Accept": "text/tab-separated-values"})
    assert response.status_code == 200 and response.is_streamed
    assert int(response.headers["Content-Length"]) == len(response.get_data()) > 1024
    assert len(response.get_data().splitlines()) > 1000


def test_triple_cap(built_store):
    app = create_app(store_path=built_store, config={"ADEKG_MAX_TRIPLES": 5})
    response = app.test_client().get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                                     headers={"Accept": "application/n-triples"})
    assert len(response.data.splitlines()) == 5


def test_row_cap(built_store):
    client = create_app(store_path=built_store, config={"ADEKG_MAX_ROWS": 2}).test_client()
    capped = client.get("/sparql", query_string={"query": AGES})
    assert ages(capped) == ["59", "70"] and capped.headers["X-SPARQL-MaxRows"] == "2"
    assert "X-SPARQL-MaxRows" in capped.headers["Access-Control-Expose-Headers"]
    within = client.get("/sparql", query_string={"query": AGES + " LIMIT 1"})
    assert ages(within) == ["59"] and "X-SPARQL-MaxRows" not in within.headers
    uncapped = create_app(store_path=built_store, config={"ADEKG_MAX_ROWS": 0}).test_client()
    assert ages(uncapped.get("/sparql", query_string={"query": AGES})) == ["59", "70", "71"]


def test_result_size_cap(built_store):
    app = create_app(store_path=built_store, config={"ADEKG_MAX_RESULT_BYTES": 10_000})
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"})
    assert response.status_code == 507 and b"exceeds the limit" in response.data


@pytest.mark.parametrize("accept,syntax", [("text/turtle", RdfFormat.TURTLE), ("application/ld+json", RdfFormat.JSON_LD)])
def test_service_description(client, accept, syntax):
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    store = Store()
    store.extend(Quad(t.subject, t.predicate, t.object) for t in parse(response.data, syntax))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert store.query(f"ASK {{ <http://localhost/sparql> a <{sd}Service> ; <{sd}endpoint> <http://localhost/sparql> ;"
                       f" <{sd}supportedLanguage> <{sd}SPARQL11Query> ; <{sd}resultFormat> "
                       f"<http://www.w3.org/ns/formats/SPARQL_Results_JSON> ; <{sd}defaultDataset>/<{sd}namedGraph>/"
                       f"<{sd}name> <https://w3id.org/adekg/graph/source/000> }}")


def test_html_hook(built_store):
    app = create_app(store_path=built_store, config={"ADEKG_HTML_PAGE": "test_page"})
    app.add_url_rule("/test-page", "test_page", lambda: "<html>page</html>")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert app.test_client().get("/sparql", headers={"Accept": browser}).data == b"<html>page</html>"
    assert app.test_client().get("/sparql", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"


def test_void(client):
    response = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.headers["ETag"]
    store = Store()
    store.extend(Quad(t.subject, t.predicate, t.object) for t in parse(response.data, RdfFormat.N_TRIPLES))
    void = "http://rdfs.org/ns/void#"
    row = next(iter(store.query(f"SELECT ?t ?c ?p ?l WHERE {{ ?d a <{void}Dataset> ; <{void}triples> ?t ; "
                                f"<{void}classes> ?c ; <{void}properties> ?p ; <http://purl.org/dc/terms/license> ?l }}")))
    assert int(row["t"].value) > 1000 and int(row["c"].value) > 10 and int(row["p"].value) > 10
    assert store.query(f"ASK {{ ?d <{void}subset> [ <http://www.w3.org/ns/sparql-service-description#name> "
                       f"<https://w3id.org/adekg/graph/source/002> ; <http://www.w3.org/ns/prov#wasGeneratedBy> ?a ] }}")
    again = client.get("/.well-known/void", headers={"Accept": "application/n-triples",
                                                     "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
