"""Read-only web access to a built adekg store (SPARQL endpoint); never imports build code.

The Flask app runs inside the query workers of `adekg serve` (server/pool.py, server/worker.py), which bound every
request in time and memory; in-process (tests, Flask's client) it runs unguarded.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from pyoxigraph import Store


def create_app(store: Store | None = None, store_path: str | Path | None = None,
               config: dict | None = None) -> Flask:
    """Create the Flask app serving one store, given as an open Store or a store path (its current generation)."""
    # Imported here, not at the top: the front of `adekg serve` (server/front.py, in this package) never builds an
    # app, and loading Flask, rdflib's SPARQL parser and the rest cost it ~0.7 s of CPU at each start.
    from flask import Flask

    from . import linked_data, ui
    from .generation import open_reader
    from .jsonld import context_url, jsonld_blueprint, load_context, prefixes
    from .results import prepare
    from .sparql import build_id, limits_from, new_cache, settings_from, sparql_blueprint

    reader = None
    if store is None:
        if store_path is None:
            raise ValueError("create_app needs a store or a store_path")
        reader = open_reader(Path(store_path))
        store = reader.store
    app = Flask(__name__)
    app.extensions["adekg_reader"] = reader  # holds the generation's READERS.lock as long as the app lives
    app.config.update({"MAX_CONTENT_LENGTH": 1_000_000, **(config or {})})
    app.extensions["adekg_store"] = store
    app.extensions["adekg_build"] = app.config.get("ADEKG_BUILD_ID") or build_id(reader and reader.generation)
    app.extensions["adekg_cache"] = new_cache()
    app.register_blueprint(sparql_blueprint)
    app.extensions["adekg_context"] = load_context()
    app.extensions["adekg_settings"] = settings_from(app.config)
    app.extensions["adekg_limits"] = limits_from(app.extensions["adekg_settings"], app.extensions["adekg_context"],
                                                 context_url(app.config.get("IRI_BASE", linked_data.IRI_BASE)))
    app.extensions["adekg_prefixes"] = prefixes(app.extensions["adekg_context"])
    prepare(store, app.extensions["adekg_limits"])  # each worker opens its store here: build the union view now
    app.register_blueprint(jsonld_blueprint)
    linked_data.init_app(app)
    ui.init_app(app)
    return app
