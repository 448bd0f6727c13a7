"""The checks on a query's text (server/query_checks.py) via /sparql and /query: SERVICE, depth, updates, encoding."""
from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, Store

from server import create_app
from server.limits import cap_rows

ROOT = Path(__file__).resolve().parent.parent
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ROW = json.dumps({"head": {"vars": ["a"]}, "results": {"bindings": [{"a": {"type": "literal", "value": "LEAKED"}}]}})


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection and answers like a SPARQL endpoint."""

    def __init__(self, status: str = "200 OK", body: str = ROW):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.reply = (f"HTTP/1.1 {status}\r\nContent-Type: application/sparql-results+json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    connection.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def listener():
    listening = Listener()
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def client():
    store = Store()
    store.add(Quad(NamedNode("http://e/s"), NamedNode("http://e/p"), NamedNode("http://e/o")))
    return create_app(store=store).test_client()


def service_forms(port: int) -> list[str]:
    """SERVICE clauses that reach 127.0.0.1:port, spelled in the ways SPARQL allows."""
    host = f"127.0.0.1:{port}"
    escaped_host = "".join(f"\\u{ord(c):04X}" for c in host)
    return [f"SERVICE <http://{host}/x> {{ ?a ?b ?c }}",
            f"service <http://{host}/x> {{ ?a ?b ?c }}",
            f"SeRvIcE SILENT <http://{host}/x> {{ ?a ?b ?c }}",
            f"SERVICE<http://{host}/x>{{?a ?b ?c}}",
            f"\\u0053ERVICE <http://{host}/x> {{ ?a ?b ?c }}",
            f"SERV\\u0049CE <http://{host}/x> {{ ?a ?b ?c }}",
            f"\\U00000053\\U00000045RVICE <http://{host}/x> {{ ?a ?b ?c }}",
            f"SERVICE <http://{escaped_host}/x> {{ ?a ?b ?c }}",
            f"SERVICE <\\u0068ttp://{host}/x> {{ ?a ?b ?c }}",
            "SERVICE loc:x { ?a ?b ?c }",
            "SERVICE <x> { ?a ?b ?c }",
            "SERVICE\t\n<x>\r\n{ ?a ?b ?c }",
            "SERVICE SILENT ?endpoint { ?a ?b ?c }"]


DECOYS = ["OPTIONAL { ?s ex:a\\# ?o }", "OPTIONAL { ?s ex:a\\' ?o }", "?s ex:a\\#b\\'c ?o .", "# ' \" comment\n",
          "# SERVICE <http://127.0.0.1:9/> {\n", 'BIND("}\\"#" AS ?q1)', "BIND('{\\'#' AS ?q2)",
          'BIND("""multi\n"line # \' """ AS ?q3)', "BIND('''x''' AS ?q4)", "FILTER(?s != <http://e/#'>)",
          "?s <http://e/p#x> ?o .", 'BIND("SERVICE <http://127.0.0.1:9/>" AS ?q5)', "BIND(\\u0022x\\u0022 AS ?q6)",
          "{ ?s ?p ?o } UNION { ?s ?p ?o }", "MINUS { ?s ex:no ?o }", "FILTER NOT EXISTS { ?s ex:no ?o }",
          "?s ex:a\\(\\) ?o .", "VALUES ?v { 1 }"]


def wrap(inner: str, how: int) -> str:
    """The SERVICE clause at some depth of groups, optionals, subqueries and EXISTS."""
    return [inner, f"{{ {inner} }}", f"OPTIONAL {{ {{ {inner} }} }}", f"{{ SELECT * WHERE {{ {inner} }} }}",
            f"FILTER EXISTS {{ {inner} }}", f"GRAPH ?g {{ {inner} }}", f"{{ }} UNION {{ {inner} }}",
            f"MINUS {{ {{ {inner} }} }}"][how]


def fuzz_queries(port: int, count: int) -> list[str]:
    """The issue's bypass, and random mixes of decoys and SERVICE spellings (a fixed seed)."""
    prologue = f"PREFIX ex: <http://e/> PREFIX loc: <http://127.0.0.1:{port}/> BASE <http://127.0.0.1:{port}/>\n"
    queries = [f"PREFIX ex: <http://e/> SELECT * WHERE {{ OPTIONAL {{ ?s ex:a\\# ?o }} "
               f"SERVICE <http://127.0.0.1:{port}/x> {{ ?a ?b ?c }} }}"]
    chooser = random.Random(9)
    forms = service_forms(port)
    for form in forms:
        queries.append(prologue + f"SELECT * WHERE {{ {form} }}")
    for _ in range(count):
        decoys = " ".join(chooser.sample(DECOYS, chooser.randint(1, 3)))
        inner = wrap(chooser.choice(forms), chooser.randrange(8))
        query = (prologue + f"SELECT * WHERE {{ {decoys} {inner} }}" if chooser.random() < 0.5 else
                 prologue + f"SELECT * WHERE {{ {inner} {decoys} }}")
        queries.append(escaped_at_random(query, chooser) if chooser.random() < 0.3 else query)
    return queries


def escaped_at_random(query: str, chooser: random.Random) -> str:
    """The same query for the engine, with a fifth of its characters written as \\u or \\U escapes."""
    from server.query_checks import decoded
    text, out = decoded(query), []
    for index, char in enumerate(text):
        if char != "\\" and text[index - 1:index] != "\\" and chooser.random() < 0.2:
            out.append(f"\\u{ord(char):04X}" if chooser.random() < 0.5 else f"\\U{ord(char):08X}")
        else:
            out.append(char)
    return "".join(out)


def test_fuzzed_service_calls_never_reach_a_listener(client, listener):
    for query in fuzz_queries(listener.port, 40):
        responses = [client.get("/sparql", query_string={"query": query}),
                     client.post("/sparql", data={"query": query}),
                     client.post("/sparql", data=query.encode(), content_type="application/sparql-query"),
                     client.get("/query", query_string={"query": query}),
                     client.get("/sparql", query_string={"query": query}, headers={"Accept": BROWSER})]
        assert listener.connections == 0, query
        for response in responses:
            assert response.status_code in (400, 403), (query, response.status_code, response.data[:300])
            assert b"LEAKED" not in response.data


def test_the_listener_is_reached_when_the_endpoint_is_allowed(listener):
    # the control for the fuzz test: the same listener is called (and detected) when the gate lets a call through
    app = create_app(store=Store(), config={"ADEKG_SERVICE_ALLOW": [f"http://127.0.0.1:{listener.port}/"]})
    response = app.test_client().get("/sparql", query_string={
        "query": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/x> {{ ?a ?b ?c }} }}"})
    assert listener.connections == 1 and response.status_code == 200 and b"LEAKED" in response.data


@pytest.mark.parametrize("route", ["/sparql", "/query"])
def test_the_answer_of_an_allowed_endpoint_that_fails_is_not_shown(route):
    failing = Listener("404 Not Found", "SECRET-BANNER of the remote host")
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the connection is refused
    try:
        allowed = [f"http://127.0.0.1:{failing.port}/", f"http://127.0.0.1:{closed_port}/"]
        client = create_app(store=Store(), config={"ADEKG_SERVICE_ALLOW": allowed}).test_client()
        for port in (failing.port, closed_port):
            response = client.get(route, query_string={
                "query": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/x> {{ ?a ?b ?c }} }}"})
            text = response.get_data(as_text=True)
            if response.mimetype == "text/html":  # the page shows the query again; the message is the error line
                text = re.search(r'<p class="error">(.*?)</p>', text).group(1)
            assert response.status_code == 502, text
            assert "did not succeed" in text
            for leak in ("SECRET", "404", "refused", "Connection", str(port)):
                assert leak not in text, (leak, text)
    finally:
        failing.close()


def test_query_route_refuses_service_like_sparql(client):
    response = client.get("/query", query_string={"query": "SELECT * { SERVICE <http://example.org/s> { ?s ?p ?o } }"})
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "SERVICE http://example.org/s refused" in response.get_data(as_text=True)


def test_service_in_strings_names_and_comments_is_not_refused(client):
    query = ('PREFIX ex: <http://e/service/> SELECT ?service WHERE { ?service ex:service "SERVICE <http://x/> {}" '
             'OPTIONAL { ?s ex:a\\# ?o } } # SERVICE <http://y/> { }')
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_a_query_naming_service_that_the_check_cannot_parse_is_refused(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://e/> { ?s ?p ?o } "})
    assert response.status_code == 400 and "SERVICE check cannot parse" in response.get_data(as_text=True)


def run_isolated(code: str) -> subprocess.CompletedProcess:
    """Python code run in a fresh interpreter (a crash there must not take the test run with it)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
    "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "SELECT * WHERE { FILTER(" + "STR(" * 1000 + "1" + ")" * 1000 + ") }",
    "SELECT * WHERE { ?s <http://e/p> ?o " + "FILTER(" * 3000 + "1" + ")" * 3000 + " } # service",
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\# ?o . FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "SELECT * WHERE { FILTER(?x<" + "(" * 5000 + "1" + ")" * 5000 + ">0) }",
])
def test_deep_nesting_is_refused_before_any_parser(query):
    code = ("import sys; from pyoxigraph import Store; from server import create_app\n"
            "client = create_app(store=Store()).test_client()\n"
            f"response = client.post('/sparql', data={query!r}, content_type='application/sparql-query')\n"
            "print(response.status_code, response.get_data(as_text=True).strip())\n"
            f"response = client.get('/query', query_string={{'query': {query!r}}})\n"
            "print(response.status_code, 'limit is 128' in response.get_data(as_text=True))")
    result = run_isolated(code)
    assert result.returncode == 0, result.stderr[-500:]
    sparql, page = result.stdout.splitlines()
    assert sparql.startswith("400 the query nests") and "the limit is 128 (ADEKG_MAX_DEPTH)" in sparql
    assert page == "400 True"


def test_depth_limit_is_a_setting():
    client = create_app(store=Store(), config={"ADEKG_MAX_DEPTH": 5}).test_client()
    five = "SELECT * WHERE " + "{" * 5 + "}" * 5
    six = "SELECT * WHERE " + "{" * 6 + "}" * 6
    assert client.get("/sparql", query_string={"query": five}).status_code == 200
    refused = client.get("/sparql", query_string={"query": six})
    assert refused.status_code == 400 and b"nests 6 levels" in refused.data and b"limit is 5" in refused.data


@pytest.mark.parametrize("text,depth", [
    ('SELECT * WHERE { BIND("((((" AS ?x) }', 2),
    ("SELECT * WHERE { # {{{{\n }", 1),
    ('SELECT * WHERE { FILTER(( ")" ( ")" ( 1 ))) }', 5),
    ("SELECT * WHERE { ?s <http://e/a(b)> ?o }", 2),  # an IRI's brackets count as if '<' were less-than
    ("PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\# (( 1 )) }", 3),
    ("SELECT * WHERE { ?s <http://e/#> ((( 1 ))) }", 4),
    ("SELECT * WHERE { \\u007B \\u007B } }", 3),
])
def test_nesting_depth_reads_strings_comments_and_iris(text, depth):
    from server.query_checks import decoded, nesting_depth
    assert nesting_depth(decoded(text)) == depth


def test_depth_check_costs_nothing_for_few_brackets():
    from server.query_checks import Refused, check_depth
    check_depth("SELECT * WHERE { VALUES ?x { " + "1 " * 10_000 + "} }", 128)  # two openers: depth not measured
    with pytest.raises(Refused):
        check_depth("ASK " + "{" * 129 + "}" * 129, 128)


@pytest.mark.parametrize("query", [
    "# a comment\nINSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "# PREFIX\n#SELECT\nPREFIX ex: <http://e/#> # c\n BASE <http://e/> DELETE WHERE { ?s ?p ?o }",
    "\\u0049NSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "CLEAR ALL", "load <http://127.0.0.1:9/x>",
    "# c\nINSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"])
def test_updates_after_comments_are_refused_as_updates(client, query):
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 403 and b"read-only" in response.data
    assert client.get("/query", query_string={"query": query}).status_code == 403


def test_queries_are_not_mistaken_for_updates():
    from server.query_checks import is_update
    for query in ("SELECT ?insert WHERE { ?insert ?p ?o }", "# INSERT DATA {}\nASK {}",
                  "PREFIX insert: <http://e/> SELECT * { ?s insert:x ?o }"):
        assert not is_update(query)


@pytest.mark.parametrize("request_args,name", [
    ({"method": "GET", "query_string": "query=ASK%7B%7D%ff"}, "'query'"),
    ({"method": "POST", "data": b"query=ASK%7B%7D%ff%fe", "content_type": "application/x-www-form-urlencoded"},
     "'query'"),
    ({"method": "GET", "query_string": "query=ASK%7B%7D&default-graph-uri=http://e/%e2%82"}, "'default-graph-uri'"),
])
def test_invalid_percent_encoding_is_400_naming_it(client, request_args, name):
    response = client.open("/sparql", **request_args)
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/plain", text
    assert "invalid encoding" in text and name in text and "not UTF-8" in text
    page = client.get("/query", query_string="query=ASK%7B%7D%ff")
    assert page.status_code == 400 and "not UTF-8" in page.get_data(as_text=True)


def test_chunked_body_over_the_cap_is_413(client):
    app = create_app(store=Store(), config={"MAX_CONTENT_LENGTH": 1000})
    body = b"ASK {} #" + b"x" * 5000
    for content_type, data in (("application/sparql-query", body), ("application/x-www-form-urlencoded",
                                                                     b"query=" + body)):
        response = app.test_client().post("/sparql", input_stream=__import__("io").BytesIO(data),
                                          content_type=content_type, headers={"Transfer-Encoding": "chunked"},
                                          environ_overrides={"wsgi.input_terminated": True})
        assert response.status_code == 413 and b"chunked" in response.data, response.data
    fits = app.test_client().post("/sparql", input_stream=__import__("io").BytesIO(b"ASK {}"),
                                  content_type="application/sparql-query", headers={"Transfer-Encoding": "chunked"},
                                  environ_overrides={"wsgi.input_terminated": True})
    assert fits.status_code == 200


def test_head_answers_like_get(client):
    for url in ("/sparql", "/sparql?query=ASK%7B%7D", "/query?query=ASK%7B%7D", "/"):
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200 and head.data == b""
        assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_row_cap_cache_is_bounded_by_bytes():
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(100):  # 100 distinct 200 KB queries, each rewritten (a copy) by the row cap
            cap_rows(f"SELECT * WHERE {{ ?s ?p ?o }} # {number} " + "x" * 200_000, 10)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 8 * 2**20, kept
