"""Linked Data: entity IRIs answer 303 to a document in HTML or RDF; named graphs through the Graph Store Protocol."""
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from server import create_app
from server.linked_data import RESERVED

BASE = "https://w3id.org/adekg/"


@pytest.fixture(scope="module")
def client(built_store):
    return create_app(store_path=built_store).test_client()


def ntriples_of(store, query: str) -> Graph:
    """An independent CONSTRUCT over the union graph, as an rdflib graph."""
    from pyoxigraph import RdfFormat
    return Graph().parse(data=store.query(query, use_default_graph_as_union=True)
                         .serialize(format=RdfFormat.N_TRIPLES).decode(), format="nt")


@pytest.mark.parametrize("path", ["data/000/patient", "data/002", "drug/ixazomib", "test/platelet-count",
                                  "mechanism/immune-mediated", "ontology/Patient", "ontology", "graph/source/000"])
def test_entity_iris_redirect_303_to_their_document(client, path):
    response = client.get("/" + path, headers={"Accept": "text/turtle"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/doc/" + path)
    assert client.get(response.headers["Location"], headers={"Accept": "text/turtle"}).status_code == 200


def memory_store(*triples: tuple[str, str, str]):
    """An in-memory store holding these IRI triples in one named graph."""
    from pyoxigraph import NamedNode, Quad, Store
    store = Store()
    for subject, predicate, obj in triples:
        store.add(Quad(NamedNode(subject), NamedNode(predicate), NamedNode(obj), NamedNode(BASE + "graph/test")))
    return store


def test_any_section_of_the_store_dereferences():
    store = memory_store((BASE + "vocabulary/term", BASE + "ontology/mentions", BASE + "sideeffect/rash"))
    client = create_app(store=store).test_client()
    for path in ("vocabulary/term", "sideeffect/rash"):   # as subject, only as object
        response = client.get("/" + path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/doc/" + path), path
        assert client.get(response.headers["Location"], headers={"Accept": "text/turtle"}).status_code == 200
    assert client.get("/vocabulary/other").status_code == 404


def test_iri_base_setting_decides_which_iris_are_entities():
    base = "https://kg.example.org/"
    client = create_app(store=memory_store((base + "thing/1", base + "p", base + "thing/2")),
                        config={"IRI_BASE": base}).test_client()
    assert client.get("/thing/1").status_code == 303
    assert client.get("/doc/thing/2", headers={"Accept": "text/turtle"}).status_code == 200


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_route_names_are_never_sections(name):
    client = create_app(store=memory_store((BASE + name + "/x", BASE + "p", BASE + name))).test_client()
    for path in ("/" + name + "/x", "/" + name, "/doc/" + name + "/x", "/doc/" + name):
        assert client.get(path).status_code != 303, path
    assert client.get("/doc/" + name + "/x").status_code == 404


def test_unknown_iris_in_known_sections_are_404(client):
    for path in ("/drug/no-such-drug", "/data/000/no-such-node", "/ontology/NoSuchClass", "/drug/bad%20iri",
                 "/doc/drug/no-such-drug", "/doc/drug/bad%20iri"):
        response = client.get(path, headers={"Accept": "text/turtle"})
        assert response.status_code == 404 and response.mimetype == "text/plain", path


class CountingStore:
    """A store that records the names of the methods called on it."""

    def __init__(self, store):
        self.store, self.calls = store, []

    def __getattr__(self, name):
        attribute = getattr(self.store, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls.append(name)
            return attribute(*args, **kwargs)
        return call


def test_creating_the_app_does_not_touch_the_store(store):
    counting = CountingStore(store)
    app = create_app(store=counting)
    # Only the endpoint's union view (server.results.prepare): a bounded count of quads, then one copy.
    assert counting.calls == ["query", "query"]
    assert app.test_client().get("/drug/ixazomib").status_code == 303
    assert counting.calls == ["query", "query", "query"]   # the check per request: one ASK


def test_redirect_keeps_the_query_string(client):
    response = client.get("/drug/ixazomib?format=nt")
    assert response.status_code == 303 and response.headers["Location"].endswith("/doc/drug/ixazomib?format=nt")


def test_html_description_of_an_observation(client):
    response = client.get("/doc/data/000/observation/ldh", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode()
    assert "<h1>ldh</h1>" in page and ">ade:LabObservation</a>" in page
    assert 'href="/test/ldh"' in page and 'href="/data/000/quote/58"' in page          # links to our entities
    assert "an elevated LDH level" in page and "000_d2d347646c1aa5a0.txt" in page     # the evidence quote
    assert "characters 7027–7063" in page
    assert 'href="/data/000/patient"' in page                                          # inverse link (hasObservation)


def test_html_shows_definition_and_escapes_values(client):
    page = client.get("/doc/drug/ixazomib", headers={"Accept": "text/html"}).data.decode()
    assert "boronic-acid proteasome inhibitor" in page and 'class="definition"' in page
    claim = client.get("/doc/data/000/claim/ixazomib-auc-renal-impairment", headers={"Accept": "text/html"}).data.decode()
    assert "&lt;30ml/min" in claim and "<30ml/min" not in claim


def test_public_base_maps_the_iri_base_to_the_server(built_store):
    app = create_app(store_path=built_store, config={"PUBLIC_BASE": "https://kg.example.org/adekg/"})
    page = app.test_client().get("/doc/data/000/observation/ldh", headers={"Accept": "text/html"}).data.decode()
    assert 'href="https://kg.example.org/adekg/test/ldh"' in page


@pytest.mark.parametrize("accept,rdflib_format", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                                  ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")])
def test_rdf_descriptions_by_accept_equal_the_store(client, store, accept, rdflib_format):
    response = client.get("/doc/data/000/observation/ldh", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept and response.headers["Vary"] == "Accept"
    if rdflib_format == "json-ld":
        return  # JSON-LD needs the context: expanded and compared in test_jsonld.py
    expected = ntriples_of(store, """PREFIX ade: <https://w3id.org/adekg/ontology/>
        CONSTRUCT { ?s ?p ?o . ?q ?qp ?qo . ?t ade:fileName ?f } WHERE {
        BIND(<https://w3id.org/adekg/data/000/observation/ldh> AS ?s) ?s ?p ?o .
        ?s ade:hasEvidence ?q . ?q ?qp ?qo ; ade:inSourceText ?t . ?t ade:fileName ?f }""")
    assert isomorphic(Graph().parse(data=response.data.decode(), format=rdflib_format), expected)


def test_format_parameter_and_errors(client):
    assert client.get("/doc/data/000/patient?format=nt").mimetype == "application/n-triples"
    for path, headers, status in [("/doc/data/000/patient?format=png", {}, 400),
                                  ("/doc/data/000/patient", {"Accept": "image/png"}, 406),
                                  ("/doc/data/999/patient", {}, 404), ("/doc/elsewhere/x", {}, 404)]:
        response = client.get(path, headers=headers)
        assert response.status_code == status and response.mimetype == "text/plain", path
        assert response.data.decode().count("\n") == 1


def test_graph_store_protocol_get(client, store):
    from pyoxigraph import NamedNode
    graph = BASE + "graph/source/001"
    response = client.get("/rdf-graphs", query_string={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.mimetype == "application/n-triples"
    parsed = Graph().parse(data=response.data.decode(), format="nt")
    assert len(parsed) == len(list(store.quads_for_pattern(None, None, None, NamedNode(graph))))
    assert (URIRef(BASE + "data/001"), None, None) in parsed
    assert client.get("/rdf-graphs", query_string={"graph": BASE + "graph/nope"}).status_code == 404
    assert client.get("/rdf-graphs").status_code == 400
    assert client.get("/rdf-graphs?default", headers={"Accept": "text/turtle"}).status_code == 200


def test_graph_iris_link_to_their_contents(client):
    page = client.get("/doc/graph/source/000", headers={"Accept": "text/html"}).data.decode()
    assert "/rdf-graphs?graph=https://w3id.org/adekg/graph/source/000" in page


def test_every_entity_iri_of_the_graph_dereferences(client, store):
    rows = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), 'https://w3id.org/adekg/')) }",
                       use_default_graph_as_union=True)
    paths = sorted(row["s"].value[len(BASE):] for row in rows)
    assert len(paths) > 1000
    sections = {path.split("/", 1)[0] for path in paths}
    assert {"data", "drug", "test", "mechanism", "ontology", "graph"} <= sections
    for path in paths:
        redirect = client.get("/" + path)
        assert redirect.status_code == 303, path
        document = client.get(redirect.headers["Location"], headers={"Accept": "application/n-triples"})
        assert document.status_code == 200 and (URIRef(BASE + path), None, None) in Graph().parse(
            data=document.data.decode(), format="nt"), path
