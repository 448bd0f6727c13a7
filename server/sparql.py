"""The /sparql route: SPARQL 1.1 query over GET and POST, answered by pyoxigraph."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

sparql_blueprint = Blueprint("sparql", __name__)

# Media type -> serializer format, first entry of each table is the default.
RESULT_TYPES = {"application/sparql-results+json": QueryResultsFormat.JSON,
                "application/sparql-results+xml": QueryResultsFormat.XML,
                "text/csv": QueryResultsFormat.CSV,
                "text/tab-separated-values": QueryResultsFormat.TSV}
GRAPH_TYPES = {"text/turtle": RdfFormat.TURTLE, "application/n-triples": RdfFormat.N_TRIPLES,
               "application/rdf+xml": RdfFormat.RDF_XML, "application/ld+json": RdfFormat.JSON_LD}


def plain(status: int, message: str) -> Response:
    """A text/plain error response with a one-line reason."""
    return Response(message + "\n", status=status, mimetype="text/plain")


def query_text() -> tuple[str | None, str | None]:
    """Extract the query from GET, form POST or direct POST; return (query, error)."""
    if request.method == "GET":
        queries = request.args.getlist("query")
    elif request.mimetype == "application/x-www-form-urlencoded":
        if "update" in request.form:
            return None, "this endpoint is read-only: SPARQL Update is not accepted"
        queries = request.form.getlist("query")
    elif request.mimetype == "application/sparql-query":
        queries = [request.get_data(as_text=True)]
    elif request.mimetype == "application/sparql-update":
        return None, "this endpoint is read-only: SPARQL Update is not accepted"
    else:
        return None, f"unsupported media type {request.mimetype!r}"
    if len(queries) != 1:
        return None, "exactly one 'query' parameter is required"
    return queries[0], None


@sparql_blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer one SPARQL query over the union of the store's named graphs."""
    query, error = query_text()
    if error:
        status = 415 if error.startswith("unsupported") else 400
        return plain(status, error)
    store = current_app.extensions["adekg_store"]
    try:
        results = store.query(query, use_default_graph_as_union=True)
    except SyntaxError as parse_error:
        return plain(400, f"malformed query: {parse_error}")
    if isinstance(results, (QuerySolutions, QueryBoolean)):
        table = RESULT_TYPES
    else:
        table = GRAPH_TYPES
    media_type = request.accept_mimetypes.best_match(list(table), default=None)
    if media_type is None:
        if request.accept_mimetypes.provided:
            return plain(406, "nothing acceptable for this Accept header; offered: " + ", ".join(table))
        media_type = next(iter(table))
    body = results.serialize(format=table[media_type])
    response = Response(body, mimetype=media_type)
    response.headers["Vary"] = "Accept"
    return response
