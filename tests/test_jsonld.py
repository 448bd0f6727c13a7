"""JSON-LD for apps: the published context, compacted entity documents, framed case and drug documents round-trip."""
import json

import pytest
from pyld import jsonld
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from server import create_app
from server.jsonld import load_context, local_loader

BASE = "https://w3id.org/adekg/"
CONTEXT_URL = "http://localhost/context/v1.jsonld"   # on the server that answered (the test client's)
PREFIXES = """PREFIX ade: <https://w3id.org/adekg/ontology/>
PREFIX data: <https://w3id.org/adekg/data/>
PREFIX drug: <https://w3id.org/adekg/drug/>
"""


@pytest.fixture(scope="module")
def client(built_store):
    return create_app(store_path=built_store).test_client()


def expanded_graph(document: dict) -> Graph:
    """Expand a JSON-LD document with pyld (context served locally, no network) into an rdflib graph."""
    loader = local_loader(load_context(), CONTEXT_URL)
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    return Graph().parse(data=nquads, format="nt")


def constructed(store, query: str) -> Graph:
    """The statements a CONSTRUCT over the union graph yields, as an rdflib graph."""
    from pyoxigraph import RdfFormat
    results = store.query(PREFIXES + query, use_default_graph_as_union=True)
    return Graph().parse(data=results.serialize(format=RdfFormat.N_TRIPLES).decode(), format="nt")


def assert_same(actual: Graph, expected: Graph):
    """Isomorphic graphs, or a readable diff."""
    if not isomorphic(actual, expected):
        _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        raise AssertionError(f"only in document: {sorted(only_actual)[:5]} ({len(only_actual)});"
                             f" only in store: {sorted(only_expected)[:5]} ({len(only_expected)})")


def test_context_is_published_versioned_and_cacheable(client):
    response = client.get("/context/v1.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    context = json.loads(response.data)["@context"]
    assert context["ade"] == BASE + "ontology/" and context["drug"] == BASE + "drug/"
    assert context["skos"] == "http://www.w3.org/2004/02/skos/core#" and context["prov"] == "http://www.w3.org/ns/prov#"
    assert context["hasEvidence"] == {"@id": "ade:hasEvidence", "@type": "@id"}
    assert context["CaseReport"] == "ade:CaseReport" and context["label"] == "rdfs:label"


def test_entity_jsonld_is_compacted_with_the_context(client):
    response = client.get("/doc/data/000/observation/ldh", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    document = json.loads(response.data)
    assert document["@context"] == CONTEXT_URL
    assert document["id"] == "data:000/observation/ldh" and document["type"] == "LabObservation"
    assert document["labTest"] == "test:ldh" and document["hasEvidence"]["type"] == "TextQuote"
    assert not any(key.startswith("http") for key in document)


def test_context_can_be_inline(client):
    document = json.loads(client.get("/doc/drug/ixazomib?format=jsonld&context=inline").data)
    assert isinstance(document["@context"], dict) and document["label"] == {"@language": "en", "@value": "ixazomib"}
    Graph().parse(data=json.dumps(document), format="json-ld")  # a second processor reads it without network


@pytest.mark.parametrize("path", ["data/000/observation/ldh", "data/002/patient", "drug/ixazomib",
                                  "mechanism/nfkb-vegf-pathway", "test/platelet-count", "ontology/Patient"])
def test_entity_jsonld_round_trips(client, store, path):
    document = json.loads(client.get(f"/doc/{path}?format=jsonld").data)
    iri = f"<{BASE}{path}>"
    expected = constructed(store, f"""CONSTRUCT {{ {iri} ?p ?o . ?q ?qp ?qo . ?text ade:fileName ?file }} WHERE {{
        {{ {iri} ?p ?o FILTER(!isBlank(?o)) }}
        UNION {{ {iri} ade:hasEvidence ?q . ?q ?qp ?qo OPTIONAL {{ ?q ade:inSourceText ?text . ?text ade:fileName ?file }} }} }}""")
    assert len(expected) > 0
    assert_same(expanded_graph(document), expected)


def test_api_errors(client):
    for path in ("/api/case/999", "/api/drug/no-such-drug"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/plain"
        assert response.data.decode().count("\n") == 1


def test_construct_results_compact_with_the_context(client, store):
    query = PREFIXES + "CONSTRUCT { ?p a ade:Patient ; ade:ageInYears ?age } WHERE { ?p a ade:Patient ; ade:ageInYears ?age }"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    document = response.get_json()
    assert document["@context"] == load_context()["@context"]   # inline: any JSON-LD processor expands it offline
    assert sorted(node["ageInYears"] for node in document["graph"]) == [59, 70, 71]
    assert_same(expanded_graph(document), constructed(store, query[len(PREFIXES):]))
    by_url = client.get("/sparql", query_string={"query": query, "context": "url"},
                        headers={"Accept": "application/ld+json"}).get_json()
    assert by_url["@context"] == CONTEXT_URL and by_url["graph"] == document["graph"]
