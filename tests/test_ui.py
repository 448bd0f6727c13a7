"""The query page: YASGUI shipped in the package, competency questions as examples, a form that needs no JavaScript."""
import re
from pathlib import Path

import pytest

from server import create_app

ROOT = Path(__file__).resolve().parent.parent
QUERY = "PREFIX ade: <https://w3id.org/adekg/ontology/> SELECT ?p ?age WHERE { ?p a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age"


@pytest.fixture(scope="module")
def app(built_store):
    return create_app(store_path=built_store)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def test_query_page_ships_yasgui_and_the_examples(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode()
    scripts = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page)
    assert "/static/yasgui/yasgui.min.js" in scripts and "/static/yasgui/yasgui.min.css" in scripts
    assert not [url for url in scripts if url.startswith(("http:", "https:", "//"))]   # no CDN
    for asset in ("/static/yasgui/yasgui.min.js", "/static/yasgui/yasgui.min.css", "/static/query.js"):
        assert client.get(asset).status_code == 200
    assert len(list((ROOT / "queries").glob("cq-*.rq"))) == page.count('<option value="cq-')
    assert "Which cancer agents does Table 1" in page


def test_plain_form_works_without_javascript(client):
    page = client.get("/?example=cq-07-patient-outcomes").data.decode()
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*>\s*<textarea name="query"[^>]*>([^<]*)</textarea>', page)
    assert form and "hasOutcome" in form.group(2)
    response = client.get(form.group(1), query_string={"query": QUERY})
    assert response.status_code == 200 and response.mimetype == "text/html"
    table = response.data.decode()
    assert table.count("<tr>") == 4 and "<th>age</th>" in table and 'href="/data/002/patient"' in table


def test_results_page_errors_are_reported(client):
    response = client.get("/query", query_string={"query": "SELECT ?x WHERE {"})
    assert response.status_code == 400 and "malformed query" in response.data.decode()
    assert client.get("/query").status_code == 400


def test_results_page_for_ask_and_construct(client):
    ask = client.get("/query", query_string={"query": "ASK { ?s ?p ?o }"}).data.decode()
    assert "<td>true</td>" in ask
    construct = "CONSTRUCT WHERE { ?s a <https://w3id.org/adekg/ontology/Patient> }"
    page = client.get("/query", query_string={"query": construct}).data.decode()
    assert page.count("<tr>") == 4 and "<th>predicate</th>" in page
    assert "&lt;https://w3id.org/adekg/ontology/Patient&gt;" in page   # the query text is escaped


def test_results_page_shows_a_bounded_number_of_rows(built_store):
    client = create_app(store_path=built_store, config={"ADEKG_HTML_ROWS": 2}).test_client()
    page = client.get("/query", query_string={"query": QUERY}).data.decode()
    assert page.count("<tr>") == 3 and "first 2 results shown" in page


def test_queries_folder_is_configurable(built_store, tmp_path):
    (tmp_path / "cq-99-mine.rq").write_text("# My <question>?\nASK {}\n", encoding="utf-8")
    page = create_app(store_path=built_store, config={"QUERIES_DIR": str(tmp_path)}).test_client().get("/").data.decode()
    assert page.count('<option value="cq-') == 1 and "My &lt;question&gt;?" in page


BROWSERS = ["text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",  # Chromium
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]                         # Firefox


@pytest.mark.parametrize("accept,html", [
    *[(browser, True) for browser in BROWSERS],
    ("application/sparql-results+json,*/*;q=0.9", False),                                               # YASGUI
    ("*/*", False), ("", False), (None, False), ("application/sparql-results+json,text/html;q=0.5", False)])
def test_browsers_are_recognised(accept, html):
    from server.sparql import prefers_html
    assert prefers_html(accept) is html


@pytest.mark.parametrize("browser", BROWSERS)
def test_browser_get_of_sparql_query_shows_a_table(client, browser):
    response = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": browser})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.data.decode().count("<tr>") == 4
    as_json = client.get("/sparql", query_string={"query": QUERY, "format": "json"}, headers={"Accept": browser})
    assert as_json.mimetype == "application/sparql-results+json"
    assert len(as_json.get_json()["results"]["bindings"]) == 3
