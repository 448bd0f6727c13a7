"""What `adekg serve --store URL` reads from an external store while a write is under way (server/remote.py).

The external store is played by an in-memory Oxigraph store behind a fake `post`: it answers the protocol
request it is sent, with the dataset its default-graph-uri and named-graph-uri fields name, and otherwise with the
union of all its graphs as its default graph, as Virtuoso does. tests/test_virtuoso.py does the same against a
real Virtuoso in CI.
"""
from __future__ import annotations

import pytest
from pyoxigraph import NamedNode, Quad, QueryResultsFormat, QueryTriples, RdfFormat, Store

from graph.remote_store import STAGING as BUILD_STAGING, STAGING_OF, STAGING_REGISTRY as BUILD_REGISTRY
from server import remote
from server.sparql import served_build

QUARTER = "https://w3id.org/adekg/graph/faers/2025Q1"
STAGED = f"{remote.STAGING}0a1b2c:{QUARTER}"
P = NamedNode("https://example.org/p")


def stage(backing: Store, subject: str) -> None:
    """What a write under way leaves in the store: a triple in its staging graph, and that graph registered."""
    backing.add(quad(subject, STAGED))
    backing.add(Quad(NamedNode(STAGED), NamedNode(STAGING_OF), NamedNode(QUARTER), NamedNode(remote.STAGING_REGISTRY)))


def quad(subject: str, graph: str) -> Quad:
    """One triple `<subject> ex:p "x"` in a graph."""
    from pyoxigraph import Literal
    return Quad(NamedNode(f"https://example.org/{subject}"), P, Literal("x"), NamedNode(graph))


@pytest.fixture
def external(monkeypatch):
    """A RemoteStore whose requests an in-memory store answers; (remote store, backing store, requests sent)."""
    backing, sent = Store(), []

    def post(self, fields, accept):
        sent.append(fields)
        query = dict(fields)["query"]
        default = [NamedNode(value) for name, value in fields if name == "default-graph-uri"]
        named = [NamedNode(value) for name, value in fields if name == "named-graph-uri"]
        if default or named:
            dataset = {"default_graph": default, "named_graphs": named}
        else:  # the query's own FROM (this fake's queries write it so), else the union of all graphs
            dataset = {} if " FROM <" in query else {"use_default_graph_as_union": True}
        results = backing.query(query, **dataset)
        if isinstance(results, QueryTriples):
            return "application/n-triples", results.serialize(format=RdfFormat.N_TRIPLES)
        return "application/sparql-results+xml", results.serialize(format=QueryResultsFormat.XML)

    monkeypatch.setattr(remote.RemoteStore, "post", post)
    backing.add(quad("published", QUARTER))
    return remote.RemoteStore("http://127.0.0.1:9/sparql", timeout=5, max_bytes=2**20), backing, sent


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The workers' monotonic clock, moved by hand: clock[0] += remote.REGISTRY_TTL_SECONDS is the next look."""
    now = [100.0]
    monkeypatch.setattr(remote.time, "monotonic", lambda: now[0])
    return now


def subjects(results) -> list[str]:
    """The ?s values of a SELECT, sorted."""
    return sorted(row["s"].value for row in results)


def test_the_server_and_the_writer_agree_on_the_staging_prefix():
    assert (remote.STAGING, remote.STAGING_REGISTRY) == (BUILD_STAGING, BUILD_REGISTRY)


def test_a_staging_graph_is_not_in_the_answers_of_a_query_that_names_no_dataset(external):
    store, backing, _ = external
    stage(backing, "half-written")
    assert subjects(store.query("SELECT ?s WHERE { ?s ?p ?o }")) == ["https://example.org/published"]
    graphs = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [row["g"].value for row in graphs] == [QUARTER]
    assert [graph.value for graph in store.named_graphs()] == [QUARTER]
    assert not store.contains_named_graph(NamedNode(STAGED))
    assert [quad.subject.value for quad in store.quads_for_pattern(None, P, None)] == ["https://example.org/published"]
    assert len(store.query("CONSTRUCT WHERE { ?s ?p ?o }")) == 1
    assert not store.query("ASK { <https://example.org/half-written> ?p ?o }")


def test_a_dataset_the_query_or_the_client_names_is_asked_as_named(external):
    store, backing, sent = external
    stage(backing, "half-written")
    named = subjects(store.query(f"SELECT ?s FROM <{STAGED}> WHERE {{ ?s ?p ?o }}"))
    assert named == ["https://example.org/half-written"]
    assert [name for name, _ in sent[-1]] == ["query"]  # the query's own FROM stands: no dataset added
    given = store.query("SELECT ?s WHERE { ?s ?p ?o }", default_graph=[NamedNode(STAGED)])
    assert subjects(given) == ["https://example.org/half-written"]


