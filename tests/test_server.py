"""server/: the first read-only SPARQL endpoint answers in the four result formats and refuses updates."""
import json

import pytest

from server import create_app

QUERY = "PREFIX ade: <https://w3id.org/adekg/ontology/> SELECT ?age WHERE { ?p a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age"


@pytest.fixture(scope="module")
def client(built_store):
    return create_app(store_path=built_store).test_client()


@pytest.mark.parametrize("media_type,check", [
    ("application/sparql-results+json", lambda body: [b["age"]["value"] for b in json.loads(body)["results"]["bindings"]] == ["59", "70", "71"]),
    ("application/sparql-results+xml", lambda body: body.count(b"<result>") == 3),
    ("text/csv", lambda body: body.decode().split() == ["age", "59", "70", "71"]),
    ("text/tab-separated-values", lambda body: body.decode().split() == ["?age", "59", "70", "71"]),
])
def test_select_in_each_result_format(client, media_type, check):
    response = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert check(response.data)
    assert response.headers["Vary"] == "Accept"


def test_post_forms(client):
    form = client.post("/sparql", data={"query": QUERY})
    direct = client.post("/sparql", data=QUERY, content_type="application/sparql-query")
    assert form.status_code == direct.status_code == 200 and form.data == direct.data


def test_construct_as_turtle(client):
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s a <https://w3id.org/adekg/ontology/Patient> }"},
                          headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.data.count(b"Patient") == 3


def test_errors(client):
    assert client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}).status_code == 400
    assert client.post("/sparql", data={"update": "DROP ALL"}).status_code == 403
    assert client.post("/sparql", data="x", content_type="text/plain").status_code == 415
    assert client.get("/sparql", query_string=[("query", QUERY), ("query", QUERY)]).status_code == 400
    assert client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "image/png"}).status_code == 406
