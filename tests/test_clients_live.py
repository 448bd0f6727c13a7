"""The client matrix against a live `adekg serve`: SPARQLWrapper with its defaults (every query form in every
format it offers), rdflib's SPARQLStore, Comunica (npm), and JSON-LD documents expanded by pyld and jsonld.js
reading nothing but the server that served them.

The JavaScript clients live in tests/js (package.json + package-lock.json). `.ci/run` installs them with
`npm ci --prefix tests/js` when node is present and they are missing; this test never downloads anything and is
skipped, with the reason, where node or the installed packages are missing.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from pyld import jsonld
from rdflib import Graph, Literal, URIRef

from tests.conftest import DOCUMENTS
from tests.test_protocol_live import PROLOGUE, live_server

pytestmark = pytest.mark.slow  # starts gunicorn and node
ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "tests" / "js"
AGES = PROLOGUE + "SELECT ?age WHERE { ?p a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age"
PATIENTS = PROLOGUE + "CONSTRUCT WHERE { ?p a ade:Patient ; ade:ageInYears ?age }"
DESCRIBE = PROLOGUE + "DESCRIBE data:000"
JSONLD_PATHS = ["/doc/data/000/patient", "/doc/drug/ixazomib", "/doc/ontology/Patient", "/doc/data/000/observation/ldh",
                *[f"/api/case/{document}" for document in DOCUMENTS], "/api/drug/ixazomib", "/api/drug/bortezomib"]


@pytest.fixture(scope="module")
def server(plain_store):
    """`adekg serve` over the seeds built without reasoning (no client here needs inferences)."""
    with live_server(plain_store, "--workers", "2") as (base, _):
        yield base


def wrapper(base: str, query: str, return_format: str):
    """A SPARQLWrapper with default settings but the return format, and its converted result."""
    from SPARQLWrapper import SPARQLWrapper
    client = SPARQLWrapper(base + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(return_format)
    return client.query().convert()


@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper_select_and_ask(server, return_format):
    ages = wrapper(server, AGES, return_format)
    answer = wrapper(server, PROLOGUE + "ASK { ?p a ade:Patient }", return_format)
    if return_format == "json":
        assert [b["age"]["value"] for b in ages["results"]["bindings"]] == ["59", "70", "71"]
        assert answer["boolean"] is True
    elif return_format == "xml":
        assert [n.firstChild.firstChild.nodeValue for n in ages.getElementsByTagName("binding")] == ["59", "70", "71"]
        assert answer.getElementsByTagName("boolean")[0].firstChild.nodeValue == "true"
    else:
        assert ages.decode().split()[1:] == ["59", "70", "71"]
        assert "true" in answer.decode()


@pytest.mark.parametrize("query", [PATIENTS, DESCRIBE], ids=["construct", "describe"])
@pytest.mark.parametrize("return_format", ["xml", "rdf+xml", "turtle", "n3", "json-ld", "rdf"])
def test_sparqlwrapper_graphs_in_every_format(server, query, return_format):
    result = wrapper(server, query, return_format)
    if isinstance(result, bytes):   # SPARQLWrapper hands Turtle and N3 over as text
        result = Graph().parse(data=result.decode(), format="turtle")
    assert isinstance(result, Graph), type(result)
    if query is PATIENTS:
        assert sorted(int(age) for age in result.objects(predicate=URIRef(
            "https://w3id.org/adekg/ontology/ageInYears"))) == [59, 70, 71]
    else:
        assert (URIRef("https://w3id.org/adekg/data/000"), None, None) in result and len(result) > 5


def test_rdflib_sparqlstore(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    store = SPARQLStore(server + "/sparql", returnFormat="json")
    assert [row.age for row in store.query(AGES)] == [Literal(59), Literal(70), Literal(71)]
    assert store.query(PROLOGUE + "ASK { ?p a ade:Patient }").askAnswer is True
    graph = SPARQLStore(server + "/sparql").query(PATIENTS).graph
    assert len(graph) == 6
    described = SPARQLStore(server + "/sparql").query(DESCRIBE).graph
    assert (URIRef("https://w3id.org/adekg/data/000"), None, None) in described


def node_script(name: str, *args: str) -> dict:
    """Run one of the tests/js scripts; its JSON output (skip where node or the packages are missing)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the JavaScript clients need Node 18+)")
    if not (JS / "node_modules" / "@comunica" / "query-sparql").is_dir() or not (JS / "node_modules" / "jsonld").is_dir():
        pytest.skip("the JavaScript clients are not installed: npm ci --prefix tests/js (.ci/run does it)")
    result = subprocess.run([node, str(JS / name), *args], capture_output=True, text=True, timeout=300, cwd=JS)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_comunica_select_ask_construct(server):
    endpoint = server + "/sparql"
    ages = node_script("comunica-query.mjs", endpoint, AGES)
    assert sorted(int(row["age"]) for row in ages["bindings"]) == [59, 70, 71]
    assert node_script("comunica-query.mjs", endpoint, PROLOGUE + "ASK { ?p a ade:Patient }") == {"boolean": True}
    triples = node_script("comunica-query.mjs", endpoint, PATIENTS)["triples"]
    assert len(triples) == 6


def pyld_statement_count(base: str, path: str) -> int:
    """The number of statements pyld expands a served document to, fetching only from the server."""
    def load(url, options=None):
        assert url.startswith(base + "/"), f"network access to {url}"
        request = urllib.request.Request(url, headers={"Accept": "application/ld+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return {"contextUrl": None, "documentUrl": url, "document": json.loads(response.read())}
    document = load(base + path)["document"]
    return len(jsonld.to_rdf(document, {"documentLoader": load})["@default"])


def test_jsonld_documents_expand_offline_with_pyld_and_jsonld_js(server):
    js_counts = node_script("jsonld-expand.mjs", server, *JSONLD_PATHS)
    for path in JSONLD_PATHS:
        count = pyld_statement_count(server, path)
        assert count > 0 and js_counts[path] == count, (path, count, js_counts[path])
