"""The /sparql route: the SPARQL 1.1 Protocol (query only) over a read-only pyoxigraph store."""
from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict
from dataclasses import replace
from typing import NamedTuple

from flask import Blueprint, Response, current_app, request
from pyoxigraph import NamedNode, serialize
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import wrap_file

from . import negotiation
from .description import PREFIXES, service_description, void_description
from .limits import cap_rows
from .query_checks import Refused, check_form_encoding, check_query, refusal_of_malformed
from .results import Limits, NotAcceptable, ResultTooLarge, Spool, evaluate

sparql_blueprint = Blueprint("sparql", __name__)

RESULT_TYPES = (*negotiation.FORMATS["solutions"], *negotiation.FORMATS["graph"])
# Every response names the origins and the headers a script may read; a preflight also gets the rest.
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Content-Type, Vary, X-SPARQL-MaxRows"}
PREFLIGHT = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
             "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match", "Access-Control-Max-Age": "86400"}
DEFAULTS = {"ADEKG_QUERY_TIMEOUT": 30.0, "ADEKG_MAX_TRIPLES": 1_000_000, "ADEKG_MAX_RESULT_BYTES": 512 * 2**20,
            "ADEKG_SERVICE_ALLOW": (), "ADEKG_CACHE_ENTRIES": 256, "ADEKG_CACHE_MAX_BYTES": 256 * 1024,
            "ADEKG_LICENSE": "https://opensource.org/licenses/MIT", "ADEKG_SPOOL_AFTER": 256 * 1024,
            "ADEKG_MAX_ROWS": 100_000, "ADEKG_HTML_ROWS": 2000, "ADEKG_MAX_DEPTH": 128,
            "ADEKG_HTML_PAGE": "ui.query_page"}


def settings_from(config: dict) -> dict:
    """The endpoint's settings, read once from the app's configuration (defaults for what it leaves out)."""
    return {name: config.get(name, default) for name, default in DEFAULTS.items()}


def setting(name: str):
    """A setting of the running app."""
    return current_app.extensions["adekg_settings"][name]


def plain(status: int, message: str, **headers) -> Response:
    """A text/plain error response with a one-line reason."""
    response = Response(message.replace("\n", " ") + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers)
    return response


def utf8(charset: str | None) -> bool:
    """True if a declared charset is UTF-8 (or absent)."""
    return charset is None or charset.lower().replace("-", "") in ("utf8", "usascii")


def read_body(limit: int | None) -> bytes:
    """The whole request body, refused (413) past the limit whether it came with a Content-Length or chunked."""
    body = request.get_data(cache=True)
    # Werkzeug stops a chunked body quietly at the limit: a byte left in the server's stream means it was cut.
    if limit is not None and request.content_length is None and len(body) >= limit:
        if request.environ["wsgi.input"].read(1):
            raise Refused(413, f"request body (chunked) is over the limit of {limit} bytes")
    return body


