"""The query worker's fast path for `GET /sparql?query=…` answers exactly as the Flask route does, or leaves it to it."""
from __future__ import annotations

import json
import random
import urllib.parse

import pytest

from graph.terms import PREFIXES
from server import create_app
from server.fast_path import fast_answer, form_decoded
from server.worker import respond, wsgi_environ

PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
PATIENT_AGES = PROLOGUE + "SELECT ?patient ?age WHERE { ?patient a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age"


@pytest.fixture(scope="module")
def app(plain_store):
    """The endpoint over the seeds, without its answer cache (each answer is evaluated), spooling past 2 KiB."""
    return create_app(store_path=plain_store, config={"ADEKG_CACHE_ENTRIES": 0, "ADEKG_SPOOL_AFTER": 2048})


def get(query_string: bytes | str, *headers: tuple[str, str], method: str = "GET", path: bytes = b"/sparql",
        body: bytes = b"") -> dict:
    """A request as the front hands it to a worker."""
    if isinstance(query_string, str):
        query_string = urllib.parse.urlencode({"query": query_string}).encode()
    header_list = [(b"host", b"127.0.0.1:5000")] if not any(name == "host" for name, _ in headers) else []
    header_list += [(name.encode(), value.encode("latin-1")) for name, value in headers]
    return {"method": method, "path": path, "query_string": query_string, "headers": header_list,
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 5000), "scheme": "http", "http_version": "1.1",
            "body": body}


def through_flask(app, request: dict) -> tuple:
    """(status, headers, body) of the request through the Flask app, as a worker runs it without the fast path."""
    started = []
    result = app(wsgi_environ(request), lambda status, headers, exc_info=None: started.extend([status, headers]))
    try:
        body = b"".join(result)
    finally:
        result.close()
    return int(started[0].split()[0]), started[1], body


def through_fast_path(app, request: dict) -> tuple:
    """(status, headers, body) from the fast path, which must take the request."""
    answer = fast_answer(app, request)
    assert answer is not None, "the fast path left a plain GET to Flask"
    status, headers, chunks = answer
    return status, headers, b"".join(chunks)


SAME_ANSWERS = {
    "SELECT with the usual PREFIX lines, JSON": (PATIENT_AGES, ("accept", "application/sparql-results+json")),
    "SELECT, CSV (a charset is added)": (PATIENT_AGES, ("accept", "text/csv")),
    "SELECT, no Accept": (PATIENT_AGES,),
    "ASK, XML": ("ASK { ?s ?p ?o }", ("accept", "application/sparql-results+xml")),
    "CONSTRUCT, Turtle": (PROLOGUE + "CONSTRUCT { ?p ade:ageInYears ?a } WHERE { ?p ade:ageInYears ?a }",
                          ("accept", "text/turtle")),
    "CONSTRUCT, JSON-LD with the inline context": (
        PROLOGUE + "CONSTRUCT { ?p ade:ageInYears ?a } WHERE { ?p ade:ageInYears ?a }", ("accept", "application/ld+json")),
    "a large result, spooled": (PROLOGUE + "SELECT * WHERE { ?s ?p ?o } LIMIT 400", ("accept", "text/csv")),
    "relative IRI resolved against the endpoint named by Host": (
        "SELECT (<relative> AS ?iri) {}", ("host", "example.org:80"), ("accept", "text/csv")),
    "Accept nothing offered: 406": (PATIENT_AGES, ("accept", "image/png")),
    "syntax error: 400 naming the place": (PROLOGUE + "SELECT ?x WHERE { ?x ade:nope }",),
    "undeclared prefix: 400": ("SELECT ?x WHERE { ?x nope:thing ?y }",),
    "an update as query: 403": ("INSERT DATA { <a:b> <a:c> <a:d> }",),
    "nested past the depth limit: 400": ("SELECT * WHERE " + "{" * 300 + "}" * 300,),
    "SERVICE to a host not allowed": ("SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }",),
    "raw UTF-8 and escaped UTF-8": ('SELECT ("é" AS ?a) ("%C3%A9" AS ?b) {}',),
    "query string with a stray %, a +, and a backslash": (
        b"query=SELECT+(%22100%+sure\\\\%22+AS+%3Fx)+%7B%7D", ("accept", "text/csv")),
    "percent-decoded bytes that are not UTF-8: 400": (b"query=SELECT+%FF+%7B%7D",),
}


