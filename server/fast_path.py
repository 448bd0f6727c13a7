"""GET /sparql?query=… answered in a query worker without Flask's request and response objects.

The same protocol code as the /sparql route (server/sparql.py: `check_query`, `evaluated`) and the same status,
headers and body, minus what a plain GET does not need: a werkzeug Request and its parsed parameters, URL routing,
a request context, a Response and the after-request hooks cost as much as evaluating a small query. Anything
else (another path or method, a body, other parameters, If-None-Match, a browser that prefers the HTML page)
returns None and goes through Flask.
"""
from __future__ import annotations

import codecs

from werkzeug.sansio.utils import get_host
from werkzeug.utils import get_content_type

from .query_checks import Refused, check_form_encoding, check_query
from .sparql import CORS, Call, dataset_options, evaluated, prefers_html
from .ui import SECURITY_HEADERS

HEX_DIGITS = "0123456789abcdefABCDEF"
PERCENT_ESCAPES = {f"%{high}{low}".encode(): bytes([int(high + low, 16)]) for high in HEX_DIGITS for low in HEX_DIGITS}
BLOCK = 64 * 1024
WANTED = {b"host", b"accept", b"if-none-match", b"content-length", b"transfer-encoding"}


def form_decoded(raw: bytes) -> bytes:
    """A form-urlencoded value: '+' is a space, %XX the byte XX, and a '%' without two hex digits stays as written.

    What urllib.parse.parse_qsl does, in C: with every backslash doubled, each %XX written as \\xXX is the only
    escape left for `codecs.escape_decode`. parse_qsl's Python step per escape cost ~0.4 ms for a query with the
    usual PREFIX lines (hundreds of escapes), as much as the rest of the request.
    """
    raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw
    try:
        return codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:  # a '%' without two hex digits after it
        return stray_percent_decoded(raw)


def stray_percent_decoded(raw: bytes) -> bytes:
    """Percent-decoding of a text with a '%' that starts no escape (kept as written), one piece at a time."""
    head, *pieces = raw.split(b"%")
    escapes = PERCENT_ESCAPES
    return head + b"".join([escapes[b"%" + piece[:2]] + piece[2:] if b"%" + piece[:2] in escapes else b"%" + piece
                            for piece in pieces])


def single_query(query_string: bytes) -> str | None:
    """The text of the only parameter of a query string if it is `query` (percent-decoded, UTF-8), else None."""
    pairs = [pair for pair in query_string.split(b"&") if pair]
    if len(pairs) != 1:
        return None
    name, _, value = pairs[0].partition(b"=")
    return form_decoded(value).decode("utf-8") if name == b"query" else None


def request_headers(headers: list) -> dict[bytes, str]:
    """The headers the fast path reads, repeated ones joined with ',' (as the WSGI environ has them)."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name in WANTED:
            text = value.decode("latin-1")
            found[name] = found[name] + "," + text if name in found else text
    return found


def fast_answer(app, request: dict):
    """(status, headers, body chunks) of a plain `GET /sparql?query=…`, or None for Flask to answer it."""
    if request["method"] != "GET" or request["path"] != b"/sparql" or request["body"]:
        return None
    headers = request_headers(request["headers"])
    if b"host" not in headers or b"if-none-match" in headers or b"transfer-encoding" in headers \
            or headers.get(b"content-length", "0") != "0":
        return None
    raw = request["query_string"]
    try:
        check_form_encoding(raw, "query string")
        query = single_query(raw)
    except Refused as refusal:
        return refused(refusal)
    if query is None:
        return None
    extensions = app.extensions
    accept = headers.get(b"accept")
    if extensions.get("adekg_html_results") is not None and prefers_html(accept):
        return None
    scheme, server = request["scheme"], request["server"]
    host = get_host(scheme, headers[b"host"], (server[0], int(server[1])))
    # url_root is read only for JSON-LD with context=url, a parameter this path does not take
    call = Call(f"{scheme}://{host}/sparql", "", accept, None)
    dataset = {"default-graph-uri": [], "named-graph-uri": [], "format": (), "context": "inline"}
    try:
        federated = check_query(query, extensions["adekg_settings"], call.endpoint)
        options = {**dataset_options(dataset), "base_iri": call.endpoint}
        answer = evaluated(extensions, extensions["adekg_store"], query, dataset, call, options, federated)
    except Refused as refusal:
        return refused(refusal)
    media_type = get_content_type(answer.media_type, "utf-8")
    if answer.spool is None:
        return answer.status, finished(answer.headers, media_type, len(answer.body)), [answer.body]
    stream = answer.spool.opened()
    return answer.status, finished(answer.headers, media_type, answer.spool.size), blocks(stream)


def blocks(stream):
    """A spooled result in blocks; the file is closed at the end (or when the reader stops early)."""
    with stream:
        while block := stream.read(BLOCK):
            yield block


def finished(headers: dict, content_type: str, length: int) -> list[tuple[str, str]]:
    """A response's headers in the order the Flask route sends them: its own, type, length, CORS, security."""
    return [*headers.items(), ("Content-Type", content_type), ("Content-Length", str(length)), *CORS.items(),
            *SECURITY_HEADERS.items()]


def refused(refusal: Refused):
    """The text/plain answer to a refused query, as the Flask route gives it."""
    body = (str(refusal).replace("\n", " ") + "\n").encode("utf-8")
    return refusal.status, finished({}, "text/plain; charset=utf-8", len(body)), [body]
