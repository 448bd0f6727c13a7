"""The deduplicated union view is made once per generation in the fork server and shared by every worker."""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
from pyoxigraph import Store

from server import worker
from server.generation import current_generation, open_reader
from tests.test_hardening_live import get
from tests.test_protocol_live import live_server

TITLES = "SELECT ?title WHERE { <https://w3id.org/adekg/ontology> <http://purl.org/dc/terms/title> ?title }"


@pytest.fixture(scope="module")
def quick_store(plain_store) -> Path:
    """The seeds built without reasoning (the session's, read only)."""
    return plain_store


def distinct_triples(store_path: Path) -> int:
    """How many distinct triples the store's graphs hold together."""
    store = Store.read_only(str(current_generation(store_path)))
    return len({(quad.subject, quad.predicate, quad.object) for quad in store.quads_for_pattern(None, None, None)})


@pytest.fixture
def template(quick_store, monkeypatch):
    """The fork server's template app, made as the fork server makes it."""
    monkeypatch.setenv(worker.CONFIG_VARIABLE, json.dumps({}))
    monkeypatch.setenv(worker.STORE_VARIABLE, str(quick_store))
    return worker.template_app()


def test_the_template_holds_the_union_view_of_the_current_generation(template, quick_store):
    cache = template.extensions["adekg_limits"].union
    assert cache["generation"] == str(current_generation(quick_store))
    assert len(cache["view"]) == distinct_triples(quick_store)


def test_a_worker_on_the_template_generation_shares_its_view(template, quick_store):
    cache = template.extensions["adekg_limits"].union
    shared = cache["view"]
    reader = open_reader(quick_store)
    worker.adopt_union(cache, reader)
    assert cache["view"] is shared and cache["store"] is reader.store


def test_a_worker_on_another_generation_makes_its_own_view_before_it_is_ready(template, quick_store):
    cache = template.extensions["adekg_limits"].union
    cache["generation"] = "an older generation"
    shared = cache["view"]
    reader = open_reader(quick_store)
    worker.adopt_union(cache, reader)
    assert cache["view"] is not shared and cache["store"] is reader.store
    assert len(cache["view"]) == distinct_triples(quick_store)


@pytest.mark.slow
def test_live_workers_answer_the_union_without_duplicates(quick_store):
    # dcterms:title of the ontology is held by two graphs (ontology and ontology-imports): answered once.
    with live_server(quick_store, "--workers", "2") as (base, _):
        for _ in range(4):
            status, _, body, _ = get(base, "/sparql?" + urllib.parse.urlencode({"query": TITLES}))
            assert status == 200, body
            assert len(json.loads(body)["results"]["bindings"]) == 1, body


def test_the_template_lists_the_view_subjects_for_the_case_documents(template):
    cache = template.extensions["adekg_limits"].union
    assert cache["subjects_of"] is cache["view"]
    assert "https://w3id.org/adekg/data/000/patient" in cache["subjects"]
