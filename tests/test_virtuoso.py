"""The external-store backend against a real Virtuoso Open Source (Debian's virtuoso-opensource).

A Virtuoso server is started on 127.0.0.1 (random free ports, a temporary database folder and ini file, foreground
mode, killed at the end); the seeds (with reasoning) and a synthetic FAERS extract are built into it with the same
functions `adekg build` and `adekg import-faers` call; every competency question is then asked through
`adekg serve --store URL` and must answer what the embedded store answers for the same data.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QueryBoolean, QueryResultsFormat, parse_query_results

from graph.build import Progress, build
from graph.faers_import import import_faers
from graph.faers_synth import ontology_drug_keys, synthesize
from graph.remote_store import endpoint_from, named_graphs, select
from graph.store import open_store, run_query, shorten
from graph.terms import PREFIXES

from .conftest import ONTOLOGY, ROOT, SEEDS

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
QUERIES = ROOT / "queries"
QUESTIONS = sorted(QUERIES.glob("cq-*.rq")) + sorted(QUERIES.glob("faers-cq-*.rq"))
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(VIRTUOSO is None or ISQL is None,
                                 reason="virtuoso-opensource is not installed (apt-get install virtuoso-opensource; "
                                        ".ci/run installs it)")]

# What a test database needs beyond Virtuoso's defaults: result and sort limits above the endpoint's --max-rows
# (100,000), no checkpoints during the test, a little memory.
INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
DirsAllowed = ., {folder}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
MaxQueryMem = 256M
ThreadsPerQuery = 2
MaxSortedTopRows = 1000000
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 6
MaxClientConnections = 6
[SPARQL]
ResultSetMaxRows = 10000000
MaxSortedTopRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""
# The anonymous SPARQL user may update (this database lives on 127.0.0.1 for one test run only); a shared
# Virtuoso would use /sparql-auth and a password instead (docs/external-store.md).
GRANTS = ('GRANT SPARQL_UPDATE TO "SPARQL"; GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL"; '
          'GRANT EXECUTE ON DB.DBA.SPARQL_DELETE_DICT_CONTENT TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET '
          "('nobody', 7);")


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1, from the range the helpers share (20000-60000)."""
    while True:
        port = 20000 + int.from_bytes(os.urandom(2), "big") % 40000
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    """Poll a URL until it answers 200, or fail the test (with the server's exit status if it died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"the server ended with status {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    """Kill a server started in its own session, with its children."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A Virtuoso server on 127.0.0.1 with a fresh database; the Endpoint of its /sparql."""
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    log = open(folder / "stdout.log", "wb")  # noqa: SIM115 - closed at the end of the fixture
    process = subprocess.Popen([VIRTUOSO, "-f", "-c", str(folder / "virtuoso.ini")], cwd=folder, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{http_port}/sparql"
        wait_for(url + "?query=" + urllib.parse.quote("ASK {}"), 120, process)
        subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={GRANTS}"], check=True,
                       capture_output=True, timeout=60)
        yield endpoint_from(url)
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """A synthetic FAERS extract of 200 reports (what `adekg synth-faers --reports 200` writes)."""
    folder = tmp_path_factory.mktemp("faers-200")
    synthesize(folder, 200, ontology_drug_keys(ONTOLOGY), 1, "2025Q1")
    return folder


@pytest.fixture(scope="module")
def virtuoso_built(virtuoso, extract, reasoner_cache):
    """The seeds built into Virtuoso (with reasoning), then the extract imported with its signals."""
    build(virtuoso, SEEDS, ONTOLOGY, Progress(0), reasoner_cache=reasoner_cache)
    import_faers(virtuoso, extract, ONTOLOGY)
    return virtuoso


@pytest.fixture(scope="module")
def embedded_built(built_store, extract, tmp_path_factory) -> Path:
    """The session's embedded store, copied, with the same extract imported: the answers to compare with."""
    path = tmp_path_factory.mktemp("embedded-faers") / "store"
    shutil.copytree(built_store, path, symlinks=True)
    import_faers(path, extract, ONTOLOGY)
    return path


@pytest.fixture(scope="module")
def served(virtuoso_built, tmp_path_factory):
    """`adekg serve --store <Virtuoso>` on a free port; its /sparql URL."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("serve") / "serve.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "graph.cli", "-q", "serve", "--store", virtuoso_built.query,
                                "--port", str(port), "--workers", "2"], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        wait_for(url + "?query=" + urllib.parse.quote("ASK {}"), 60, process)
        yield url
    finally:
        stop(process)
        log.close()


def value(term) -> str:
    """A term as the comparison sees it: prefixed IRI, or a literal's value with numbers compared by value.

    Normalised representation differences of Virtuoso (nothing else): xsd:decimal written without trailing
    zeros (1.50 -> 1.5) and numbers by value (so 1.0E1 == 10); Virtuoso's xsd:boolean 1/0 never reaches here
    (the results are read as SPARQL XML, where it writes true/false).
    """
    text = shorten(term)
    if isinstance(term, Literal) and term.datatype.value.startswith("http://www.w3.org/2001/XMLSchema#") and \
            term.datatype.value.rsplit("#", 1)[1] in NUMERIC:
        try:
            return format(Decimal(text).normalize(), "f")
        except InvalidOperation:
            return text
    return text


NUMERIC = {"integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger"}


def rows_of(results, ordered: bool) -> tuple[list[str], list[tuple[str, ...]]] | bool:
    """The variables and rows of a result (sorted unless the query orders them), or an ASK's answer."""
    if isinstance(results, QueryBoolean):
        return bool(results)
    names = [variable.value for variable in results.variables]
    rows = [tuple(value(row[name]) for name in names) for row in results]
    return names, rows if ordered else sorted(rows)


def ask_server(url: str, query: str):
    """A query through the HTTP endpoint, as parsed results (with the prefixes the CLI predefines declared)."""
    query = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items()) + query
    request = urllib.request.Request(url, data=urllib.parse.urlencode({"query": query}).encode(), method="POST",
                                     headers={"Accept": "application/sparql-results+xml",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return parse_query_results(response.read(), QueryResultsFormat.XML)


def test_build_writes_the_same_graphs_as_the_embedded_store(virtuoso_built, embedded_built):
    embedded = open_store(embedded_built)
    for graph in [graph.value for graph in embedded.named_graphs()]:
        local = len(list(embedded.quads_for_pattern(None, None, None, NamedNode(graph))))
        remote = select(virtuoso_built, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert int(next(iter(remote))["n"].value) == local, graph
    project = {graph for graph in named_graphs(virtuoso_built) if graph.startswith("https://w3id.org/adekg/")}
    assert project == {graph.value for graph in embedded.named_graphs()}


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_competency_question_answers_the_same_through_virtuoso(served, embedded_built, question):
    text = question.read_text(encoding="utf-8")
    ordered = "ORDER BY" in text.upper()
    embedded = rows_of(run_query(open_store(embedded_built), text), ordered)
    assert rows_of(ask_server(served, text), ordered) == embedded
