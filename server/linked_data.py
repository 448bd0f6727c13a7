"""Linked Data: entity IRIs under the IRI base answer 303 to a description document; graphs and app documents."""
from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, Variable, serialize

from .api import api_document
from .jsonld import CONTEXT_PATH, compact, expanded_nodes, framed_document, jsonld_response
from .links import href_for
from .results import union_view

linked_data_blueprint = Blueprint("linked_data", __name__)

IRI_BASE = "https://w3id.org/adekg/"
# First path segments that are the app's own routes, never entity IRIs.
RESERVED = frozenset({"doc", "api", "static", "context", "sparql", "query", "rdf-graphs"})
ADE = "https://w3id.org/adekg/ontology/"
HAS_EVIDENCE = NamedNode(ADE + "hasEvidence")
IN_SOURCE_TEXT = NamedNode(ADE + "inSourceText")
FILE_NAME = NamedNode(ADE + "fileName")
HAS_SIGNAL = NamedNode(ADE + "hasDisproportionalitySignal")
SIGNAL_DETECTED = NamedNode(ADE + "signalDetected")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DEFINITIONS = ("http://www.w3.org/2004/02/skos/core#definition", "http://purl.obolibrary.org/obo/IAO_0000115",
               "http://www.w3.org/2000/01/rdf-schema#comment")
# format name -> (media type, pyoxigraph format or None for JSON-LD/HTML); first is the default for */*.
FORMATS = {"html": ("text/html", None), "ttl": ("text/turtle", RdfFormat.TURTLE),
           "jsonld": ("application/ld+json", None), "nt": ("application/n-triples", RdfFormat.N_TRIPLES),
           "rdf": ("application/rdf+xml", RdfFormat.RDF_XML)}
GRAPH_FORMATS = {"ttl": ("text/turtle", RdfFormat.TURTLE), "nt": ("application/n-triples", RdfFormat.N_TRIPLES),
                 "rdf": ("application/rdf+xml", RdfFormat.RDF_XML), "jsonld": ("application/ld+json", None),
                 "nq": ("application/n-quads", RdfFormat.N_QUADS), "trig": ("application/trig", RdfFormat.TRIG)}
INVERSE_LIMIT = 500
FOLDER_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")  # a valid PN_PREFIX that ends in no '.'
QUERIES = Path(__file__).resolve().parent / "queries"


def init_app(app) -> None:
    """Load what the Linked Data routes need once: the fixed queries shipped in server/queries/."""
    app.extensions["adekg_ld_queries"] = {path.stem: path.read_text(encoding="utf-8")
                                          for path in sorted(QUERIES.glob("*.rq"))}
    app.extensions["adekg_ld_cache"] = {}
    app.register_blueprint(linked_data_blueprint)


def plain(status: int, message: str) -> Response:
    """A text/plain error response with a one-line reason."""
    return Response(message + "\n", status=status, mimetype="text/plain")


def settings() -> tuple[object, str, dict, dict]:
    """The store, the IRI base, the context document and its prefixes of the running app."""
    app = current_app
    return (app.extensions["adekg_store"], app.config.get("IRI_BASE", IRI_BASE),
            app.extensions["adekg_context"], app.extensions["adekg_prefixes"])


def negotiate(formats: dict) -> tuple[str | None, Response | None]:
    """Choose a format name from ?format= or the Accept header; return (name, error response)."""
    asked = request.args.get("format")
    if asked is not None:
        if asked not in formats:
            return None, plain(400, f"unknown format {asked!r}; use one of: " + ", ".join(formats))
        return asked, None
    by_type = {media: name for name, (media, _) in formats.items()}
    best = request.accept_mimetypes.best_match(list(by_type), default=None)
    if best is None:
        if request.accept_mimetypes.provided:
            return None, plain(406, "nothing acceptable for this Accept header; offered: " + ", ".join(by_type))
        return next(iter(formats)), None
    return by_type[best], None


def named_node(iri: str, what: str) -> NamedNode | Response:
    """The IRI as a NamedNode, or a 400 text/plain response naming what is wrong with it."""
    try:
        return NamedNode(iri)
    except ValueError as error:
        return plain(400, f"invalid IRI for {what}: <{iri}> ({str(error).splitlines()[0]})")


