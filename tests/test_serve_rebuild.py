"""adekg serve notices seeds/ or ontology/ that differ from what the current store was built from."""
import shutil

import pytest

from graph.build import stale_inputs
from graph.store import current_generation

from .conftest import ONTOLOGY, adekg, edit_record, record_path, store_copy


@pytest.fixture
def built_from_copy(plain_store, tmp_path, seeds_copy):
    """A store built (without reasoning) from the seeds and ontology, with scratch copies of both.

    A copy of the session's plain store: a store records its inputs by content (graph.build.input_hashes), so the
    copies are what it was built from.
    """
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, ontology)
    return store_copy(plain_store, tmp_path / "store"), seeds_copy, ontology


def test_stale_inputs_names_the_files_that_differ(built_from_copy, tmp_path):
    store_path, seeds, ontology = built_from_copy
    assert stale_inputs(store_path, seeds, ontology) is None
    assert stale_inputs(tmp_path / "elsewhere", seeds, ontology) == "there is no store yet"

    edited = edit_record(seeds, "001", lambda data: data["patient"].update(age_years=71))
    (seeds / "notes.txt").write_text("a new file\n", encoding="utf-8")
    reason = stale_inputs(store_path, seeds, ontology)
    assert str(seeds) in reason and f"{edited.name} changed" in reason and "notes.txt added" in reason
    assert str(ontology) not in reason

    (seeds / "notes.txt").unlink()
    shapes = ontology / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    reason = stale_inputs(store_path, seeds, ontology)
    assert f"{ontology} differs" in reason and "shapes.ttl changed" in reason and "notes.txt" not in reason


def test_serve_with_changed_seeds_rebuilds_and_says_why(built_from_copy):
    store_path, seeds, ontology = built_from_copy
    before = current_generation(store_path)
    text = next(seeds.glob("000_*.txt"))  # a change the rebuild must reject: the quote no longer matches
    text.write_text(text.read_text(encoding="utf-8").replace("(1366 units/L)", "(1367 units/L)"), encoding="utf-8")

    result = adekg("serve", "--store", str(store_path), "--seeds", str(seeds), "--ontology", str(ontology),
                   "--port", "9")

    lines = result.stderr.strip().splitlines()
    said = [line for line in lines if line.startswith("adekg serve: building")]
    assert len(said) == 1 and str(seeds) in said[0] and f"{text.name} changed" in said[0], result.stderr
    assert result.returncode == 1 and "quote not found" in lines[-1] and record_path(seeds, "000").name in lines[-1]
    assert current_generation(store_path) == before  # the old store is kept, and not served


@pytest.mark.slow
def test_serve_with_the_seeds_it_was_built_from_serves_without_rebuilding(built_from_copy):
    from .test_protocol_live import live_server
    store_path, seeds, ontology = built_from_copy
    before = current_generation(store_path)
    with live_server(store_path, "--workers", "1", "--seeds", str(seeds), "--ontology", str(ontology)):
        assert current_generation(store_path) == before


def test_a_store_that_does_not_record_its_inputs_is_stale_only_if_files_are_newer(tmp_path, seeds_copy):
    import os
    import time
    from .test_store import write_small_store
    store_path = tmp_path / "store"
    write_small_store(store_path)  # a plain pyoxigraph folder, as older layouts and benchmarks make
    assert stale_inputs(store_path, seeds_copy, ONTOLOGY) is None
    edited = record_path(seeds_copy, "002")
    later = time.time() + 60
    os.utime(edited, (later, later))
    reason = stale_inputs(store_path, seeds_copy, ONTOLOGY)
    assert f"{seeds_copy} has files newer than the store ({edited.name})" == reason