def read_request() -> tuple[str | None, dict]:
    """The query text and protocol parameters of a GET or POST; raise Refused if malformed."""
    req = request._get_current_object()  # one proxy lookup instead of one per use on this hot path
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if req.content_length is not None and limit is not None and req.content_length > limit:
        raise Refused(413, f"request body of {req.content_length} bytes is over the limit of {limit} bytes")
    params = req.args
    check_form_encoding(req.query_string, "query string")
    try:
        if req.method in ("GET", "HEAD"):
            queries, updates = params.getlist("query"), params.getlist("update")
        elif req.mimetype == "application/x-www-form-urlencoded":
            charset = req.mimetype_params.get("charset")  # parsed for bodies only: a GET has none to declare
            if not utf8(charset):
                raise Refused(415, f"form bodies must be UTF-8, not {charset}")
            check_form_encoding(read_body(limit), "form body")
            params = req.values
            queries, updates = req.form.getlist("query"), req.form.getlist("update")
        elif req.mimetype == "application/sparql-query":
            charset = req.mimetype_params.get("charset")
            if not utf8(charset):
                raise Refused(415, f"application/sparql-query bodies must be UTF-8, not {charset}")
            try:
                queries, updates = [read_body(limit).decode("utf-8")], params.getlist("update")
            except UnicodeDecodeError as error:
                raise Refused(400, f"the query is not valid UTF-8 ({error.reason} at byte {error.start})") from None
        elif req.mimetype == "application/sparql-update":
            raise Refused(403, "this endpoint is read-only: SPARQL Update is not accepted")
        else:
            raise Refused(415, f"unsupported media type {req.mimetype or '(none)'!r} for a POST body; use "
                               "application/x-www-form-urlencoded or application/sparql-query")
    except RequestEntityTooLarge:
        raise Refused(413, f"request body is over the limit of {limit} bytes") from None
    if queries and updates:
        raise Refused(400, "a request may carry a query or an update, not both")
    if updates:
        raise Refused(403, "this endpoint is read-only: SPARQL Update is not accepted")
    if len(queries) > 1:
        raise Refused(400, f"exactly one 'query' parameter is allowed, got {len(queries)}")
    # getlist, not get: MultiDict.get builds (and swallows) an exception for every missing key
    dataset = {"default-graph-uri": params.getlist("default-graph-uri"),
               "named-graph-uri": params.getlist("named-graph-uri"),
               # every client's name for the result format (SPARQLWrapper sends all three, some twice)
               "format": tuple(params.getlist("format") + params.getlist("output") + params.getlist("results")),
               "context": first(params.getlist("context")) or "inline"}
    if dataset["context"] not in ("inline", "url"):
        raise Refused(400, f"context={dataset['context']!r}: use 'inline' (the default) or 'url' for JSON-LD results")
    return (queries[0] if queries else None), dataset


def first(values: list):
    """The first of some parameter values, or None."""
    return values[0] if values else None


def dataset_options(dataset: dict) -> dict:
    """pyoxigraph query options for the protocol dataset; with none given, the union of all graphs."""
    defaults, named = dataset["default-graph-uri"], dataset["named-graph-uri"]
    if not defaults and not named:
        return {"use_default_graph_as_union": True}
    try:
        return {"default_graph": [NamedNode(iri) for iri in defaults], "named_graphs": [NamedNode(iri) for iri in named]}
    except ValueError as error:
        raise Refused(400, f"invalid graph IRI in default-graph-uri/named-graph-uri: {error}") from None


def etag_for(*parts: str) -> str:
    """A strong ETag from the store's build and the request's meaning."""
    digest = hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=16).hexdigest()
    return f'"{digest}"'


def not_modified(etag: str, req=request) -> bool:
    """True if the client's If-None-Match names this ETag (or *)."""
    return matches_etag(etag, req.headers.get("If-None-Match"))


def matches_etag(etag: str, header: str | None) -> bool:
    """True if an If-None-Match header names this ETag (or *)."""
    return bool(header) and (header.strip() == "*" or etag in [tag.strip() for tag in header.split(",")]
                             or f"W/{etag}" in [tag.strip() for tag in header.split(",")])


def limits_from(settings: dict, context: dict, context_url: str) -> Limits:
    """The evaluation limits of an app, from its settings."""
    return Limits(max_triples=settings["ADEKG_MAX_TRIPLES"], max_bytes=settings["ADEKG_MAX_RESULT_BYTES"],
                  in_memory=settings["ADEKG_SPOOL_AFTER"], context=context, context_url=context_url)


def prefers_html(accept: str | None) -> bool:
    """True if a browser-like Accept header ranks HTML above every result format we offer."""
    if not accept or "html" not in accept:
        return False
    ranges = negotiation.parse_accept(accept)
    return negotiation.quality("text/html", ranges) > max(negotiation.quality(t, ranges) for t in RESULT_TYPES)


class Call(NamedTuple):
    """What answering a query needs to know of the request it came in, whichever way it was read."""

    endpoint: str              # the URL the query was sent to: the base of its relative IRIs, part of its ETag
    url_root: str              # the server's root URL (where /context/v1.jsonld is)
    accept: str | None
    if_none_match: str | None