@pytest.mark.parametrize("case", SAME_ANSWERS, ids=list(SAME_ANSWERS))
def test_the_fast_path_answers_byte_for_byte_as_the_flask_route(app, case):
    """Status, every header (in order) and the body are the same both ways."""
    query, *headers = SAME_ANSWERS[case]
    request = get(query, *headers)
    assert through_fast_path(app, request) == through_flask(app, request)


def test_the_answers_compared_are_real_answers(app):
    """The comparison above is not between two empty answers: the seeds' three patients come back, by age."""
    status, headers, body = through_fast_path(app, get(PATIENT_AGES, ("accept", "application/sparql-results+json")))
    assert status == 200 and ("Content-Type", "application/sparql-results+json") in headers
    ages = [int(row["age"]["value"]) for row in json.loads(body)["results"]["bindings"]]
    assert len(ages) == 3 and ages == sorted(ages)
    status, _, body = through_fast_path(app, get(SAME_ANSWERS["relative IRI resolved against the endpoint named by "
                                                              "Host"][0], ("host", "example.org:80"),
                                                 ("accept", "text/csv")))
    assert body.decode().splitlines()[1] == "http://example.org/relative"
    status, _, body = through_fast_path(app, get(b"query=SELECT+(%22100%+sure\\\\%22+AS+%3Fx)+%7B%7D",
                                                 ("accept", "text/csv")))
    assert status == 200 and body.decode().splitlines()[1] == "100% sure\\"


LEFT_TO_FLASK = {
    "HEAD": get(PATIENT_AGES, method="HEAD"),
    "POST": get(b"", ("content-type", "application/sparql-query"), method="POST", body=PATIENT_AGES.encode()),
    "another path": get(PATIENT_AGES, path=b"/sparql/"),
    "an escaped path": get(PATIENT_AGES, path=b"/sp%61rql"),
    "a second parameter": get(urllib.parse.urlencode({"query": PATIENT_AGES, "format": "csv"}).encode()),
    "a parameter under another name": get(b"q=ASK%7B%7D"),
    "no query (the service description)": get(b""),
    "If-None-Match": get(PATIENT_AGES, ("if-none-match", '"x"')),
    "a browser preferring the HTML page": get(PATIENT_AGES, ("accept", "text/html,application/xhtml+xml,*/*;q=0.8")),
    "no Host header": {**get(PATIENT_AGES), "headers": []},
    "a GET with a body length": get(PATIENT_AGES, ("content-length", "5")),
}


@pytest.mark.parametrize("case", LEFT_TO_FLASK, ids=list(LEFT_TO_FLASK))
def test_anything_but_a_plain_get_is_left_to_flask(app, case):
    """The fast path declines, and the worker still answers it through the app."""
    request = LEFT_TO_FLASK[case]
    assert fast_answer(app, request) is None
    status, headers, body, path = respond(app, request, "/tmp", 1 << 20)
    assert status == through_flask(app, request)[0]


def test_form_decoding_matches_the_standard_library_on_random_texts():
    """'+', %XX in either case, stray '%', backslashes and escape-like text decode as urllib.parse does."""
    pieces = [b"%", b"%2", b"%25", b"%41", b"%4a", b"%zz", b"+", b"a", b"%e2%82%ac", b"%C3%A9", b"%%", b"%2541",
              b"\\", b"\\x41", b"\\n", b"%5C", b"%5cx41", b"\n", b"'", b'"', b"\\\\", b"\\u0041", b"\\101", b"\x00"]
    rng = random.Random(7)
    for _ in range(20_000):
        raw = b"".join(rng.choice(pieces) for _ in range(rng.randrange(12)))
        assert form_decoded(raw) == urllib.parse.unquote_to_bytes(raw.replace(b"+", b" ")), raw