def known_entity(store, iri_base: str, path: str) -> bool:
    """Whether <iri_base + path> is an entity: not under a route name, and a subject or object in the store."""
    if path.split("/", 1)[0] in RESERVED:
        return False
    try:
        node = NamedNode(iri_base + path)
    except ValueError:
        return False
    query = current_app.extensions["adekg_ld_queries"]["entity-exists"]
    return bool(store.query(query, use_default_graph_as_union=True, substitutions={Variable("iri"): node}))


def subject_triples(store, subject, seen: set) -> list[Triple]:
    """All triples with this subject in any graph, with the blank nodes they reach (a concise description)."""
    triples, pending = [], [subject]
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for quad in store.quads_for_pattern(node, None, None, None):
            triples.append(Triple(quad.subject, quad.predicate, quad.object))
            if isinstance(quad.object, BlankNode):
                pending.append(quad.object)
    return list(dict.fromkeys(triples))


def with_evidence(store, subjects: list, seen: set) -> list[Triple]:
    """The triples of these subjects plus their evidence quotes and the file names of the quoted texts."""
    triples = []
    for subject in subjects:
        triples += subject_triples(store, subject, seen)
    quotes = [t.object for t in triples if t.predicate == HAS_EVIDENCE and isinstance(t.object, NamedNode)]
    return list(dict.fromkeys(triples + quote_triples(store, quotes, seen)))


def quote_triples(store, quotes: list, seen: set) -> list[Triple]:
    """The triples of evidence quotes and the file names of the texts they quote."""
    triples = []
    for quote in quotes:
        own = subject_triples(store, quote, seen)
        triples += own
        for text in {t.object for t in own if t.predicate == IN_SOURCE_TEXT}:
            triples += [Triple(q.subject, q.predicate, q.object)
                        for q in store.quads_for_pattern(text, FILE_NAME, None, None)]
    return triples


def entity_statements(store, iri: str) -> list[Triple]:
    """What the document of an entity states: its triples, blank-node closure, evidence quotes."""
    return with_evidence(store, [NamedNode(iri)], set())


def case_statements(store, iri_base: str, document: str) -> list[Triple]:
    """The case document: every triple whose subject is data:<doc> or an IRI under data:<doc>/, and its evidence."""
    root = iri_base + "data/" + document
    view = union_view(store, current_app.extensions["adekg_limits"].union)
    if view is not None:  # the subjects under root/ from the view's sorted subjects, then each one's triples
        subjects = [NamedNode(root)] + [NamedNode(iri) for iri in subjects_under(view, root + "/")]
        triples = [Triple(q.subject, q.predicate, q.object) for subject in subjects
                   for q in view.quads_for_pattern(subject, None, None, None)]
        store = view
    else:
        query = current_app.extensions["adekg_ld_queries"]["case-statements"]
        rows = store.query(query, use_default_graph_as_union=True,
                           substitutions={Variable("root"): NamedNode(root), Variable("prefix"): Literal(root + "/")})
        triples = [Triple(row["s"], row["p"], row["o"]) for row in rows]
    described = {triple.subject for triple in triples}
    quoted_elsewhere = list(dict.fromkeys(t.object for t in triples if t.predicate == HAS_EVIDENCE
                                          and t.object not in described))
    return list(dict.fromkeys(triples + quote_triples(store, quoted_elsewhere, described)))