class Answer(NamedTuple):
    """An evaluated query's answer: status, headers, and its body in memory or in a spool."""

    status: int
    headers: dict
    media_type: str | None = None
    body: bytes | None = None
    spool: Spool | None = None


def answer_query(store, query: str, dataset: dict) -> Response:
    """Evaluate a query within the timeout and answer with its results or an error status."""
    app, req = current_app._get_current_object(), request._get_current_object()  # one proxy lookup each
    extensions = app.extensions
    call = Call(f"{req.scheme}://{req.host}{req.root_path}{req.path}", req.url_root, req.headers.get("Accept"),
                req.headers.get("If-None-Match"))
    federated = check_query(query, extensions["adekg_settings"], call.endpoint)
    options = {**dataset_options(dataset), "base_iri": call.endpoint}  # relative IRIs resolve against the endpoint
    html_results = extensions.get("adekg_html_results")
    if html_results is not None and not dataset["format"] and prefers_html(call.accept):
        return html_results(query, options, federated)
    answer = evaluated(extensions, store, query, dataset, call, options, federated)
    if answer.spool is not None:
        return streamed(answer.spool, answer.media_type, answer.headers)
    return Response(answer.body, status=answer.status, mimetype=answer.media_type, headers=answer.headers)


def evaluated(extensions: dict, store, query: str, dataset: dict, call: Call, options: dict,
              federated: bool) -> Answer:
    """The answer to a checked query: 304 if the client has it, from the cache, or evaluated; raise Refused."""
    settings, format_param = extensions["adekg_settings"], dataset["format"]
    etag = etag_for(served_build(extensions), call.endpoint, query, repr(sorted(dataset.items())),
                    call.accept or "", repr(format_param))
    if matches_etag(etag, call.if_none_match):
        return Answer(304, {"ETag": etag, "Vary": "Accept"})
    cache = extensions["adekg_cache"]
    if etag in cache:
        cache.move_to_end(etag)
        body, media_type, headers = cache[etag]
        return Answer(200, headers, media_type, body)
    max_rows = settings["ADEKG_MAX_ROWS"]
    capped_query, capped = cap_rows(query, max_rows)
    limits = extensions["adekg_limits"]
    if dataset["context"] == "url":
        limits = replace(limits, inline_context=False, context_url=call.url_root + "context/v1.jsonld")
    try:  # in a query worker: the pool kills it past the time or memory limit
        media_type, spool = evaluate(store, capped_query, options, call.accept, format_param, limits)
    except NotAcceptable as error:
        raise Refused(406, str(error)) from None
    except SyntaxError as error:
        raise refusal_of_malformed(query, error) from None
    except ResultTooLarge as error:
        raise Refused(507, str(error)) from None
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        raise failure(error, federated) from None
    headers = {"ETag": etag, "Vary": "Accept"}
    if capped:
        headers["X-SPARQL-MaxRows"] = str(max_rows)
    body = spool.small()
    if body is None:
        return Answer(200, headers, media_type, None, spool)
    if len(body) <= settings["ADEKG_CACHE_MAX_BYTES"] and settings["ADEKG_CACHE_ENTRIES"] > 0:
        cache[etag] = (body, media_type, headers)
        while len(cache) > settings["ADEKG_CACHE_ENTRIES"]:
            cache.popitem(last=False)
    return Answer(200, headers, media_type, body)


def failure(error: Exception, federated: bool) -> Refused:
    """The refusal for a failed evaluation; with SERVICE calls, 502 without the remote side's words."""
    if federated:  # a remote answer or connection error must not reach the client (no port scanning)
        return Refused(502, "query failed: a SERVICE call did not succeed (details are not shown)")
    return Refused(500, f"query failed: {error}")


