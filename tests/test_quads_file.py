"""`adekg import-faers --to-file`: the quarter as N-Quads for a store's own bulk loader, the same graph as an import."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store

from graph.errors import StoreError
from graph.faers import ExtractError
from graph.faers_import import import_faers
from graph.faers_mapping import quarter_graph
from graph.signals_tally import load as load_tally
from graph.store import current_generation, derive_generation, open_store
from graph.terms import BUILD_GRAPH, PROV

from .conftest import ONTOLOGY, adekg_in_process, store_copy
from .test_faers import TINY

QUARTER = NamedNode(quarter_graph("2024Q1"))


@pytest.fixture
def store_path(plain_store, tmp_path) -> Path:
    """A copy of the seeds built without reasoning."""
    return store_copy(plain_store, tmp_path / "store")


def graph_triples(store, graph: NamedNode) -> set:
    """The triples of one named graph."""
    return {quad.triple for quad in store.quads_for_pattern(None, None, None, graph)}


def generated_by(store, graph: NamedNode) -> set[str]:
    """The import activities graph:build says generated `graph`."""
    return {quad.object.value for quad in store.quads_for_pattern(graph, NamedNode(PROV + "wasGeneratedBy"), None,
                                                                   NamedNode(BUILD_GRAPH))}


def test_the_file_loaded_into_the_store_equals_the_import_into_it(store_path, tmp_path):
    imported = store_copy(store_path, tmp_path / "imported")
    import_faers(imported, TINY, ONTOLOGY, max_bad_fraction=0.5)
    before = current_generation(store_path)
    target = tmp_path / "out" / "2024Q1.nq"
    target.parent.mkdir()
    result = adekg_in_process("import-faers", str(TINY), "--store", str(store_path), "--max-bad-fraction", "0.5",
                              "--to-file", str(target), "--tallies", str(tmp_path / "tallies"))
    assert result.returncode == 0, result.stderr
    assert "3 reports imported" in result.stderr and str(target) in result.stderr
    assert current_generation(store_path) == before  # the store was only read
    assert [path.name for path in target.parent.iterdir()] == ["2024Q1.nq"]  # no temporary file left

    file_store = Store()
    file_store.bulk_load(path=str(target), format=RdfFormat.N_QUADS)
    assert set(file_store.named_graphs()) == {QUARTER, NamedNode(BUILD_GRAPH)}
    expected = graph_triples(open_store(imported), QUARTER)
    assert len(expected) > 100 and graph_triples(file_store, QUARTER) == expected

    derive_generation(store_path, lambda store: store.bulk_load(path=str(target), format=RdfFormat.N_QUADS))
    loaded = open_store(store_path)
    assert graph_triples(loaded, QUARTER) == expected
    [activity] = generated_by(loaded, QUARTER)  # the file carried its provenance: the tally now holds
    tally = load_tally(tmp_path / "tallies", QUARTER.value, activity)
    assert tally is not None and tally.counts.total == 3


def test_a_gz_name_writes_gzip(store_path, tmp_path):
    plain, packed = tmp_path / "q.nq", tmp_path / "q.nq.gz"
    for target in (plain, packed):
        import_faers(store_path, TINY, ONTOLOGY, max_bad_fraction=0.5, signals=False, to_file=target)
    lines = gzip.decompress(packed.read_bytes()).splitlines()
    assert len(lines) > 100 and lines[0].endswith(f"<{QUARTER.value}> .".encode())
    # the same quads but for the import activity's name and times, which each run makes anew
    assert len(lines) == len(plain.read_bytes().splitlines())


def test_a_quarter_the_store_holds_is_refused_and_no_file_is_left(store_path, tmp_path):
    import_faers(store_path, TINY, ONTOLOGY, max_bad_fraction=0.5)
    target = tmp_path / "q.nq"
    with pytest.raises(StoreError, match=f"already holds {QUARTER.value}: drop it .*DROP SILENT GRAPH"):
        import_faers(store_path, TINY, ONTOLOGY, max_bad_fraction=0.5, to_file=target)
    assert list(tmp_path.glob("*q.nq*")) == []


def test_a_corrupt_extract_leaves_no_file(store_path, tmp_path):
    target = tmp_path / "q.nq"
    with pytest.raises(ExtractError, match="4 of 29 rows are malformed"):
        import_faers(store_path, TINY, ONTOLOGY, to_file=target)
    assert list(tmp_path.glob("*q.nq*")) == []
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    (broken / "ASCII" / "REAC24Q1.txt").unlink()
    result = adekg_in_process("import-faers", str(broken), "--store", str(store_path), "--to-file", str(target))
    assert result.returncode == 1 and "no REAC table" in result.stderr and not target.exists()
