"""What a curator meets on the command line: unit kinds, every error in one run, `adekg terms`, runnable docs."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
import yaml

from graph.store import open_store
from graph.terms import CURIE_PREFIXES, DRUG, MECH, TEST
from graph.units import is_of_kind

from .conftest import ONTOLOGY, ROOT, adekg_in_process, edit_record, record_path, select, store_copy

COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?o ade:labTest ?test }"


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The `adekg: ...` lines of a run (with --quiet, stderr holds nothing else)."""
    return [line for line in result.stderr.splitlines() if line.startswith("adekg: ")]


def first_index(data: dict, section: str, **fields) -> int:
    """The index of the first item of a section whose fields have the given values."""
    return next(index for index, item in enumerate(data[section])
                if all(item.get(key) == value for key, value in fields.items()))


# --- units of the wrong kind ---------------------------------------------------------------------

@pytest.mark.parametrize("code, kind, fits", [
    ("/uL", "NCnc", True), ("10*9/L", "NCnc", True), ("{copies}/mL", "NCnc", True), ("mg/dL", "NCnc", False),
    ("g/dL", "MCnc", True), ("umol/L", "MCnc", False), ("mmol/L", "SCnc", True), ("mg/dL", "SCnc", False),
    ("U/L", "CCnc", True), ("ukat/L", "CCnc", True), ("g/L", "CCnc", False),
    ("mL/min", "VRat", True), ("mL/min/{1.73_m2}", "VRat", True), ("mL", "VRat", False),
    ("%", "NFr", True), ("{ratio}", "MRto", True), ("/uL", "NFr", False),
])
def test_unit_kind_is_decided_by_convertibility(code, kind, fits):
    assert is_of_kind(code, kind) is fits


def test_a_platelet_count_in_mg_per_dl_is_refused(seeds_copy):
    def wrong_kind(data):
        data["observations"][first_index(data, "observations", test="platelet-count")]["unit"] = "mg/dL"
    path = edit_record(seeds_copy, "000", wrong_kind)
    index = first_index(yaml.safe_load(path.read_text(encoding="utf-8")), "observations", test="platelet-count")

    result = adekg_in_process("--quiet", "validate", "--seeds", str(seeds_copy))

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert path.name in line and f"observations[{index}].unit (line " in line
    assert "'mg/dL'" in line and "mass concentration" in line
    assert "'platelet-count' measures a number concentration" in line


def test_a_reference_range_of_the_wrong_kind_is_refused(seeds_copy):
    def wrong_kind(data):
        observation = data["observations"][first_index(data, "observations", test="hemoglobin")]
        observation["reference_range"]["unit"] = "mmol/L"
    path = edit_record(seeds_copy, "002", wrong_kind)

    result = adekg_in_process("--quiet", "validate", "--seeds", str(seeds_copy))

    [line] = result.stderr.strip().splitlines()
    assert path.name in line and ".reference_range.unit" in line and "'mmol/L'" in line
    assert "'hemoglobin' measures a mass concentration" in line


def test_a_unit_on_a_test_that_declares_no_kind_is_refused(seeds_copy):
    def unit_on_a_qualitative_test(data):
        observation = data["observations"][first_index(data, "observations", test="direct-antiglobulin-test")]
        observation.update(value=1, unit="mg/dL")
    edit_record(seeds_copy, "000", unit_on_a_qualitative_test)

    result = adekg_in_process("--quiet", "validate", "--seeds", str(seeds_copy))

    [line] = result.stderr.strip().splitlines()
    assert "'direct-antiglobulin-test' declares no ade:quantityKind" in line


# --- every error of a run ------------------------------------------------------------------------

def three_mistakes(seeds_dir: Path) -> Path:
    """A wrong quote, a unit of the wrong kind and an unknown drug key, all in record 000."""
    def break_three(data):
        data["observations"][0]["quote"] = "a sentence that is not in the text"
        data["observations"][first_index(data, "observations", test="platelet-count")]["unit"] = "mg/dL"
        data["exposures"][0]["drug"] = "ixazomibb"
    return edit_record(seeds_dir, "000", break_three)


