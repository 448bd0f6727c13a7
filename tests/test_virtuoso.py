"""The external-store backend against a real Virtuoso Open Source (Debian's virtuoso-opensource).

A Virtuoso server is started on 127.0.0.1 (random free ports, a temporary database folder and ini file, foreground
mode, killed at the end); the seeds (with reasoning) and a synthetic FAERS extract are built into it with the same
functions `adekg build` and `adekg import-faers` call; every competency question is then asked through
`adekg serve --store URL` and must answer what the embedded store answers for the same data.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QueryBoolean, QueryResultsFormat, RdfFormat, Triple, parse_query_results

from graph.build import Progress, build
from graph.faers_import import import_faers
from graph.faers_synth import ontology_drug_keys, synthesize
from graph.faers import ExtractError
from graph.rdf_load import load_into_store
from graph import faers_import, remote_store, signals
from graph.errors import StoreError
from graph.remote_store import UPDATE_CHUNK_TRIPLES, ask, construct, endpoint_from, graph_sizes, replace_graphs
from graph.signals import SIGNALS_GRAPH, update_signals
from graph.store import open_store, run_query, shorten
from graph.terms import PREFIXES

from .conftest import ONTOLOGY, ROOT, SEEDS
from .processes import dying_with_the_tests

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
def virtuoso_process(tmp_path_factory):
    """A Virtuoso server starting on 127.0.0.1 with a fresh database (it takes ~15 s: asked for first, waited for
    last); (process, SQL port, /sparql URL)."""
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    log = open(folder / "stdout.log", "wb")  # noqa: SIM115 - closed at the end of the fixture
    process = subprocess.Popen(dying_with_the_tests([VIRTUOSO, "-f", "-c", str(folder / "virtuoso.ini")]), cwd=folder,
                               stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, sql_port, f"http://127.0.0.1:{http_port}/sparql"
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="module")
def virtuoso(virtuoso_process):
    """The Endpoint of the Virtuoso server's /sparql, once it answers and lets the test write."""
    process, sql_port, url = virtuoso_process
    wait_for(url + "?query=" + urllib.parse.quote("ASK {}"), 120, process)
    subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={GRANTS}"], check=True,
                   capture_output=True, timeout=60)
    return endpoint_from(url)


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """A synthetic FAERS extract of 200 reports (what `adekg synth-faers --reports 200` writes)."""
    folder = tmp_path_factory.mktemp("faers-200")
    synthesize(folder, 200, ontology_drug_keys(ONTOLOGY), 1, "2025Q1")
    return folder


@pytest.fixture(scope="module")
def virtuoso_built(virtuoso, extract, reasoner_cache, tmp_path_factory):
    """The seeds built into Virtuoso (with reasoning), then the extract imported with its signals (its tally kept
    in `virtuoso_tallies`), streamed: the import may not copy the store's graphs (a copy fails it)."""
    build(virtuoso, SEEDS, ONTOLOGY, Progress(0), reasoner_cache=reasoner_cache)

    def copy_refused(*_args, **_kwargs):
        raise AssertionError("a FAERS import copied the external store")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(remote_store, "snapshot", copy_refused)
        import_faers(virtuoso, extract, ONTOLOGY, tallies=tmp_path_factory.getbasetemp() / "virtuoso-tallies")
    return virtuoso


