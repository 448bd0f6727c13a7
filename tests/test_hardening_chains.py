"""Long chains without brackets (UNION, MINUS, ||, +, /, triple patterns, collections) are 400, not a crash."""
from __future__ import annotations

import http.client
import urllib.parse

import pytest

from server.query_checks import CHAIN_PER_DEPTH, MAX_DEPTH, Refused, check_depth
from tests.conftest import ROOT
from tests.test_protocol_live import live_server

EX = "<http://e/p>"
CHAINS = {
    "union": lambda n: "SELECT * WHERE { " + " UNION ".join(["{?s ?p ?o}"] * n) + " }",
    "minus": lambda n: "SELECT * WHERE { ?s ?p ?o " + " ".join(["MINUS {?s ?p ?o}"] * n) + " }",
    "or": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(["?o"] * n) + ") }",
    "and": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "&&".join(["?o"] * n) + ") }",
    "plus": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * n) + ") }",
    "not": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * n + "?o) }",
    "path": lambda n: "SELECT * WHERE { ?s " + "/".join([EX] * n) + " ?o }",
    "alternative path": lambda n: "SELECT * WHERE { ?s " + "|".join([EX] * n) + " ?o }",
    "triples": lambda n: "SELECT * WHERE { " + " . ".join([f"?s {EX} ?o{i}" for i in range(n)]) + " }",
    "bind": lambda n: "SELECT * WHERE { " + " ".join([f"BIND(1 AS ?b{i})" for i in range(n)]) + " }",
    "collection": lambda n: "SELECT * WHERE { ?s ?p (" + " ".join(["1"] * n) + ") }",
    "hidden in an IRI-like run": lambda n: "SELECT * WHERE { ?a ?b ?c FILTER(?a<" + "&&".join(["?c"] * n) + ">?c) }",
}
CRASHING = 20_000  # members: every chain above ends pyoxigraph 0.5.13 with SIGSEGV at this length (measured)
LIMIT = CHAIN_PER_DEPTH * MAX_DEPTH


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_a_chain_over_the_limit_is_refused_naming_it(kind):
    with pytest.raises(Refused, match="chains") as refused:
        check_depth(CHAINS[kind](LIMIT + 10), MAX_DEPTH)
    assert refused.value.status == 400


@pytest.mark.parametrize("kind", sorted(set(CHAINS) - {"bind", "hidden in an IRI-like run"}))
def test_a_chain_under_the_limit_passes(kind):
    check_depth(CHAINS[kind](LIMIT // 2), MAX_DEPTH)


def test_the_chain_limit_follows_max_depth():
    check_depth(CHAINS["union"](4 * LIMIT), 0)  # 0 turns the checks off
    with pytest.raises(Refused):
        check_depth(CHAINS["union"](2 * CHAIN_PER_DEPTH + 1), 2)


def test_shipped_queries_pass_the_chain_check():
    from graph.terms import PREFIXES
    prologue = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
    for path in sorted((ROOT / "queries").glob("*.rq")):
        check_depth(prologue + path.read_text(encoding="utf-8"), MAX_DEPTH)


@pytest.fixture(scope="module")
def server(plain_store):
    with live_server(plain_store, "--workers", "1", "--timeout", "10") as (base, _):
        yield urllib.parse.urlsplit(base)


def post(server, query: str) -> tuple[int, bytes]:
    """POST a query as application/sparql-query; (status, body)."""
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=60)
    try:
        connection.request("POST", "/sparql", body=query.encode(),
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["union", "minus", "or", "not", "triples", "collection", "path"])
def test_crashing_chains_are_400_through_a_live_server(server, kind):
    status, body = post(server, CHAINS[kind](CRASHING))
    assert status == 400 and b"chains" in body, (status, body[:200])
    status, body = post(server, CHAINS["union"](100))  # the worker is still there; an ordinary chain runs
    assert status == 200, body[:200]
