"""The baseline of the HTTP benchmark: the smallest Flask + pyoxigraph SPARQL endpoint (GET, JSON results only)."""
from flask import Flask, Response, request
from pyoxigraph import QueryResultsFormat, Store


def create_app(store_path: str) -> Flask:
    """A Flask app answering GET /sparql?query=... with SPARQL JSON over the union graph."""
    app = Flask(__name__)
    store = Store.read_only(store_path)

    @app.get("/sparql")
    def sparql():
        results = store.query(request.args["query"], use_default_graph_as_union=True)
        return Response(results.serialize(format=QueryResultsFormat.JSON), mimetype="application/sparql-results+json")
    return app