def streamed(spool, media_type: str, headers: dict) -> Response:
    """A large result sent from its spool file in blocks (sendfile under gunicorn), with its length known."""
    response = Response(wrap_file(request.environ, spool.opened(), buffer_size=64 * 1024), mimetype=media_type,
                        headers=headers, direct_passthrough=True)
    response.content_length = spool.size
    return response


def describe_service(store) -> Response:
    """The service description (or the HTML query page, if one is registered and the client prefers HTML)."""
    accept = request.headers.get("Accept")
    page = current_app.view_functions.get(setting("ADEKG_HTML_PAGE"))
    if page is not None and request.args.get("format") is None and prefers_html(accept):
        return page()
    media_type = negotiation.choose("graph", accept, request.args.get("format"))
    if media_type is None:
        raise Refused(406, f"nothing acceptable for Accept {accept!r}; offered: {negotiation.offered('graph')}")
    endpoint = request.base_url
    void_iri = request.url_root + ".well-known/void"
    body = serialize(service_description(store, endpoint, void_iri), format=negotiation.serializer("graph", media_type),
                     prefixes=PREFIXES)
    return Response(body, mimetype=media_type, headers={"Vary": "Accept"})


@sparql_blueprint.route("/sparql", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
@sparql_blueprint.route("/sparql/", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
def sparql() -> Response:
    """Answer one SPARQL query over the store (the union of its named graphs unless a dataset is given)."""
    if request.method == "OPTIONS":
        return Response(status=204, headers=PREFLIGHT)
    if request.method not in ("GET", "HEAD", "POST"):
        return plain(405, f"method {request.method} is not allowed: query with GET or POST",
                     Allow="GET, HEAD, POST, OPTIONS")
    store = current_app.extensions["adekg_store"]
    try:
        query, dataset = read_request()
        if query is None:
            if dataset["default-graph-uri"] or dataset["named-graph-uri"]:
                raise Refused(400, "default-graph-uri/named-graph-uri given but no 'query' parameter")
            if request.method in ("GET", "HEAD"):
                return describe_service(store)
            raise Refused(400, "no 'query' parameter in the request")
        return answer_query(store, query, dataset)
    except Refused as refusal:
        return plain(refusal.status, str(refusal))


@sparql_blueprint.route("/.well-known/void")
def void() -> Response:
    """The VoID description of the served dataset, by Accept."""
    media_type = negotiation.choose("graph", request.headers.get("Accept"), request.args.get("format"))
    if media_type is None:
        return plain(406, f"nothing acceptable; offered: {negotiation.offered('graph')}")
    etag = etag_for(served_build(current_app.extensions), "void", media_type)
    if not_modified(etag):
        return Response(status=304, headers={"ETag": etag, "Vary": "Accept"})
    store = current_app.extensions["adekg_store"]
    void_iri = request.url_root + ".well-known/void"
    triples = void_description(store, void_iri, request.url_root + "sparql", setting("ADEKG_LICENSE"))
    body = serialize(triples, format=negotiation.serializer("graph", media_type), prefixes=PREFIXES)
    return Response(body, mimetype=media_type, headers={"ETag": etag, "Vary": "Accept"})


@sparql_blueprint.after_request
def cross_origin(response: Response) -> Response:
    """Let browser apps on other origins query the endpoint."""
    response.headers.update(CORS)
    return response


def new_cache() -> OrderedDict:
    """An empty LRU cache of small answers, keyed by ETag."""
    return OrderedDict()


def served_build(extensions: dict) -> str:
    """What answers and ETags depend on: the store's build, and on an external store the writes seen to it since."""
    writes_seen = getattr(extensions["adekg_store"], "writes_seen", None)  # server/remote.py RemoteStore
    return extensions["adekg_build"] if writes_seen is None else f"{extensions['adekg_build']}+{writes_seen()}"


def build_id(store_path) -> str:
    """An identifier of the store's build: the generation folder the store link points at, and its time."""
    if store_path is None:
        return f"memory-{os.getpid()}-{time.time_ns()}"
    target = os.path.realpath(store_path)
    return f"{os.path.basename(target)}-{os.stat(target).st_mtime_ns}"

