"""graph/identifiers.py: terms must be in the ontology or its imports; keys and local ids must resolve."""
import pytest

from graph.errors import RecordError
from graph.identifiers import check_identifiers
from graph.ontology import declared_terms, load_ontology_graph
from graph.records import load_records

from .conftest import ONTOLOGY, edit_record


@pytest.fixture(scope="module")
def declared():
    return declared_terms(load_ontology_graph(ONTOLOGY))


def problem(seeds_dir, document, declared) -> str:
    record = next(r for r in load_records(seeds_dir) if r.document_id == document)
    with pytest.raises(RecordError) as error:
        check_identifiers(record, declared)
    return error.value.one_line()


def test_project_records_use_only_known_identifiers(seeds_copy, declared):
    for record in load_records(seeds_copy):
        assert check_identifiers(record, declared) > 10


def test_curie_not_in_the_import_modules(seeds_copy, declared):
    def break_term(data):
        data["conditions"][0]["term"] = "MONDO:9999999"
    path = edit_record(seeds_copy, "002", break_term)
    message = problem(seeds_copy, "002", declared)
    assert path.name in message and "conditions[0].term" in message
    assert "'MONDO:9999999' is not declared" in message


def test_unknown_prefix(seeds_copy, declared):
    edit_record(seeds_copy, "001", lambda data: data["adverse_events"][0].update(term="FOO:123"))
    assert "unknown prefix" in problem(seeds_copy, "001", declared)


def test_unknown_drug_key(seeds_copy, declared):
    edit_record(seeds_copy, "000", lambda data: data["exposures"][0].update(drug="ixazomibb"))
    message = problem(seeds_copy, "000", declared)
    assert "exposures[0].drug" in message and "unknown drug key 'ixazomibb'" in message


def test_reference_to_a_missing_local_id(seeds_copy, declared):
    edit_record(seeds_copy, "000", lambda data: data["alternative_causes"][0].update(event="no-such-event"))
    message = problem(seeds_copy, "000", declared)
    assert "alternative_causes[0].event" in message and "'no-such-event'" in message
