"""The query checks under a live `adekg serve`: chunked bodies over the cap, and SERVICE never reaching a listener."""
from __future__ import annotations

import http.client
import urllib.parse

import pytest

from tests.test_protocol_live import live_server
from tests.test_query_checks import Listener, fuzz_queries

pytestmark = pytest.mark.slow  # starts a server


@pytest.fixture(scope="module")
def server(plain_store):
    with live_server(plain_store, "--workers", "1", "--max-body", "1000") as (base, _):
        yield urllib.parse.urlsplit(base)


def chunked_post(server, body: bytes, content_type: str) -> tuple[int, bytes]:
    """POST /sparql with a chunked body (no Content-Length)."""
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
    try:
        connection.request("POST", "/sparql", body=iter([body[i:i + 300] for i in range(0, len(body), 300)]),
                           headers={"Content-Type": content_type, "Accept": "application/sparql-results+json"},
                           encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_chunked_body_over_the_cap_is_413_live(server):
    status, body = chunked_post(server, b"ASK {} #" + b"x" * 5000, "application/sparql-query")
    assert status == 413 and b"over the limit" in body
    status, body = chunked_post(server, b"query=ASK%7B%7D%23" + b"x" * 5000, "application/x-www-form-urlencoded")
    assert status == 413
    status, body = chunked_post(server, b"ASK {}", "application/sparql-query")
    assert status == 200 and b"true" in body


def test_service_never_reaches_a_listener_live(server):
    listener = Listener()
    try:
        connection = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
        for query in fuzz_queries(listener.port, 10):
            for path in ("/sparql", "/query"):
                connection.request("GET", path + "?" + urllib.parse.urlencode({"query": query}))
                response = connection.getresponse()
                response.read()
                assert response.status in (400, 403), (path, query, response.status)
            connection.request("POST", "/sparql", body=query.encode(),
                               headers={"Content-Type": "application/sparql-query"})
            response = connection.getresponse()
            response.read()
            assert response.status in (400, 403, 413), (query, response.status)
        assert listener.connections == 0
    finally:
        listener.close()
