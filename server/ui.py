"""The HTML query page (YASGUI plus a plain form) and HTML tables of query results for browsers."""
from __future__ import annotations

from itertools import islice
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import BlankNode, NamedNode, QueryBoolean, QuerySolutions

from .linked_data import IRI_BASE

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
    app.extensions["adekg_html_results"] = show_results
    app.register_blueprint(ui_blueprint)


def cell(term, base: str, public: str) -> dict | None:
    """One result cell as text plus a link for IRIs (IRIs under the IRI base link to this server)."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        href = public + term.value[len(base):] if term.value.startswith(base) else term.value
        return {"text": term.value, "href": href}
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


def show_results(query: str, options: dict) -> Response:
    """The query run within the timeout and shown as an HTML table (or the form with the error)."""
    store, config, settings = (current_app.extensions["adekg_store"], current_app.config,
                               current_app.extensions["adekg_settings"])
    base = config.get("IRI_BASE", IRI_BASE)
    public = config.get("PUBLIC_BASE") or request.script_root + "/"
    max_rows = settings["ADEKG_HTML_ROWS"]
    try:  # in a query worker: the pool kills it past the time or memory limit
        header, rows, more = table(store.query(query, **options), max_rows, base, public)
    except SyntaxError as error:
        return render_error_page(query, f"malformed query: {error}".splitlines()[0], 400)
    except (OSError, ValueError, TypeError, RuntimeError) as error:
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
    if len(queries) != 1:
        return render_error_page("", "exactly one 'query' parameter is required", 400)
    return show_results(queries[0], {"use_default_graph_as_union": True})