def subjects_under(view, prefix: str) -> list[str]:
    """The IRIs of the view's subjects that start with prefix (its sorted subjects are listed once per view)."""
    cache = current_app.extensions["adekg_limits"].union
    if cache.get("subjects_of") is not view:
        rows = view.query(current_app.extensions["adekg_ld_queries"]["subjects"])
        cache.update(subjects_of=view, subjects=sorted(row["s"].value for row in rows))
    subjects = cache["subjects"]
    start = bisect.bisect_left(subjects, prefix)
    end = bisect.bisect_left(subjects, prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return subjects[start:end]


def statement_source(store):
    """Where to read statements: the union view (in memory, each triple once), else the store itself."""
    view = union_view(store, current_app.extensions["adekg_limits"].union)
    return store if view is None else view


def drug_statements(store, iri_base: str, key: str) -> list[Triple]:
    """The drug document: the drug, nodes linking to it, class-level risks naming it with the signals they link to,
    mechanisms, evidence.

    Not the FAERS reports naming the drug, nor its signals that were not flagged: tens of thousands at 10^6
    reports, one SPARQL query away (docs/faers.md), they would make a document of megabytes.
    """
    drug = NamedNode(iri_base + "drug/" + key)
    source = statement_source(store)
    faers_reports = iri_base + "data/faers/"
    linking = list(dict.fromkeys(q.subject for q in source.quads_for_pattern(None, None, drug, None)
                                 if isinstance(q.subject, NamedNode) and q.subject != drug
                                 and not q.subject.value.startswith(faers_reports)))
    linking = [node for node in linking if not unflagged_signal(source, node)]
    risks = current_app.extensions["adekg_ld_queries"]["drug-risks"]
    linking += [row["risk"] for row in store.query(risks, use_default_graph_as_union=True,
                                                   substitutions={Variable("drug"): drug})
                if row["risk"] not in linking]
    mechanism_base = iri_base + "mechanism/"
    subjects = [drug, *linking]
    seen: set = set()
    triples = with_evidence(source, subjects, seen)
    linked = list(dict.fromkeys(t.object for t in triples if isinstance(t.object, NamedNode)
                                and (t.object.value.startswith(mechanism_base) or t.predicate == HAS_SIGNAL)))
    return list(dict.fromkeys(triples + with_evidence(source, linked, seen)))


def unflagged_signal(source, node) -> bool:
    """Whether a node is a disproportionality signal that was not flagged."""
    return any(quad.object.value == "false" for quad in source.quads_for_pattern(node, SIGNAL_DETECTED, None, None))


def served_context_url() -> str:
    """The context's URL on the server that answers this request (so processors need no other network)."""
    return (current_app.config.get("PUBLIC_BASE") or request.url_root) + CONTEXT_PATH


def functional_properties(store) -> frozenset[str]:
    """The IRIs of the ontology's functional properties (read once per app)."""
    cache = current_app.extensions["adekg_ld_cache"]
    if "functional" not in cache:
        query = current_app.extensions["adekg_ld_queries"]["functional-properties"]
        cache["functional"] = frozenset(row["property"].value for row in store.query(
            query, use_default_graph_as_union=True))
    return cache["functional"]


def api_response(store, triples: list[Triple], root: str) -> bytes:
    """The body of an /api/ document."""
    _, _, context, known = settings()
    document = api_document(triples, root, context, known, functional_properties(store))
    # Not indented: the indenting encoder is pure Python and took most of the time of a large document.
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def folder_prefixes(items, iri_base: str) -> dict[str, str]:
    """Prefixes for the folders of path-like data IRIs (`d000-observation:` for data/000/observation/), so that
    Turtle writes `d000-observation:ldh` instead of `data:000\\/observation\\/ldh`."""
    data = iri_base + "data/"
    found = {}
    for item in items:
        for term in (item.subject, item.object):
            if isinstance(term, NamedNode) and term.value.startswith(data):
                folder = term.value[:term.value.rindex("/") + 1]
                name = "d" + folder[len(data):-1].replace("/", "-")
                if len(folder) > len(data) and FOLDER_PREFIX.fullmatch(name):
                    found[name] = folder
    return found


def to_nquads(triples: list[Triple]) -> str:
    """N-Triples text for a list of triples."""
    return serialize(triples, format=RdfFormat.N_TRIPLES).decode("utf-8")


def rdf_response(triples: list[Triple], name: str, formats: dict, root: str | None = None) -> Response:
    """Serialise triples in a negotiated RDF format; JSON-LD is compacted with the published context."""
    store, iri_base, context, known = settings()
    media, rdf_format = formats[name]
    if name == "jsonld":
        inline = request.args.get("context") == "inline"
        url = served_context_url()
        if root is not None:
            document = framed_document(to_nquads(triples), root, context, url, inline)
        else:
            document = compact(expanded_nodes(to_nquads(triples)), context, url, inline)
        response = jsonld_response(document)
    else:
        names = {**known, **folder_prefixes(triples, iri_base)}
        response = Response(serialize(triples, format=rdf_format, prefixes=names), mimetype=media)
    response.headers["Vary"] = "Accept"
    return response


def term_view(term, iri_base: str, public_base: str, known: dict, labels: dict) -> dict:
    """How the HTML page shows one RDF term: text, link target, datatype or language."""
    if isinstance(term, NamedNode):
        iri = term.value
        href = href_for(iri, iri_base, public_base)
        short = iri
        for prefix, namespace in sorted(known.items(), key=lambda item: -len(item[1])):
            if iri.startswith(namespace) and len(iri) > len(namespace):
                short = f"{prefix}:{iri[len(namespace):]}"
                break
        return {"kind": "iri", "text": short, "href": href, "iri": iri, "label": labels.get(iri)}
    if isinstance(term, BlankNode):
        return {"kind": "blank", "text": "_:" + term.value}
    datatype = term.datatype.value if term.datatype else None
    shown = None if datatype in (None, "http://www.w3.org/2001/XMLSchema#string",
                                 "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString") else datatype
    return {"kind": "literal", "text": term.value, "language": term.language,
            "datatype": term_view(NamedNode(shown), iri_base, public_base, known, {}) if shown else None}


def label_of(store, term) -> str | None:
    """The first rdfs:label of a term, if it has one."""
    if not isinstance(term, NamedNode):
        return None
    for quad in store.quads_for_pattern(term, NamedNode(LABEL), None, None):
        return quad.object.value
    return None


def html_page(iri: str, triples: list[Triple]) -> Response:
    """The HTML description of an entity: label, types, definition, statements, evidence, inverse links."""
    store, iri_base, context, known = settings()
    public_base = current_app.config.get("PUBLIC_BASE") or request.script_root + "/"
    subject = NamedNode(iri)
    own = [t for t in triples if t.subject == subject]
    inverse = []
    for quad in store.quads_for_pattern(None, None, subject, None):
        triple = Triple(quad.subject, quad.predicate, quad.object)
        if triple not in inverse:
            inverse.append(triple)
        if len(inverse) >= INVERSE_LIMIT:
            break
    terms = {t.predicate for t in own + inverse} | {t.object for t in own} | {t.subject for t in inverse}
    labels = {term.value: label for term in terms if (label := label_of(store, term))}
    view = lambda term: term_view(term, iri_base, public_base, known, labels)  # noqa: E731
    quotes = []
    for triple in own:
        if triple.predicate == HAS_EVIDENCE:
            fields = {t.predicate.value[len(ADE):]: t.object for t in triples if t.subject == triple.object
                      and t.predicate.value.startswith(ADE)}
            source = fields.get("inSourceText")
            files = [t.object.value for t in triples if t.subject == source and t.predicate == FILE_NAME]
            quotes.append({"quote": view(triple.object), "text": (fields.get("exactText") or fields.get("quoteText")),
                           "start": fields.get("startOffset"), "end": fields.get("endOffset"),
                           "file": files[0] if files else None, "source": view(source) if source else None})
    label = next((t.object.value for t in own if t.predicate.value == LABEL), None)
    definition = next((t.object.value for name in DEFINITIONS for t in own if t.predicate.value == name), None)
    path = iri[len(iri_base):]
    graph_link = None
    if path.startswith("graph/"):
        graph_link = request.script_root + "/rdf-graphs?graph=" + quote(iri, safe=":/")
    page = render_template(
        "entity.html", iri=iri, label=label, definition=definition, path=path, graph_link=graph_link,
        types=[view(t.object) for t in own if t.predicate == RDF_TYPE],
        statements=[(view(t.predicate), view(t.object)) for t in sorted(
            own, key=lambda t: (t.predicate.value, str(t.object))) if t.predicate != RDF_TYPE],
        inverse=[(view(t.subject), view(t.predicate)) for t in inverse], inverse_limit=INVERSE_LIMIT,
        quotes=quotes, formats=[name for name in FORMATS if name != "html"])
    response = Response(page, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


@linked_data_blueprint.route("/<section>")
@linked_data_blueprint.route("/<section>/<path:rest>")
def entity_iri(section: str, rest: str = "") -> Response:
    """An entity IRI (its path under the IRI base): 303 See Other to its description document."""
    store, iri_base, _, _ = settings()
    path = section + ("/" + rest if rest else "")
    if not known_entity(store, iri_base, path):
        return plain(404, f"not found: <{iri_base + path}> is not an entity of this graph")
    target = request.script_root + "/doc/" + path
    if request.query_string:
        target += "?" + request.query_string.decode("ascii", "replace")
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    return response


@linked_data_blueprint.route("/doc/<path:path>")
def entity_document(path: str) -> Response:
    """The description document of an entity, in HTML or RDF by Accept or ?format=."""
    store, iri_base, _, _ = settings()
    iri = iri_base + path
    if not known_entity(store, iri_base, path):
        return plain(404, f"no statements about <{iri}> in this graph")
    name, error = negotiate(FORMATS)
    if error:
        return error
    triples = entity_statements(store, iri)
    if name == "html":
        return html_page(iri, triples)
    return rdf_response(triples, name, FORMATS, root=iri)


@linked_data_blueprint.route("/rdf-graphs")
def graph_store() -> Response:
    """SPARQL 1.1 Graph Store Protocol, read-only: GET ?graph=<IRI> or ?default (the union of all graphs)."""
    store = current_app.extensions["adekg_store"]
    graphs = request.args.getlist("graph")
    if ("default" in request.args) == bool(graphs) or len(graphs) > 1:
        return plain(400, "give exactly one of ?graph=<IRI> or ?default")
    name, error = negotiate(GRAPH_FORMATS)
    if error:
        return error
    if graphs:
        graph = named_node(graphs[0], "?graph=") if graphs[0] else None
        if isinstance(graph, Response):
            return graph
        if graph is None or not store.contains_named_graph(graph):
            return plain(404, f"no such named graph: <{graphs[0]}>")
        if name in ("nq", "trig"):
            items = list(store.quads_for_pattern(None, None, None, graph))
        else:
            items = [Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, graph)]
    else:
        items = list(dict.fromkeys(Triple(q.subject, q.predicate, q.object)
                                   for q in store.quads_for_pattern(None, None, None, None)))
        if name in ("nq", "trig"):
            items = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in items]
    if name == "jsonld":
        triples = [t if isinstance(t, Triple) else Triple(t.subject, t.predicate, t.object) for t in items]
        return rdf_response(triples, name, GRAPH_FORMATS)
    _, iri_base, _, known = settings()
    media, rdf_format = GRAPH_FORMATS[name]
    response = Response(serialize(items, format=rdf_format, prefixes={**known, **folder_prefixes(items, iri_base)}),
                        mimetype=media)
    response.headers["Vary"] = "Accept"
    return response


