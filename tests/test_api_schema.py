"""/api/ documents for apps: the JSON Schema in docs/, plain keys, numbers, embedded quotes, offline expansion;
Linked Data JSON-LD that names a context on the serving server and that a JSON-LD 1.0 processor accepts."""
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from pyld import jsonld
from pyoxigraph import Literal

from graph.store import open_store
from server import create_app
from tests.conftest import DOCUMENTS, SEEDS

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "api.schema.json").read_text(encoding="utf-8"))
BASE = "https://w3id.org/adekg/"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + name for name in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger")}


@pytest.fixture(scope="module")
def store_path(plain_store):
    """The seeds built without reasoning (the documents' shape does not depend on it)."""
    return plain_store


@pytest.fixture(scope="module")
def client(store_path):
    return create_app(store_path=store_path).test_client()


@pytest.fixture(scope="module")
def drug_keys(store_path):
    store = open_store(store_path)
    rows = store.query(f"SELECT DISTINCT ?d WHERE {{ ?d a <{BASE}ontology/Drug> FILTER(STRSTARTS(STR(?d), '{BASE}drug/')) }}",
                       use_default_graph_as_union=True)
    keys = sorted(row["d"].value[len(BASE + "drug/"):] for row in rows)
    del store
    assert "ixazomib" in keys and len(keys) > 20
    return keys


def offline_loader(client):
    """A pyld document loader that reads only from the test server (any other URL fails)."""
    def load(url, options=None):
        assert url.startswith("http://localhost/"), f"network access to {url}"
        response = client.get(url[len("http://localhost"):])
        assert response.status_code == 200, url
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(response.data)}
    return load


def statements(document: dict, client, mode: str = "json-ld-1.1") -> set:
    """The document expanded to RDF by pyld, as (subject, predicate, normalised object) triples."""
    dataset = jsonld.to_rdf(document, {"documentLoader": offline_loader(client), "processingMode": mode})
    triples = set()
    for triple in dataset["@default"]:
        obj = triple["object"]
        value = ("iri", obj["value"]) if obj["type"] != "literal" else normalised(obj["value"], obj["datatype"])
        triples.add((triple["subject"]["value"], triple["predicate"]["value"], value))
    return triples


def normalised(lexical: str, datatype: str):
    """A literal compared by value: numbers as numbers, everything else by its text (language dropped)."""
    if datatype in NUMERIC:
        return ("number", float(lexical))
    if datatype == XSD + "boolean":
        return ("boolean", lexical in ("true", "1"))
    return ("text", lexical)


def store_statements(store_path, where: str) -> set:
    """What the store says about the document, as normalised triples (an independent query)."""
    store = open_store(store_path)
    triples = set()
    for row in store.query(f"SELECT DISTINCT ?s ?p ?o WHERE {{ {where} }}", use_default_graph_as_union=True):
        obj = row["o"]
        value = normalised(obj.value, obj.datatype.value) if isinstance(obj, Literal) else ("iri", obj.value)
        triples.add((row["s"].value, row["p"].value, value))
    del store
    return triples


def api_paths(drug_keys):
    return [f"/api/case/{document}" for document in DOCUMENTS] + [f"/api/drug/{key}" for key in drug_keys]


def test_every_api_document_follows_the_schema(client, drug_keys):
    validator = Draft202012Validator(SCHEMA)
    for path in api_paths(drug_keys):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/ld+json", path
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.get_json())]
        assert not errors, (path, errors[:5])


def test_every_api_document_expands_offline_to_its_statements(client, drug_keys, store_path):
    for path in api_paths(drug_keys):
        document = client.get(path).get_json()
        assert not isinstance(document["@context"], str)   # inline: nothing to fetch
        expanded = statements(document, client)
        assert expanded and all(s.startswith(("http", "_:")) for s, _, _ in expanded)
    case = statements(client.get("/api/case/000").get_json(), client)
    expected = store_statements(store_path, f"""?s ?p ?o FILTER(?s = <{BASE}data/000>
        || STRSTARTS(STR(?s), "{BASE}data/000/"))""")
    assert len(expected) > 1000 and case == expected


