"""The front answers 408 and closes a connection whose request headers do not arrive within --header-timeout."""
from __future__ import annotations

import socket
import time
import urllib.parse

import pytest

from tests.test_protocol_live import live_server

pytestmark = pytest.mark.slow  # starts a server
TIMEOUT = 2


@pytest.fixture(scope="module")
def server(plain_store):
    with live_server(plain_store, "--workers", "1", "--header-timeout", str(TIMEOUT)) as (base, _):
        yield urllib.parse.urlsplit(base)


def read_all(connection: socket.socket, limit: float) -> bytes:
    """Everything the server sends until it closes the connection (or limit seconds pass)."""
    connection.settimeout(limit)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def test_trickling_headers_get_408_and_a_closed_connection(server):
    with socket.create_connection((server.hostname, server.port)) as connection:
        started = time.monotonic()
        connection.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        for _ in range(4 * TIMEOUT):  # one header line every 0.5 s: never complete within the limit
            time.sleep(0.5)
            try:
                connection.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        answer = read_all(connection, 10)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"within 2 s" in answer and b"x-content-type-options: nosniff" in answer.lower()
        assert TIMEOUT - 0.5 < time.monotonic() - started < TIMEOUT + 8


def test_a_silent_connection_gets_408(server):
    with socket.create_connection((server.hostname, server.port)) as connection:
        assert read_all(connection, TIMEOUT + 8).startswith(b"HTTP/1.1 408")


def read_response(connection: socket.socket) -> bytes:
    """One whole response (head and its Content-Length of body) from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536) or pytest.fail(f"connection closed after {data[:200]!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += connection.recv(65536) or pytest.fail("connection closed inside the body")
    assert len(body) == length, "more bytes than the response announced"
    return data


def test_requests_sent_in_time_are_answered_also_on_a_kept_alive_connection(server):
    request = f"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: application/sparql-results+json\r\n\r\n"
    with socket.create_connection((server.hostname, server.port)) as connection:
        for _ in range(2):
            connection.sendall(request.encode())
            connection.settimeout(10)
            head = read_response(connection)
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
            time.sleep(TIMEOUT * 0.75)  # idle between requests counts as keep-alive, not as a slow header
