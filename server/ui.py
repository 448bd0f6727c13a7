"""The HTML query page (YASGUI plus a plain form) and HTML tables of query results for browsers."""
from __future__ import annotations

from itertools import islice
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import BlankNode, NamedNode, QueryBoolean, QuerySolutions

from .linked_data import IRI_BASE
from .links import href_for
from .query_checks import Refused, check_form_encoding, check_query, refusal_of_malformed
from .results import dataset_of, syntax_message

ui_blueprint = Blueprint("ui", __name__)

DEFAULT_QUERIES = Path(__file__).resolve().parent.parent / "queries"
# The query page loads only this server's scripts, styles and data; YASGUI sets styles from script and
# CodeMirror adds style attributes, hence 'unsafe-inline' for styles only. No page may be framed.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
HTML_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
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
    app.extensions["adekg_html_results"] = show_results
    app.register_blueprint(ui_blueprint)
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    """nosniff on every response; a Content-Security-Policy and no framing on every HTML page."""
    response.headers.update(SECURITY_HEADERS)
    if response.mimetype == "text/html":
        for name, value in HTML_SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def cell(term, base: str, public: str) -> dict | None:
    """One result cell as text plus a link for IRIs (IRIs under the IRI base link to this server)."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return {"text": term.value, "href": href_for(term.value, base, public)}
    if isinstance(term, BlankNode):
        return {"text": "_:" + term.value, "href": None}
    return {"text": term.value, "href": None}


def table(results, max_rows: int, base: str, public: str) -> tuple[list[str], list[list], bool]:
    """Header, at most max_rows rows of cells, and whether rows were left out, for any query result."""
    if isinstance(results, QueryBoolean):
        return ["boolean"], [[{"text": "true" if bool(results) else "false", "href": None}]], False
    if isinstance(results, QuerySolutions):
        header = [variable.value for variable in results.variables]
        terms = ([solution[name] for name in header] for solution in results)
    else:
        header = ["subject", "predicate", "object"]
        terms = ([triple.subject, triple.predicate, triple.object] for triple in results)
    rows = [[cell(term, base, public) for term in row] for row in islice(terms, max_rows + 1)]
    return header, rows[:max_rows], len(rows) > max_rows


def show_results(query: str, options: dict, federated: bool = False) -> Response:
    """The query (already checked) run within the timeout and shown as an HTML table (or the form with the error)."""
    store, config, settings = (current_app.extensions["adekg_store"], current_app.config,
                               current_app.extensions["adekg_settings"])
    base = config.get("IRI_BASE", IRI_BASE)
    public = config.get("PUBLIC_BASE") or request.script_root + "/"
    max_rows = settings["ADEKG_HTML_ROWS"]
    store, options = dataset_of(store, query, options, current_app.extensions["adekg_limits"].union)
    try:  # in a query worker: the pool kills it past the time or memory limit
        header, rows, more = table(store.query(query, **options), max_rows, base, public)
    except SyntaxError as error:
        refusal = refusal_of_malformed(query, error)
        return render_error_page(query, str(refusal).splitlines()[0], refusal.status)
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        if federated:  # never show what a remote endpoint answered (no port scanning through error texts)
            return render_error_page(query, "query failed: a SERVICE call did not succeed (details are not shown)", 502)
        return render_error_page(query, f"query failed: {error}".splitlines()[0], 500)
    page = render_template("results.html", query=query, header=header, rows=rows, more=more,
                           examples=current_app.extensions.get("adekg_examples", []))
    return Response(page, mimetype="text/html", headers={"Vary": "Accept"})


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
    try:
        check_form_encoding(request.query_string, "query string")
        if len(queries) != 1:
            raise Refused(400, "exactly one 'query' parameter is required")
        # the same checks as /sparql, with relative IRIs resolved against this page as /sparql resolves them
        endpoint = f"{request.scheme}://{request.host}{request.root_path}{request.path}"
        federated = check_query(queries[0], current_app.extensions["adekg_settings"], endpoint)
    except Refused as refusal:
        return render_error_page(queries[0] if len(queries) == 1 else "", str(refusal), refusal.status)
    return show_results(queries[0], {"use_default_graph_as_union": True, "base_iri": endpoint}, federated)