def test_three_mistakes_give_three_lines_in_one_run(seeds_copy):
    path = three_mistakes(seeds_copy)

    result = adekg_in_process("--quiet", "validate", "--seeds", str(seeds_copy))

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    assert all(line.startswith(f"adekg: {path}: ") for line in lines)
    assert any("observations[0].quote" in line and "quote not found" in line for line in lines)
    assert any("'mg/dL' is a mass concentration" in line for line in lines)
    assert any("exposures[0].drug" in line and "unknown drug key 'ixazomibb'" in line for line in lines)


def test_schema_alternatives_are_named_and_every_schema_error_is_reported(seeds_copy):
    def two_schema_mistakes(data):
        observation = data["observations"][0]
        for field in ("quote", "quotes"):
            observation.pop(field, None)
        data["patient"]["sex"] = 3
    path = edit_record(seeds_copy, "001", two_schema_mistakes)

    lines = error_lines(adekg_in_process("--quiet", "validate", "--seeds", str(seeds_copy)))

    assert len(lines) == 2, lines
    assert any(f"{path.name}: observations[0] (line " in line and "needs 'quote' or 'quotes'" in line
               for line in lines)
    assert any("patient.sex" in line and "3 is not one of" in line for line in lines)


def break_every_stage(seeds_dir: Path) -> dict[str, str]:
    """One or more mistakes for each check (schema, quotes, units, identifiers, SHACL) over three records."""
    def break_000(data):
        data["patient"]["age_years"] = "old"                       # schema: wrong type
        data["observations"][0]["quote"] = "not in the source text"  # quote
        data["observations"][0]["unit"] = "flurbs/dL"                # unit: not UCUM
        data["adverse_events"][0]["term"] = "HP:9999999"             # identifier
    edit_record(seeds_dir, "000", break_000)
    edit_record(seeds_dir, "001", lambda data: data["patient"].update(favourite_colour="blue"))  # schema
    edit_record(seeds_dir, "002", lambda data: data["patient"].update(age_years=150))  # SHACL only (max 130)
    return {"000": record_path(seeds_dir, "000").name, "001": record_path(seeds_dir, "001").name,
            "002": record_path(seeds_dir, "002").name}


def assert_every_stage_reported(result: subprocess.CompletedProcess, names: dict[str, str]) -> None:
    lines = error_lines(result)
    expected = [(names["000"], "patient.age_years", "wrong type"),
                (names["000"], "observations[0].quote", "quote not found"),
                (names["000"], "observations[0].unit", "not a valid UCUM code"),
                (names["000"], "adverse_events[0].term", "'HP:9999999' is not declared"),
                (names["001"], "patient", "unknown field 'favourite_colour'"),
                (names["002"], "SHACL violation", "ageInYears")]
    for parts in expected:
        assert any(all(part in line for part in parts) for line in lines), (parts, result.stderr)
    assert len(lines) == len(expected), result.stderr
    assert result.returncode == 1


def test_validate_reports_every_stage_in_one_run(seeds_copy):
    names = break_every_stage(seeds_copy)
    assert_every_stage_reported(adekg_in_process("--quiet", "validate", "--seeds", str(seeds_copy)), names)


def test_build_reports_every_error_and_keeps_the_store(plain_store, tmp_path, seeds_copy):
    store_path = store_copy(plain_store, tmp_path / "store")
    before = store_path.resolve()
    names = break_every_stage(seeds_copy)

    result = adekg_in_process("build", "--no-reason", "--quiet", "--store", str(store_path), "--seeds", str(seeds_copy))

    assert_every_stage_reported(result, names)
    assert store_path.resolve() == before
    assert int(select(open_store(store_path), COUNT_QUERY)[0]["n"]) > 0


# --- adekg terms ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    from graph.ontology import load_ontology_graph
    return load_ontology_graph(ONTOLOGY)