@pytest.fixture(scope="module")
def virtuoso_tallies(virtuoso_built, tmp_path_factory) -> Path:
    """Where the import into Virtuoso kept its tally."""
    return tmp_path_factory.getbasetemp() / "virtuoso-tallies"


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
    process = subprocess.Popen(dying_with_the_tests([sys.executable, "-m", "graph.cli", "-q", "serve", "--store",
                                                     virtuoso_built.query, "--port", str(port), "--workers", "2"]),
                               cwd=ROOT, stdout=log,
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


INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
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


def test_build_and_import_write_the_same_graphs_as_the_embedded_store(virtuoso_process, embedded_built,
                                                                      virtuoso_built):
    embedded = open_store(embedded_built)
    local = {graph.value: sum(1 for _ in embedded.quads_for_pattern(None, None, None, graph))
             for graph in embedded.named_graphs()}
    remote = {graph: size for graph, size in graph_sizes(virtuoso_built).items()
              if graph.startswith("https://w3id.org/adekg/")}
    assert remote == local


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_competency_question_answers_the_same_through_virtuoso(served, embedded_built, question):
    text = question.read_text(encoding="utf-8")
    ordered = "ORDER BY" in text.upper()
    embedded = rows_of(run_query(open_store(embedded_built), text), ordered)
    assert rows_of(ask_server(served, text), ordered) == embedded


def test_the_served_endpoint_keeps_its_guards_before_the_store(served, virtuoso_built):
    before = graph_sizes(virtuoso_built)
    refusals = [("update", "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }", 403),
                ("query", "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }", 403),  # Virtuoso would run it
                ("query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 403),
                ("query", "SELECT * WHERE { ?s ?p }", 400)]  # malformed: answered by the endpoint, not the store
    for field, text, status in refusals:
        body = urllib.parse.urlencode({field: text}).encode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(served, data=body, method="POST"), timeout=60)
        assert refused.value.code == status, text
        assert "Virtuoso" not in refused.value.read().decode(), text
    assert graph_sizes(virtuoso_built) == before


def test_a_write_under_way_is_not_seen_through_the_served_endpoint(served, virtuoso_built):
    target = "https://w3id.org/adekg/graph/loaded/under-way"
    registered = f"ASK {{ GRAPH <{remote_store.STAGING_REGISTRY}> {{ ?s ?p ?o }} }}"
    writes = remote_store.StreamedWrites(virtuoso_built)
    try:
        writes.bulk_load(b'<urn:ex:half> <urn:ex:p> "x" .\n', RdfFormat.N_TRIPLES, to_graph=NamedNode(target))
        assert bool(ask(virtuoso_built, registered))
        time.sleep(1.1)  # past the served worker's look at the registry (server/remote.py REGISTRY_TTL_SECONDS)
        assert list(ask_server(served, "SELECT ?o WHERE { <urn:ex:half> <urn:ex:p> ?o }")) == []
        assert list(ask_server(served, "SELECT ?g WHERE { GRAPH ?g { <urn:ex:half> ?p ?o } }")) == []
        assert list(ask_server(served, "SELECT ?s WHERE { ?s a ade:SpontaneousReport } LIMIT 1"))  # the rest is seen
        named = ask_server(served, f"SELECT ?o FROM <{writes.staged[target]}> WHERE {{ <urn:ex:half> <urn:ex:p> ?o }}")
        assert [row["o"].value for row in named] == ["x"]
        writes.commit()
        assert not bool(ask(virtuoso_built, registered))
        time.sleep(1.1)
        assert [row["o"].value for row in ask_server(served, "SELECT ?o WHERE { <urn:ex:half> <urn:ex:p> ?o }")] == ["x"]
    finally:
        writes.discard()
        replace_graphs(virtuoso_built, {target: []})
    assert not bool(ask(virtuoso_built, registered))


def test_a_refused_import_leaves_the_store_as_it_was(virtuoso_built):
    before = graph_sizes(virtuoso_built)
    with pytest.raises(ExtractError, match="rows are malformed") as refused:  # the tiny extract: 4 malformed rows of 29
        import_faers(virtuoso_built, ROOT / "tests" / "faers" / "tiny", ONTOLOGY)
    assert refused.value.file.endswith(".txt") and refused.value.place.startswith("line ")
    assert graph_sizes(virtuoso_built) == before  # no quarter graph, no signals change, no staging graph left


def graph_terms(triples) -> set[tuple[str, str, str]]:
    """Triples as the comparison sees them (numbers by value: Virtuoso writes 1.50 as 1.5)."""
    return {(value(t.subject), value(t.predicate), value(t.object)) for t in triples}


QUARTER = "https://w3id.org/adekg/graph/faers/2025Q1"


def test_the_streamed_import_writes_the_quarter_graph_of_the_embedded_import(virtuoso_built, embedded_built):
    embedded = open_store(embedded_built)
    local = graph_terms(quad.triple for quad in embedded.quads_for_pattern(None, None, None, NamedNode(QUARTER)))
    remote = graph_terms(construct(virtuoso_built, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{QUARTER}> {{ ?s ?p ?o }} }}"))
    assert len(local) > 10_000 and remote == local


SIGNAL_FIGURES = f"""SELECT ?signal ?a ?n ?prr ?ic ?flag WHERE {{ GRAPH <{SIGNALS_GRAPH}> {{
  ?signal <https://w3id.org/adekg/ontology/reportsWithDrugAndEvent> ?a ;
          <https://w3id.org/adekg/ontology/reportsTotal> ?n ; <https://w3id.org/adekg/ontology/prr> ?prr ;
          <https://w3id.org/adekg/ontology/ic> ?ic ; <https://w3id.org/adekg/ontology/signalDetected> ?flag }} }}"""


def signal_figures(results) -> set[tuple[str, ...]]:
    """Each stored signal with its counts, PRR, IC and flag (booleans as true/false: Virtuoso may write 1/0)."""
    return {tuple({"1": "true", "0": "false"}.get(value(row[name]), value(row[name]))
                  for name in ("signal", "a", "n", "prr", "ic", "flag")) for row in results}


def test_signals_in_virtuoso_equal_the_embedded_ones_from_the_tally_or_from_the_store(virtuoso_built, embedded_built,
                                                                                       virtuoso_tallies, monkeypatch):
    expected = signal_figures(open_store(embedded_built).query(SIGNAL_FIGURES))
    assert len(expected) > 10
    assert signal_figures(remote_store.select(virtuoso_built, SIGNAL_FIGURES)) == expected  # after the import
    with monkeypatch.context() as patch:  # the import's tally, kept locally, holds: the reports are not read back
        patch.setattr(signals, "latest_reports", lambda *_: pytest.fail("read the reports despite the tally"))
        update_signals(virtuoso_built, tallies=virtuoso_tallies)
    assert signal_figures(remote_store.select(virtuoso_built, SIGNAL_FIGURES)) == expected
    reads = []
    monkeypatch.setattr(signals, "latest_reports", lambda store: reads.append(1) or latest_reports(store))
    update_signals(virtuoso_built)  # no tally: the reports are counted from the store, by predicate
    assert reads and signal_figures(remote_store.select(virtuoso_built, SIGNAL_FIGURES)) == expected


latest_reports = signals.latest_reports


def test_a_failure_mid_upload_leaves_the_old_quarter_graph_and_no_staging_graph(virtuoso_built, extract, monkeypatch):
    before = graph_sizes(virtuoso_built)
    old = graph_terms(construct(virtuoso_built, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{QUARTER}> {{ ?s ?p ?o }} }}"))
    post, sent = remote_store.post_ntriples, []

    def post_then_fail(endpoint, graph, data):
        sent.append(graph)
        if len(sent) == 4:
            raise StoreError("the connection was reset (simulated)")
        post(endpoint, graph, data)

    small = faers_import.ntriples_chunks
    monkeypatch.setattr(faers_import, "ntriples_chunks", lambda triples: small(triples, 1_000))
    monkeypatch.setattr(remote_store, "post_ntriples", post_then_fail)
    with pytest.raises(StoreError, match="simulated"):
        import_faers(virtuoso_built, extract, ONTOLOGY)
    assert all(graph.startswith(remote_store.STAGING) for graph in sent)  # three chunks went into staging
    assert graph_sizes(virtuoso_built) == before
    assert graph_terms(construct(virtuoso_built,
                                 f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{QUARTER}> {{ ?s ?p ?o }} }}")) == old


def test_load_puts_a_file_into_its_graph_with_provenance(virtuoso_built, tmp_path):
    data = tmp_path / "mine.ttl"
    data.write_text("<urn:ex:a> <urn:ex:p> 1, 2, 3 .\n")
    graph = "https://w3id.org/adekg/graph/loaded/mine"
    assert load_into_store(virtuoso_built, [data], graph) == 3
    assert graph_sizes(virtuoso_built)[graph] == 3
    described = ask(virtuoso_built, f"ASK {{ GRAPH <https://w3id.org/adekg/graph/build> {{ <{graph}> "
                                    "<http://www.w3.org/ns/prov#wasDerivedFrom> ?file } }")
    assert bool(described)


def test_without_gsp_graphs_go_in_pieces_by_sparql_update(virtuoso_built):
    endpoint = dataclasses.replace(virtuoso_built, gsp=None)
    graph = "https://w3id.org/adekg/graph/loaded/by-update"
    triples = [Triple(NamedNode(f"urn:ex:s{i}"), NamedNode("urn:ex:p"), Literal(str(i), datatype=INTEGER))
               for i in range(UPDATE_CHUNK_TRIPLES * 2 + 5)]  # three INSERT DATA requests
    replace_graphs(endpoint, {graph: triples})
    assert graph_sizes(virtuoso_built)[graph] == len(triples)
    replace_graphs(endpoint, {graph: []})  # an empty graph is dropped
    assert graph not in graph_sizes(virtuoso_built)


def test_importing_a_quarter_again_leaves_one_provenance_for_its_graph(virtuoso_built, extract, virtuoso_tallies):
    made_by = (f"SELECT ?activity WHERE {{ GRAPH <https://w3id.org/adekg/graph/build> {{ <{QUARTER}> "
               "<http://www.w3.org/ns/prov#wasGeneratedBy> ?activity } }")
    before = graph_terms(construct(virtuoso_built, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{QUARTER}> {{ ?s ?p ?o }} }}"))
    report = import_faers(virtuoso_built, extract, ONTOLOGY, signals=False, tallies=virtuoso_tallies)
    activities = [row["activity"].value for row in remote_store.select(virtuoso_built, made_by)]
    assert activities == [report.tally.activity]  # the second import's, not both
    assert graph_terms(construct(virtuoso_built,
                                 f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{QUARTER}> {{ ?s ?p ?o }} }}")) == before


def test_a_quads_file_goes_in_by_virtuosos_bulk_loader_and_its_tally_holds(virtuoso_process, virtuoso_built,
                                                                           embedded_built, extract, virtuoso_tallies,
                                                                           monkeypatch):
    """`import-faers --to-file`, then Virtuoso's own loader (ld_dir, rdf_loader_run) as docs/external-store.md says:
    the quarter graph of the streamed import, and the signals from the file's tally. (Last: it re-imports 2025Q1.)"""
    process, sql_port, _ = virtuoso_process
    folder = Path(os.readlink(f"/proc/{process.pid}/cwd"))  # in Virtuoso's DirsAllowed
    target = folder / "faers-2025Q1.nq"
    with pytest.raises(StoreError, match="already holds .*2025Q1: drop it") as refused:
        import_faers(virtuoso_built, extract, ONTOLOGY, tallies=virtuoso_tallies, to_file=target)
    assert not target.exists()
    remote_store.update(virtuoso_built, str(refused.value).split("(SPARQL Update: ", 1)[1].rsplit("), then", 1)[0])
    assert QUARTER not in graph_sizes(virtuoso_built)
    import_faers(virtuoso_built, extract, ONTOLOGY, tallies=virtuoso_tallies, to_file=target)
    loaded = subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba",
                             f"exec=ld_dir('{folder}', '{target.name}', 'urn:adekg:unused'); rdf_loader_run(); "
                             "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;"],
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0 and target.name not in loaded.stdout, loaded.stdout + loaded.stderr
    embedded = open_store(embedded_built)
    local = graph_terms(quad.triple for quad in embedded.quads_for_pattern(None, None, None, NamedNode(QUARTER)))
    remote = graph_terms(construct(virtuoso_built, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{QUARTER}> {{ ?s ?p ?o }} }}"))
    assert len(local) > 10_000 and remote == local
    expected = signal_figures(embedded.query(SIGNAL_FIGURES))
    monkeypatch.setattr(signals, "latest_reports", lambda *_: pytest.fail("read the reports despite the tally"))
    update_signals(virtuoso_built, tallies=virtuoso_tallies)
    assert signal_figures(remote_store.select(virtuoso_built, SIGNAL_FIGURES)) == expected


