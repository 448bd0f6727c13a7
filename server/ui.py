"""The HTML query page (YASGUI plus a plain form) and HTML tables of query results for browsers."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import BlankNode, NamedNode, QueryBoolean, QuerySolutions

ui_blueprint = Blueprint("ui", __name__)

DEFAULT_QUERIES = Path(__file__).resolve().parent.parent / "queries"
DEFAULT_QUERY = ("PREFIX ade: <https://w3id.org/adekg/ontology/>\n"
                 "SELECT ?patient ?age WHERE { ?patient a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age\n")


def load_examples(folder: Path) -> list[dict]:
    """The competency questions of a queries/ folder: name, question (first comment line) and text."""
    examples = []
    for path in sorted(Path(folder).glob("cq-*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        question = first.lstrip("# ").strip() if first.startswith("#") else path.stem
        examples.append({"name": path.stem, "question": question, "query": text})
    return examples


def init_app(app) -> None:
    """Read the example queries once at app start (config QUERIES_DIR, default the repository's queries/)."""
    app.extensions["adekg_examples"] = load_examples(Path(app.config.get("QUERIES_DIR") or DEFAULT_QUERIES))
    app.register_blueprint(ui_blueprint)


def wants_html() -> bool:
    """Whether the request is from a browser that prefers HTML and named no explicit format."""
    if request.args.get("format"):
        return False
    if request.mimetype == "application/x-www-form-urlencoded" and request.form.get("format"):
        return False
    listed = {value: quality for value, quality in request.accept_mimetypes}
    html = max(listed.get("text/html", 0), listed.get("application/xhtml+xml", 0))
    others = [quality for value, quality in listed.items() if value not in ("text/html", "application/xhtml+xml", "*/*")
              and not value.startswith(("application/xml", "image/"))]
    return html > 0 and html >= max(others, default=0)


def cell(term) -> dict | None:
    """One result cell as text plus a link for IRIs (IRIs under the IRI base link to this server)."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        base = current_app.config.get("IRI_BASE", "https://w3id.org/adekg/")
        public = current_app.config.get("PUBLIC_BASE") or request.script_root + "/"
        href = public + term.value[len(base):] if term.value.startswith(base) else term.value
        return {"text": term.value, "href": href}
    if isinstance(term, BlankNode):
        return {"text": "_:" + term.value, "href": None}
    return {"text": term.value, "href": None}


def render_results_page(results, query: str, status: int = 200) -> Response:
    """An HTML page with the query form and its results as a table (SELECT, ASK, CONSTRUCT/DESCRIBE)."""
    if isinstance(results, QueryBoolean):
        header, rows = ["boolean"], [[{"text": "true" if bool(results) else "false", "href": None}]]
    elif isinstance(results, QuerySolutions):
        header = [variable.value for variable in results.variables]
        rows = [[cell(solution[name]) for name in header] for solution in results]
    else:
        header = ["subject", "predicate", "object"]
        rows = [[cell(triple.subject), cell(triple.predicate), cell(triple.object)] for triple in results]
    page = render_template("results.html", query=query, header=header, rows=rows,
                           examples=current_app.extensions.get("adekg_examples", []))
    return Response(page, status=status, mimetype="text/html")


def render_error_page(query: str, message: str, status: int) -> Response:
    """The query form again with a one-line error above it."""
    page = render_template("results.html", query=query, header=None, rows=None, error=message,
                           examples=current_app.extensions.get("adekg_examples", []))
    return Response(page, status=status, mimetype="text/html")


@ui_blueprint.route("/")
def query_page() -> Response:
    """The query page: YASGUI editor with the competency questions, and a plain form that needs no JavaScript."""
    examples = current_app.extensions["adekg_examples"]
    chosen = next((e for e in examples if e["name"] == request.args.get("example")), None)
    page = render_template("query.html", examples=examples, query=chosen["query"] if chosen else DEFAULT_QUERY,
                           chosen=chosen["name"] if chosen else None)
    return Response(page, mimetype="text/html")


@ui_blueprint.route("/query")
def html_results() -> Response:
    """Results of ?query= as an HTML table (what the plain form shows; /sparql may delegate here for browsers)."""
    queries = request.args.getlist("query")
    if len(queries) != 1:
        return render_error_page("", "exactly one 'query' parameter is required", 400)
    store = current_app.extensions["adekg_store"]
    try:
        results = store.query(queries[0], use_default_graph_as_union=True)
    except SyntaxError as error:
        return render_error_page(queries[0], f"malformed query: {error}".splitlines()[0], 400)
    return render_results_page(results, queries[0])