def listed(kind: str) -> dict[str, list[str]]:
    """Run `adekg terms KIND --format tsv` and map each key to its (label, IRI, ...) cells."""
    result = adekg_in_process("terms", kind, "--format", "tsv", check=True)
    header, *rows = result.stdout.splitlines()
    return {row.split("\t")[0]: row.split("\t")[1:] for row in rows}


@pytest.mark.parametrize("kind, namespace", [("drug", DRUG), ("test", TEST), ("mechanism", MECH)])
def test_terms_lists_every_key_of_the_ontology_with_label_and_iri(ontology, kind, namespace):
    individuals = {str(node) for node in ontology.subjects(rdflib.RDF.type, rdflib.OWL.NamedIndividual)
                   if str(node).startswith(namespace)}

    terms = listed(kind)

    assert {namespace + key for key in terms} == individuals
    for key, (label, iri, *_) in terms.items():
        assert iri == namespace + key
        assert rdflib.Literal(label, lang="en") in set(ontology.objects(rdflib.URIRef(iri), rdflib.RDFS.label))


def test_terms_of_a_lab_test_show_its_quantity_kind(ontology):
    kind_of = {key: cells[2] for key, cells in listed("test").items()}
    platelet = rdflib.URIRef(TEST + "platelet-count")
    assert kind_of["platelet-count"] == str(ontology.value(platelet, rdflib.URIRef(
        "https://w3id.org/adekg/ontology/quantityKind")))


def test_terms_lists_every_curie_the_seed_records_use():
    used: dict[str, set[str]] = {}

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("term", "event_term", "drug_class", "cause_of_death", "feature_terms", "extra_terms"):
                    for curie in value if isinstance(value, list) else [value]:
                        used.setdefault(curie.partition(":")[0], set()).add(curie)
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)
    for path in sorted((ROOT / "seeds").glob("0*.yaml")):
        collect(yaml.safe_load(path.read_text(encoding="utf-8")))

    assert set(used) <= set(CURIE_PREFIXES) and "MONDO" in used
    for prefix, curies in used.items():
        assert curies <= set(listed(prefix.lower())), prefix


def test_terms_without_a_kind_summarises_and_an_unknown_kind_is_one_line():
    summary = adekg_in_process("terms", check=True).stdout
    assert re.search(r"^drug\s+\d+\s+drug, suspect_drugs, drugs\b", summary, re.MULTILINE)
    unknown = adekg_in_process("terms", "drugz")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [unknown.stderr.strip()]
    assert "unknown kind of term 'drugz'" in unknown.stderr and "mechanism" in unknown.stderr


# --- the README's commands work as typed ---------------------------------------------------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"`([^`\n]+)`")


def command_lines(text: str) -> list[str]:
    """Command lines in a Markdown text: code-block lines, and code spans with a sub-command and arguments."""
    lines = [line.strip() for block in FENCE.findall(text) for line in block.splitlines()]
    lines += [span for span in SPAN.findall(FENCE.sub("", text)) if len(span.split()) > 2]
    return [line for line in lines if re.search(r"(^|[\s/])adekg\s+(-\S+\s+)*[a-z]", line)]


def test_every_documented_adekg_line_runs_from_the_venv_the_install_command_makes():
    lines = {path.name + ": " + line for path in DOCS for line in command_lines(path.read_text(encoding="utf-8"))}
    assert len(lines) > 10
    bare = [line for line in lines if re.search(r"(^|[^/\w.])adekg\s", line.split(": ", 1)[1])]
    assert not bare, "write .venv/bin/adekg, as the install command leaves adekg off the PATH:\n" + "\n".join(bare)
    install = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install" in install


def test_the_install_puts_the_adekg_script_next_to_python():
    script = Path(sys.executable).parent / "adekg"
    assert script.is_file(), "pip install -e . did not install the adekg script"
    result = subprocess.run([str(script), "terms", "mechanism"], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0 and "immune-mediated" in result.stdout
