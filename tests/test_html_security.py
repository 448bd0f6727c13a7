"""HTML pages show hostile IRIs safely (no javascript: or protocol-relative links) and carry security headers."""
from __future__ import annotations

import re

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from server import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DRUG = "https://w3id.org/adekg/drug/ixazomib"
HOSTILE = ('SELECT * WHERE { BIND(IRI("javascript://w3id.org/adekg/drug/ixazomib%0Aalert(1)") AS ?x) '
           'BIND(<https://w3id.org/adekg//evil.example/login> AS ?y) '
           'BIND(<https://w3id.org/adekg/drug/ixazomib> AS ?z) '
           'BIND(<data:text/html,x> AS ?w) BIND(<http://purl.obolibrary.org/obo/HP_1> AS ?v) }')


@pytest.fixture(scope="module")
def client():
    store = Store()
    drug = NamedNode(DRUG)
    for target in ("javascript:alert(1)", "https://w3id.org/adekg//evil.example/login", "http://example.org/ok",
                   "https://w3id.org/adekg/drug/other"):
        store.add(Quad(drug, NamedNode("https://w3id.org/adekg/ontology/related"), NamedNode(target),
                       NamedNode("https://w3id.org/adekg/graph/source/000")))
    store.add(Quad(drug, NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), Literal("ixazomib"),
                   NamedNode("https://w3id.org/adekg/graph/source/000")))
    return create_app(store=store).test_client()


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def assert_safe_links(html: str) -> None:
    for href in hrefs(html):
        assert not href.lower().startswith(("javascript:", "data:", "//")), href
        assert href.startswith(("/", "http://", "https://", "?")), href


@pytest.mark.parametrize("route,headers", [("/query", {}), ("/sparql", {"Accept": BROWSER})])
def test_result_tables_link_only_web_iris_safely(client, route, headers):
    response = client.get(route, query_string={"query": HOSTILE}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_safe_links(html)
    links = hrefs(html)
    assert "https://w3id.org/adekg//evil.example/login" in links  # shown as the full absolute URL
    assert "/drug/ixazomib" in links and "http://purl.obolibrary.org/obo/HP_1" in links
    assert "javascript://w3id.org/adekg/drug/ixazomib%0Aalert(1)" in html  # as text, not as a link


def test_entity_page_links_only_web_iris_safely(client):
    response = client.get("/doc/drug/ixazomib", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_safe_links(html)
    assert "https://w3id.org/adekg//evil.example/login" in hrefs(html) and "/drug/other" in hrefs(html)
    assert "javascript:alert(1)" in html and 'href="javascript' not in html


@pytest.mark.parametrize("url,headers", [("/", {}), ("/query?query=ASK%7B%7D", {}),
                                         ("/sparql?query=ASK%7B%7D", {"Accept": BROWSER}),
                                         ("/doc/drug/ixazomib", {"Accept": "text/html"}),
                                         ("/sparql", {"Accept": BROWSER}), ("/query", {})])
def test_html_responses_carry_security_headers(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/sparql?query=ASK%7B%7D", "/context/v1.jsonld", "/api/drug/ixazomib",
                                 "/rdf-graphs?default", "/no/such/thing"])
def test_every_response_says_nosniff(client, url):
    assert client.get(url).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url,words", [("/rdf-graphs?graph=a%20b", "invalid IRI for ?graph="),
                                       ("/api/case/a%20b", "invalid IRI for the case report"),
                                       ("/api/drug/a%3Cb", "invalid IRI for the drug")])
def test_invalid_iris_are_400_text_plain(client, url, words):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert words in response.get_data(as_text=True) and response.get_data(as_text=True).count("\n") == 1


@pytest.mark.parametrize("url", ["/doc/drug/ixazomib", "/drug/ixazomib", "/api/drug/ixazomib", "/rdf-graphs?default",
                                 "/.well-known/void", "/context/v1.jsonld", "/sparql", "/sparql?query=ASK%7B%7D",
                                 "/query?query=ASK%7B%7D", "/"])
def test_head_works_wherever_get_does(client, url):
    get, head = client.get(url), client.head(url)
    assert head.status_code == get.status_code and head.status_code in (200, 303)
    assert head.data == b"" and head.headers["Content-Type"] == get.headers["Content-Type"]