def test_a_comment_or_a_string_saying_from_does_not_count_as_a_dataset(external):
    store, backing, _ = external
    stage(backing, "half-written")
    text = 'PREFIX ex: <https://example.org/from#> SELECT ?s WHERE { ?s ?p ?o FILTER(?o != "FROM x") } # FROM <g>'
    assert subjects(store.query(text)) == ["https://example.org/published"]


def test_without_staging_graphs_a_query_goes_out_as_it_came(external):
    store, _, sent = external
    assert subjects(store.query("SELECT ?s WHERE { ?s ?p ?o }")) == ["https://example.org/published"]
    assert [name for name, _ in sent[-1]] == ["query"]  # the store's own union: the same answer, and faster


def test_the_registry_is_looked_at_once_an_interval_and_the_graphs_listed_once_a_write(external, clock):
    store, backing, sent = external
    stage(backing, "half-written")
    assert subjects(store.query("SELECT ?s WHERE { ?s ?p ?o }")) == ["https://example.org/published"]
    assert len(sent) == 3  # the registry looked at, the graphs listed, the query asked of them
    for _ in range(3):
        store.query("SELECT ?s WHERE { ?s ?p ?o }")
    assert len(sent) == 6  # within the interval: the query alone
    clock[0] += remote.REGISTRY_TTL_SECONDS
    store.query("SELECT ?s WHERE { ?s ?p ?o }")
    assert len(sent) == 8  # the registry looked at again, unchanged: the graphs are not listed again
    backing.remove_graph(NamedNode(STAGED))  # the write ends: its graph swapped in, its registration removed
    backing.remove_graph(NamedNode(remote.STAGING_REGISTRY))
    backing.add(quad("half-written", QUARTER))
    clock[0] += remote.REGISTRY_TTL_SECONDS
    assert subjects(store.query("SELECT ?s WHERE { ?s ?p ?o }")) == ["https://example.org/half-written",
                                                                       "https://example.org/published"]
    assert [name for name, _ in sent[-1]] == ["query"]


def test_a_store_with_nothing_but_staging_graphs_answers_empty(external):
    store, backing, _ = external
    backing.remove_graph(NamedNode(QUARTER))
    stage(backing, "half-written")
    assert list(store.query("SELECT ?s WHERE { ?s ?p ?o }")) == []
    assert list(store.named_graphs()) == []


def test_answers_cached_before_or_during_a_write_are_not_served_after_it(external, clock):
    store, backing, _ = external
    extensions = {"adekg_store": store, "adekg_build": "memory-1"}
    before = served_build(extensions)
    stage(backing, "half-written")
    assert served_build(extensions) == before  # within the interval: not looked at yet
    clock[0] += remote.REGISTRY_TTL_SECONDS
    during = served_build(extensions)
    backing.remove_graph(NamedNode(STAGED))
    backing.remove_graph(NamedNode(remote.STAGING_REGISTRY))
    clock[0] += remote.REGISTRY_TTL_SECONDS
    after = served_build(extensions)
    assert len({before, during, after}) == 3 and all(build.startswith("memory-1") for build in (before, during, after))
    assert served_build({"adekg_store": Store(), "adekg_build": "memory-1"}) == "memory-1"  # the embedded store


def test_a_store_that_does_not_answer_fails_the_query_not_the_etag(monkeypatch):

    def post(self, fields, accept):
        raise RuntimeError("the external store did not answer (Connection refused)")

    monkeypatch.setattr(remote.RemoteStore, "post", post)
    store = remote.RemoteStore("http://127.0.0.1:9/sparql", timeout=5, max_bytes=2**20)
    assert served_build({"adekg_store": store, "adekg_build": "memory-1"}) == "memory-1+0"
    with pytest.raises(RuntimeError, match="did not answer"):
        store.query("SELECT * WHERE { ?s ?p ?o }")


def test_a_write_that_came_and_went_between_two_looks_still_changes_the_build(external, clock):
    # No staging graph is ever seen: the write's new activity in graph:build is what tells.
    store, backing, _ = external
    extensions = {"adekg_store": store, "adekg_build": "memory-1"}
    before = served_build(extensions)
    backing.add(Quad(NamedNode("https://w3id.org/adekg/build/faers-import-2025Q2"),
                     NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                     NamedNode("http://www.w3.org/ns/prov#Activity"), NamedNode(remote.BUILD_GRAPH)))
    clock[0] += remote.REGISTRY_TTL_SECONDS
    after = served_build(extensions)
    assert after != before
    clock[0] += remote.REGISTRY_TTL_SECONDS
    assert served_build(extensions) == after  # looked at again, nothing new: the same build
