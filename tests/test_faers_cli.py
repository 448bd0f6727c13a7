"""The FAERS and load commands through the CLI (in process): new generations, nothing lost, bad extracts refused."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from graph.store import current_generation, open_store

from .conftest import ONTOLOGY, SEEDS, adekg_in_process, select, store_copy
from .test_faers import TINY

FAERS_GRAPH = "https://w3id.org/adekg/graph/faers/2024Q1"


@pytest.fixture
def store_path(plain_store, tmp_path) -> Path:
    """A copy of the seeds built without reasoning."""
    return store_copy(plain_store, tmp_path / "store")


def count(store_path: Path, query: str) -> int:
    """The single integer a COUNT query answers."""
    return int(select(open_store(store_path), query)[0]["n"])


def test_import_then_rebuild_keeps_the_quarter_and_signals(store_path, tmp_path):
    extract = tmp_path / "tiny"
    shutil.copytree(TINY, extract)
    before = current_generation(store_path)
    result = adekg_in_process("import-faers", str(extract), "--store", str(store_path), "--max-bad-fraction", "0.5",
                              "--report", str(tmp_path / "report.json"))
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert (written["quarter"], written["reports_imported"], written["malformed_rows_skipped"]) == ("2024Q1", 3, 4)
    assert {"name": "MYSTERY HERB", "rows": 1} in written["unmatched_drug_names"]
    assert [(row["file"], row["line"]) for row in written["malformed_rows"] if row["problem"].startswith("role_cod 'XX'")] \
        == [("DRUG24Q1.txt", 10)] and len(written["malformed_rows"]) == 4
    assert "3 reports imported, 1 older case versions and 1 reports of deleted cases dropped, 4 malformed rows" \
        in result.stderr
    assert "skipped DRUG24Q1.txt:10: role_cod 'XX'" in result.stderr
    assert current_generation(store_path) != before
    reports = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{FAERS_GRAPH}> {{ ?r a ade:SpontaneousReport }} }}"
    assert count(store_path, reports) == 3
    rebuilt = adekg_in_process("build", "--no-reason", "-q", "--store", str(store_path), "--seeds", str(SEEDS),
                    "--ontology", str(ONTOLOGY))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert count(store_path, reports) == 3
    assert count(store_path, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{FAERS_GRAPH}> prov:wasGeneratedBy ?a . "
                             f"?a ade:reportsImported 3 }}") == 1
    assert count(store_path, "SELECT (COUNT(*) AS ?n) WHERE { ?p a ade:Patient ; ade:ageInYears ?age . "
                             "?c a ade:CaseReport ; ade:describesPatient ?p }") == 3


def test_corrupt_extract_leaves_the_store_as_it_was(store_path, tmp_path):
    extract = tmp_path / "broken"
    shutil.copytree(TINY, extract)
    (extract / "ASCII" / "REAC24Q1.txt").unlink()
    before = current_generation(store_path)
    result = adekg_in_process("import-faers", str(extract), "--store", str(store_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"adekg: {extract}: no REAC table (a file named REACyyQn.txt)"]
    assert current_generation(store_path) == before
    too_many = adekg_in_process("import-faers", str(TINY), "--store", str(store_path))
    assert too_many.returncode == 1 and "DEMO24Q1.txt: line 7: 4 of 29 rows are malformed" in too_many.stderr
    assert current_generation(store_path) == before
    assert not any(path.name != before.name for path in (store_path / "generations").iterdir())


def test_load_rdf_into_a_named_graph_with_provenance(store_path, tmp_path):
    data = tmp_path / "mine.ttl"
    data.write_text("@prefix ex: <http://example.org/> . ex:a ex:b ex:c . ex:a ex:b ex:d .", encoding="utf-8")
    graph = "http://example.org/my-graph"
    result = adekg_in_process("load", str(data), "--graph", graph, "--store", str(store_path))
    assert result.returncode == 0, result.stderr
    assert count(store_path, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == 2
    assert count(store_path, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{graph}> prov:wasDerivedFrom [ ade:fileName 'mine.ttl' ; "
                             f"ade:sha256 ?sha ] }}") == 1
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .", encoding="utf-8")
    refused = adekg_in_process("load", str(bad), "--graph", graph, "--store", str(store_path))
    assert refused.returncode == 1 and "bad.ttl: not valid Turtle" in refused.stderr and "line 2" in refused.stderr
    assert count(store_path, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == 2
    own = adekg_in_process("load", str(data), "--graph", "https://w3id.org/adekg/graph/inferred",
                           "--store", str(store_path))
    assert own.returncode == 1 and "one of adekg's own graphs" in own.stderr


def test_synth_faers_writes_an_extract_the_import_reads(tmp_path, store_path):
    out = tmp_path / "synth"
    result = adekg_in_process("synth-faers", "--reports", "300", "--out", str(out), "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "bortezomib/carfilzomib/ixazomib x Thrombotic microangiopathy" in result.stderr
    imported = adekg_in_process("import-faers", str(out), "--store", str(store_path))
    assert imported.returncode == 0, imported.stderr
    assert count(store_path, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?r a ade:SpontaneousReport ; ade:faersCaseId ?c }") \
        >= 290


def test_truncated_table_refused_with_file_and_line(store_path, tmp_path):
    extract = tmp_path / "truncated"
    shutil.copytree(Path(__file__).resolve().parent / "faers" / "cq", extract)
    reac = extract / "ASCII" / "REAC25Q1.txt"
    content = reac.read_bytes()
    reac.write_bytes(content[:content.rindex(b"$", 0, len(content) - 4)])  # cut inside the last row
    lines = reac.read_bytes().count(b"\n") + 1
    before = current_generation(store_path)
    # One cut row of about 120 is within the default 1 %; with no malformed row allowed the extract is refused.
    result = adekg_in_process("import-faers", str(extract), "--store", str(store_path), "--max-bad-fraction", "0")
    assert result.returncode == 1
    assert f"REAC25Q1.txt: line {lines}: 1 of " in result.stderr and "2 fields, the header has" in result.stderr, \
        result.stderr
    assert current_generation(store_path) == before
    assert [path.name for path in (store_path / "generations").iterdir()] == [before.name]
