"""The build's content-addressed cache (graph/content_cache.py): a hit gives what the work gives, a changed input misses."""
import json
import shutil
from pathlib import Path

import pytest

from graph.build import Progress, validate
from graph.content_cache import read_result
from graph.errors import AdekgError
from graph.ontology_facts import derive_facts, ontology_facts
from graph.ontology import load_ontology_graph

from .conftest import ONTOLOGY, SEEDS, edit_record


def problems(seeds: Path, ontology: Path, cache: Path | None) -> list[str]:
    """The one-line problems `adekg validate` reports for these inputs (none when they pass)."""
    try:
        validate(seeds, ontology, Progress(0), cache_dir=cache)
    except AdekgError as error:
        return [problem.one_line() for problem in error.each()]
    return []


def kept(cache: Path, kind: str) -> list[Path]:
    """The cache's entries of one kind."""
    return sorted(cache.glob(f"{kind}-*.json"))


def too_old(data):
    data["patient"].update(age_years=150)  # passes the schema and the checks; the shapes allow at most 130


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory) -> Path:
    """A cache holding the project seeds' validation (each test works on a copy of it)."""
    cache = tmp_path_factory.mktemp("warm") / "cache"
    assert problems(SEEDS, ONTOLOGY, cache) == []
    assert len(kept(cache, "shacl")) == 1 and len(kept(cache, "ontology-facts")) == 1
    return cache


@pytest.fixture
def cache(warm_cache, tmp_path) -> Path:
    return Path(shutil.copytree(warm_cache, tmp_path / "cache"))


@pytest.fixture
def ontology_copy(tmp_path) -> Path:
    target = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, target)
    return target


def test_changed_data_misses_the_cache_and_a_hit_reports_what_the_work_does(seeds_copy, cache):
    assert problems(seeds_copy, ONTOLOGY, cache) == []   # the same content in another folder: a hit
    assert len(kept(cache, "shacl")) == 1
    edit_record(seeds_copy, "002", too_old)
    cached = problems(seeds_copy, ONTOLOGY, cache)
    assert any("SHACL violation" in line and "ageInYears" in line for line in cached), cached
    assert len(kept(cache, "shacl")) == 2
    assert problems(seeds_copy, ONTOLOGY, None) == cached   # no cache at all
    assert problems(seeds_copy, ONTOLOGY, cache) == cached  # read back
    assert len(kept(cache, "shacl")) == 2


def test_changed_shapes_miss_the_shacl_cache_but_not_the_ontology_facts(ontology_copy, cache):
    shapes = ontology_copy / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8").replace("sh:maxInclusive 130", "sh:minInclusive 200"),
                      encoding="utf-8")
    assert any("ageInYears" in line for line in problems(SEEDS, ontology_copy, cache))
    assert len(kept(cache, "shacl")) == 2 and len(kept(cache, "ontology-facts")) == 1


def test_a_changed_ontology_misses_the_facts(ontology_copy, cache):
    facts = ontology_facts(ontology_copy, cache)   # the same files in another folder: a hit
    assert facts == derive_facts(load_ontology_graph(ONTOLOGY), facts.digest)
    assert len(kept(cache, "ontology-facts")) == 1
    release = ontology_copy / "adekg.owl"
    header = '<owl:Ontology rdf:about="https://w3id.org/adekg/ontology">'
    release.write_text(release.read_text(encoding="utf-8").replace(
        header, header + '\n        <rdfs:comment xml:lang="en">one more statement</rdfs:comment>', 1), encoding="utf-8")
    changed = ontology_facts(ontology_copy, cache)
    assert changed.digest != facts.digest and changed.triples == facts.triples + 1
    assert len(kept(cache, "ontology-facts")) == 2


def test_a_damaged_entry_is_derived_again(cache):
    [entry] = kept(cache, "ontology-facts")
    expected = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text('{"result": {"triples": 1}}', encoding="utf-8")
    digest = entry.stem.removeprefix("ontology-facts-")
    assert ontology_facts(ONTOLOGY, cache).digest == digest
    assert json.loads(entry.read_text(encoding="utf-8")) == expected   # rewritten
    entry.write_text('{"result": {"half": ', encoding="utf-8")
    assert read_result(cache, "ontology-facts", digest) is None
