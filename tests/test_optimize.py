"""`adekg optimize`: a compacted copy of the current generation, with exactly the same quads."""
from __future__ import annotations

import shutil
from pathlib import Path

from pyoxigraph import RdfFormat

from .conftest import ONTOLOGY, adekg_in_process
from graph.faers_import import import_faers
from graph.signals import update_signals
from graph.store import current_generation, open_store

EXTRACT = Path(__file__).resolve().parent / "faers" / "cq"  # the hand-checkable extract


def canonical_quads(store_path) -> list[bytes]:
    """Every quad of the current generation as sorted N-Quads lines (no blank nodes are written by these stages)."""
    return sorted(open_store(store_path).dump(format=RdfFormat.N_QUADS).splitlines())


def test_optimize_publishes_a_new_generation_with_the_same_quads(built_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(built_store, store, symlinks=True)
    import_faers(store, EXTRACT, ONTOLOGY, signals=False)
    update_signals(store)  # the generation `adekg signals` leaves uncompacted
    before, quads = current_generation(store), canonical_quads(store)

    result = adekg_in_process("optimize", "--store", str(store))

    assert result.returncode == 0, result.stderr
    assert current_generation(store) != before
    assert canonical_quads(store) == quads
    assert any(b"/graph/signals>" in line for line in quads)  # the signals are among what was carried


def test_optimize_refuses_an_external_store_without_writing():
    result = adekg_in_process("optimize", "--store", "http://127.0.0.1:9/sparql")

    assert result.returncode == 1
    assert "optimize compacts the embedded store" in result.stderr
