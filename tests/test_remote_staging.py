"""Staging graphs on an external store after a failure, without a store: the requests are replaced by fakes."""
import pytest
from pyoxigraph import NamedNode, RdfFormat

from graph import remote_store
from graph.errors import StoreError

GRAPH = "https://w3id.org/adekg/graph/faers/2025Q1"
TRIPLE = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n"


def failing_swap(store_refuses_the_drop: bool, monkeypatch) -> tuple[StoreError, list[str]]:
    """Stage one chunk, let the swap fail as Virtuoso's SR325 does; return the error raised and the Updates sent."""
    sent = []

    def update(endpoint, text):
        sent.append(text)
        if text.startswith("MOVE"):
            raise StoreError("the external store answered 500 to POST: SR325: Transaction aborted")
        if text.startswith("DROP") and store_refuses_the_drop:
            raise StoreError("the external store answered 500 to POST: SR171: Transaction timed out")

    monkeypatch.setattr(remote_store, "update", update)
    monkeypatch.setattr(remote_store, "post_ntriples", lambda endpoint, graph, data: None)
    endpoint = remote_store.endpoint_from("http://127.0.0.1:9/sparql")

    def change(writes):
        writes.remove_graph(NamedNode(GRAPH))
        writes.bulk_load(TRIPLE, RdfFormat.N_TRIPLES, to_graph=NamedNode(GRAPH))

    with pytest.raises(StoreError) as raised:
        remote_store.streamed(endpoint, change)
    return raised.value, sent


def test_a_refused_clean_up_names_the_staging_graph_left_behind(monkeypatch):
    error, sent = failing_swap(True, monkeypatch)
    move = next(text for text in sent if text.startswith("MOVE"))
    staging = move.split("<")[1].split(">")[0]  # MOVE SILENT GRAPH <staging> TO GRAPH <target>
    assert sent[0] == (f"INSERT DATA {{ GRAPH <{remote_store.STAGING_REGISTRY}> {{\n"
                       f"<{staging}> <{remote_store.STAGING_OF}> <{GRAPH}> .\n}} }}")  # registered before it is used
    assert staging.startswith(remote_store.STAGING) and sent[-1] == (
        f"DROP SILENT GRAPH <{staging}> ;\n"
        f"DELETE WHERE {{ GRAPH <{remote_store.STAGING_REGISTRY}> {{ <{staging}> ?p ?o }} }}")
    assert "SR325" in str(error) and "SR171" in str(error)
    assert f"<{staging}>" in str(error) and "drop them by hand" in error.one_line()


def test_a_clean_up_that_works_leaves_the_error_as_it_was(monkeypatch):
    error, sent = failing_swap(False, monkeypatch)
    assert sent[-1].startswith("DROP SILENT GRAPH <urn:adekg:staging:")
    assert str(error) == "the external store answered 500 to POST: SR325: Transaction aborted"