def test_drug_document_expands_to_its_statements(client, store_path):
    drug = client.get("/api/drug/ixazomib").get_json()
    nodes = f"""{{ BIND(<{BASE}drug/ixazomib> AS ?n) }} UNION {{ ?n ?link <{BASE}drug/ixazomib> FILTER(isIRI(?n)) }}
        UNION {{ ?n a <{BASE}ontology/ClassLevelRisk> .
                 {{ ?n ?l <{BASE}drug/ixazomib> }} UNION {{ ?n ?l ?v . ?v ?l2 <{BASE}drug/ixazomib> }} }}"""
    expected = store_statements(store_path, f"""
        {{ SELECT DISTINCT ?m WHERE {{
            {{ {nodes.replace("?n", "?m")} }}
            UNION {{ {{ {nodes} }} ?n ?any ?m FILTER(STRSTARTS(STR(?m), "{BASE}mechanism/")) }} }} }}
        {{ ?m ?p ?o BIND(?m AS ?s) }}
        UNION {{ ?m <{BASE}ontology/hasEvidence> ?s . ?s ?p ?o }}
        UNION {{ ?m <{BASE}ontology/hasEvidence> ?q . ?q <{BASE}ontology/inSourceText> ?s .
                 BIND(<{BASE}ontology/fileName> AS ?p) ?s ?p ?o }}""")
    assert len(expected) > 500 and statements(drug, client) == expected


def test_case_document_reads_without_rdf(client):
    document = client.get("/api/case/000").get_json()
    case = document["graph"][0]
    assert case["id"] == BASE + "data/000" and case["type"] == ["CaseReport"]
    patient = case["describesPatient"][0]
    assert patient["ageInYears"] == 71 and patient["sex"]["id"] == BASE + "ontology/Female"
    platelets = [o for o in patient["hasObservation"] if o["labTest"]["id"] == BASE + "test/platelet-count"]
    assert platelets and all(isinstance(value, (int, float)) for o in platelets for value in o["numericValue"])
    assert 84000 in [value for o in platelets for value in o["numericValue"]]   # "84000/dl" in the text
    exposure = next(e for e in patient["hasExposure"] if e["drug"]["id"] == BASE + "drug/ixazomib")
    assert exposure["scheduleDay"] == [1, 8, 15]
    quote = platelets[0]["hasEvidence"][0]
    text = (SEEDS / quote["inSourceText"]["fileName"][0]).read_text(encoding="utf-8")
    assert text[quote["startOffset"]:quote["endOffset"]] == quote["exactText"][0]
    assert all(":" not in key for node in document["graph"] for key in node)


def test_drug_document_reads_without_rdf(client):
    drug = client.get("/api/drug/ixazomib").get_json()["graph"][0]
    assert drug["label"] == "ixazomib" and isinstance(drug["label"], str)
    assert len(drug["claimsAboutDrug"]) > 30
    exposures = drug["exposuresToDrug"]
    assert {e["drug"]["id"] for e in exposures} == {BASE + "drug/ixazomib"}
    assert all(quote["exactText"] for claim in drug["claimsAboutDrug"] for quote in claim["hasEvidence"])


@pytest.mark.parametrize("path", ["/doc/data/000/patient", "/doc/drug/ixazomib", "/doc/ontology/Patient"])
def test_linked_data_context_is_on_the_serving_server(client, path):
    document = client.get(path, headers={"Accept": "application/ld+json"}).get_json()
    assert document["@context"] == "http://localhost/context/v1.jsonld"
    assert statements(document, client)                      # JSON-LD 1.1 processor, offline
    assert statements(document, client, "json-ld-1.0")       # and a JSON-LD 1.0 processor


def test_context_is_json_ld_1_0(client):
    context = client.get("/context/v1.jsonld").get_json()
    assert "@version" not in context["@context"]
    jsonld.expand({"@context": context["@context"], "@id": BASE + "x", "label": "x"},
                  {"processingMode": "json-ld-1.0"})


@pytest.mark.parametrize("path", ["/doc/data/000/patient?format=ttl",
                                  "/rdf-graphs?graph=https://w3id.org/adekg/graph/source/000&format=ttl"])
def test_turtle_names_need_no_escaped_slash(client, path):
    from pyoxigraph import RdfFormat, parse
    turtle = client.get(path).data
    assert b"\\/" not in turtle and b"d000-observation:" in turtle
    n_triples = client.get(path.replace("format=ttl", "format=nt")).data
    assert set(parse(turtle, RdfFormat.TURTLE)) == set(parse(n_triples, RdfFormat.N_TRIPLES))
