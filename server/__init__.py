"""Read-only web access to a built adekg store (SPARQL endpoint); never imports build code."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from pyoxigraph import Store

from .sparql import sparql_blueprint


def create_app(store: Store | None = None, store_path: str | Path | None = None,
               config: dict | None = None) -> Flask:
    """Create the Flask app serving one store, given as an open Store or a path opened read-only."""
    if store is None:
        if store_path is None:
            raise ValueError("create_app needs a store or a store_path")
        store = Store.read_only(str(store_path))
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=1_000_000, **(config or {}))
    app.extensions["adekg_store"] = store
    app.register_blueprint(sparql_blueprint)
    return app