@linked_data_blueprint.route("/api/case/<document>")
def case_document(document: str) -> Response:
    """The case report as one embedded JSON-LD document: patient, exposures, events, labs, outcome, evidence."""
    store, iri_base, _, _ = settings()
    cache, key = current_app.extensions["adekg_ld_cache"], ("case", document)
    if key not in cache:
        root = named_node(iri_base + "data/" + document, "the case report")
        if isinstance(root, Response):
            return root
        triples = case_statements(store, iri_base, document)
        if not triples:
            return plain(404, f"no case report {document!r}")
        cache[key] = api_response(store, triples, iri_base + "data/" + document)
    return Response(cache[key], mimetype="application/ld+json")


@linked_data_blueprint.route("/api/drug/<key>")
def drug_document(key: str) -> Response:
    """The drug as one embedded JSON-LD document: its claims, events, mechanisms, risks and evidence."""
    store, iri_base, _, _ = settings()
    drug = named_node(iri_base + "drug/" + key, "the drug")
    if isinstance(drug, Response):
        return drug
    if not any(True for _ in store.quads_for_pattern(drug, None, None, None)):
        return plain(404, f"no drug {key!r}")
    cache, path = current_app.extensions["adekg_ld_cache"], ("drug", key)
    if path not in cache:
        cache[path] = api_response(store, drug_statements(store, iri_base, key), drug.value)
    return Response(cache[path], mimetype="application/ld+json")
