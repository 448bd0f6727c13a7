"""JSON-LD for apps: the published @context, compaction of RDF with it, and embedded (framed) documents."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from flask import Blueprint, Response, current_app
from pyld import jsonld
from pyoxigraph import RdfFormat, serialize

jsonld_blueprint = Blueprint("jsonld", __name__)

CONTEXT_FILE = Path(__file__).resolve().parent / "context" / "v1.jsonld"
CONTEXT_PATH = "context/v1.jsonld"


def load_context() -> dict:
    """The versioned context document shipped in the package (read once at app start)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


def context_url(iri_base: str) -> str:
    """The stable URL of the context: under the IRI base, like every other adekg resource."""
    return iri_base + CONTEXT_PATH


def prefixes(context: dict) -> dict[str, str]:
    """The namespace prefixes declared in a context document (for Turtle and for HTML labels)."""
    return {key: value for key, value in context["@context"].items()
            if isinstance(value, str) and not key.startswith("@") and value[-1:] in ("/", "#", "_")}


def local_loader(context: dict, url: str):
    """A pyld document loader that serves our context from memory and refuses the network."""
    def load(requested: str, options=None) -> dict:
        """Return the local context for its URL; anything else is an error."""
        if requested == url:
            return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(context)}
        raise jsonld.JsonLdError(f"no network access: {requested} is not served locally",
                                 "jsonld.LoadDocumentError", code="loading document failed")
    return load


def expanded_nodes(nquads: str) -> list[dict]:
    """Expanded, flattened JSON-LD node objects for N-Triples/N-Quads text (graph names dropped)."""
    return jsonld.from_rdf(nquads, {"format": "application/n-quads", "useNativeTypes": True})


def compact(nodes: list | dict, context: dict, url: str, inline: bool) -> dict:
    """Compact expanded JSON-LD with our context; refer to it by URL unless inline is asked for."""
    options = {"documentLoader": local_loader(context, url), "base": None}
    result = jsonld.compact(nodes, url, options)
    result["@context"] = copy.deepcopy(context["@context"]) if inline else url
    return result


def embedded_tree(nodes: list[dict], root: str) -> list[dict]:
    """Embed every node once under the root, breadth-first, forward links first then @reverse links."""
    by_id = {node["@id"]: copy.deepcopy(node) for node in nodes}
    if root not in by_id:
        by_id[root] = {"@id": root}
    incoming: dict[str, list[tuple[str, str]]] = {}
    for node in nodes:
        for prop, values in node.items():
            if prop.startswith("@"):
                continue
            for value in values:
                if isinstance(value, dict) and "@id" in value and value["@id"] != node["@id"]:
                    incoming.setdefault(value["@id"], []).append((prop, node["@id"]))
    placed = {root}
    queue = [by_id[root]]
    while queue:
        node = queue.pop(0)
        for prop, values in list(node.items()):
            if prop.startswith("@"):
                continue
            slots = [(values, index) for index in range(len(values))]
            slots += [(value["@list"], index) for value in values if isinstance(value, dict) and "@list" in value
                      for index in range(len(value["@list"]))]
            for container, index in slots:
                value = container[index]
                target = value.get("@id") if isinstance(value, dict) else None
                if target in by_id and target not in placed and len(value) == 1:
                    placed.add(target)
                    container[index] = by_id[target]
                    queue.append(by_id[target])
        for prop, source in incoming.get(node["@id"], []):
            if source in placed:
                continue
            placed.add(source)
            child = by_id[source]
            child[prop] = [v for v in child[prop] if not (isinstance(v, dict) and v.get("@id") == node["@id"])]
            if not child[prop]:
                del child[prop]
            node.setdefault("@reverse", {}).setdefault(prop, []).append(child)
            queue.append(child)
    rest = [by_id[key] for key in sorted(by_id) if key not in placed and len(by_id[key]) > 1]
    return [by_id[root], *rest]


def framed_document(nquads: str, root: str, context: dict, url: str, inline: bool) -> dict:
    """A compacted JSON-LD document with the root entity at the top and everything else embedded."""
    tree = embedded_tree(expanded_nodes(nquads), root)
    document = compact(tree if len(tree) > 1 else tree[0], context, url, inline)
    return document


def compacted_graph(triples, context: dict, url: str, inline: bool) -> dict:
    """CONSTRUCT/DESCRIBE results (any iterable of triples) compacted with the published context, for /sparql."""
    nquads = serialize(list(triples), format=RdfFormat.N_TRIPLES).decode("utf-8")
    return compact(expanded_nodes(nquads), context, url, inline)


def jsonld_response(document: dict, status: int = 200) -> Response:
    """A JSON-LD response body, indented for people reading it."""
    body = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    return Response(body, status=status, mimetype="application/ld+json")


@jsonld_blueprint.route("/context/v1.jsonld")
def context_v1() -> Response:
    """The published, versioned @context (immutable: cache it for a year)."""
    response = jsonld_response(current_app.extensions["adekg_context"])
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
