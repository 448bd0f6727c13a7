"""The SPARQL endpoint under `adekg serve` (on 127.0.0.1): timeouts, real clients, competency questions."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from graph.terms import INFERRED_GRAPH, PREFIXES
from tests.conftest import DOCUMENTS, SEEDS, record_path
from tests.processes import dying_with_the_tests
from tests.test_competency import QUESTIONS, cell, expected_rows

pytestmark = pytest.mark.slow  # starts servers
ROOT = Path(__file__).resolve().parent.parent
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body) of one request, errors included."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@contextmanager
def live_server(store: Path, *flags: str, start_timeout: float = 180):
    """`adekg serve` on a free 127.0.0.1 port in its own session; killed (whole group) at the end."""
    port = free_port()
    log = tempfile.TemporaryFile()  # a file, not a pipe: nobody reads while it runs, so a pipe could fill and stall it
    process = subprocess.Popen(dying_with_the_tests([sys.executable, "-m", "graph.cli", "-q", "serve", "--store",
                                                     str(store), "--port", str(port), *flags]),
                               cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_timeout
    try:
        while time.monotonic() < deadline:
            try:
                if http(base + "/sparql?query=ASK%7B%7D", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"adekg serve exited: {log.read().decode(errors='replace')}")
            time.sleep(0.1)
        else:
            raise RuntimeError(f"adekg serve did not answer within {start_timeout} s")
        yield base, process
    finally:
        stop_group(process)
        log.close()


def stop_group(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM the group of a process started in its own session; SIGKILL it if it outlives the grace period."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def sparql_json(base: str, query: str) -> dict:
    """The SPARQL JSON result of one query sent by GET."""
    status, _, body = http(base + "/sparql?" + urllib.parse.urlencode({"query": PROLOGUE + query}),
                           headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return json.loads(body)


def test_serve_builds_a_missing_store_first(tmp_path):
    store = tmp_path / "adekg-data" / "store"
    ages = sorted(yaml.safe_load(record_path(SEEDS, document).read_text(encoding="utf-8"))["patient"]["age_years"]
                  for document in DOCUMENTS)
    assert not store.exists()
    # the build (with HermiT on Java) runs before the server starts answering
    with live_server(store, "--workers", "1", start_timeout=240) as (base, _):
        assert (store / "current").is_symlink() and (store / "current" / "COMPLETE").is_file()
        count = sparql_json(base, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a ade:Patient }")
        assert int(count["results"]["bindings"][0]["n"]["value"]) == len(DOCUMENTS) == 3   # one patient a record
        rows = sparql_json(base, "SELECT ?age WHERE { ?p a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age")
        assert [int(row["age"]["value"]) for row in rows["results"]["bindings"]] == ages
        assert sparql_json(base, f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")["boolean"] is True


def children(pid: int) -> list[int]:
    """PIDs of a process's children (started by any of its threads)."""
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()]