def test_the_case_and_signal_question_answers_the_same_with_a_linked_signal(served, virtuoso_built, embedded_built,
                                                                            virtuoso_tallies, tmp_path):
    """faers-cq-01 with data: the synthetic extract links no signal to the PI/TMA class risk (too few reports), so
    the hand-checkable extract goes in as a second quarter, into both stores; the served endpoint, which answered
    this question before, must follow the write (its cache too). (Last: it adds a quarter.)"""
    from .test_faers import shifted_quarter
    from .test_faers_competency import EXTRACT as CQ

    second = shifted_quarter(CQ, tmp_path / "cq", "2025Q2", [])
    question = QUERIES / "faers-cq-01-pi-tma-case-and-signal.rq"
    text = question.read_text(encoding="utf-8")
    ask_server(served, text)  # answered (and cached) before the write
    for store in (virtuoso_built, embedded_built):
        import_faers(store, second, ONTOLOGY, tallies=virtuoso_tallies if store is virtuoso_built else None)
    time.sleep(1.1)  # past the served worker's look at the staging registry (server/remote.py)
    embedded = rows_of(run_query(open_store(embedded_built), text), ordered=False)
    assert embedded[1] and embedded[1][0][0] == "ade:EstablishedClassEffect"
    direct = remote_store.select(virtuoso_built, "".join(f"PREFIX {n}: <{i}>\n" for n, i in PREFIXES.items()) + text)
    assert rows_of(direct, ordered=False) == embedded, "direct"
    assert rows_of(ask_server(served, text), ordered=False) == embedded