def workers(front: int) -> set[int]:
    """PIDs of the query workers of `adekg serve` (forked by the fork server, a child of the front)."""
    servers = [pid for pid in children(front) if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return {pid for server in servers for pid in children(server)}


@pytest.fixture(scope="module")
def server(built_store):
    with live_server(built_store, "--workers", "2", "--timeout", "2") as (base, process):
        yield base, process


def test_runaway_query_is_stopped_while_others_are_served(server):
    base, process = server
    before = workers(process.pid)
    assert len(before) == 2
    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["explosive"] = http(base + "/sparql?" + urllib.parse.urlencode({"query": EXPLOSIVE}))
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    answered = []
    while thread.is_alive():
        started = time.monotonic()
        status, _, body = http(base + "/sparql?" + urllib.parse.urlencode(
            {"query": "SELECT (COUNT(*) AS ?n) { ?s a ?c }", "x": str(len(answered))}))
        answered.append((status, time.monotonic() - started))
    thread.join()
    status, headers, body = outcome["explosive"]
    assert status == 503 and headers["Content-Type"].startswith("text/plain")
    assert b"longer than the 2 s limit" in body and 1.9 < outcome["seconds"] < 4
    assert len(answered) >= 5 and all(code == 200 for code, _ in answered), answered
    # the worker that ran it is killed (stopping the query) and the pool starts a fresh one
    for _ in range(50):
        after = workers(process.pid)
        if len(after) == 2 and after != before:
            break
        time.sleep(0.1)
    assert len(after) == 2 and len(before - after) == 1
    gone = (before - after).pop()
    assert not Path(f"/proc/{gone}").exists()
    for _ in range(6):
        assert http(base + "/sparql?query=ASK%7B%7D")[0] == 200


def test_sparqlwrapper_in_each_result_format(server):
    from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper
    query = PROLOGUE + "SELECT ?age WHERE { ?p a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age"
    for result_format in (JSON, XML, CSV, TSV):
        client = SPARQLWrapper(server[0] + "/sparql")
        client.setQuery(query)
        client.setReturnFormat(result_format)
        result = client.query().convert()
        if result_format == JSON:
            ages = [b["age"]["value"] for b in result["results"]["bindings"]]
        elif result_format == XML:
            ages = [node.firstChild.firstChild.nodeValue for node in result.getElementsByTagName("binding")]
        else:
            ages = result.decode().split()[1:]
        assert ages == ["59", "70", "71"], result_format


def test_rdflib_sparqlstore(server):
    from rdflib import Literal, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    store = SPARQLStore(server[0] + "/sparql", returnFormat="json")
    rows = list(store.query(PROLOGUE + "SELECT ?p ?age WHERE { ?p ade:ageInYears ?age } ORDER BY ?age"))
    assert [row.age for row in rows] == [Literal(59), Literal(70), Literal(71)]
    assert store.query("ASK { ?s ?p ?o }").askAnswer is True
    # rdflib asks for RDF/XML graphs only with its default (XML) return format
    graph = SPARQLStore(server[0] + "/sparql").query(PROLOGUE + "CONSTRUCT WHERE { ?p a ade:Patient }").graph
    assert len(graph) == 3 and all(isinstance(s, URIRef) for s in graph.subjects())


def shorten(binding: dict | None) -> str:
    """The competency tests' compact form of a SPARQL JSON term."""
    if binding is None:
        return ""
    value = binding["value"]
    if binding["type"] == "uri":
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
            if value.startswith(namespace):
                return f"{prefix}:{value[len(namespace):]}"
        return f"<{value}>"
    return value


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_competency_question_over_http(server, question):
    text = question.read_text(encoding="utf-8")
    status, _, body = http(server[0] + "/sparql", data=(PROLOGUE + text).encode(),
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/sparql-results+json"})
    assert status == 200, body
    result = json.loads(body)
    header, expected = expected_rows(question)
    if "boolean" in result:
        assert [(str(result["boolean"]).lower(),)] == expected
        return
    assert result["head"]["vars"] == header
    actual = [tuple(cell(shorten(row.get(name))) for name in header) for row in result["results"]["bindings"]]
    if "ORDER BY" in text.upper():
        assert actual == expected
    else:
        assert sorted(actual) == sorted(expected)


LIVE_SERVER_THEN_WAIT = """
import sys, time
from pathlib import Path
from tests.test_protocol_live import live_server
with live_server(Path(sys.argv[1])) as (base, process):
    print(process.pid, flush=True)
    time.sleep(600)
"""


def session_members(session: int) -> list[int]:
    """The processes of one session (from /proc/PID/stat, field 6)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while being read
            continue
        if int(fields[3]) == session:
            members.append(int(stat.parent.name))
    return members


def test_a_server_the_tests_start_dies_with_a_killed_test_process(built_store):
    """A pytest killed by SIGKILL runs no clean-up; its servers, each in its own session, must still go."""
    tests = subprocess.Popen([sys.executable, "-c", LIVE_SERVER_THEN_WAIT, str(built_store)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        session = int(tests.stdout.readline())  # printed once the server answers: front, fork server, workers
        assert len(session_members(session)) >= 3
    finally:
        tests.kill()
        tests.wait()
    deadline = time.monotonic() + 20
    while session_members(session) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = session_members(session)
    for pid in left:  # not to leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} server processes outlived the killed test process"
