"""graph/records.py: missing files, malformed YAML, unknown fields and wrong types fail clearly."""
import pytest

from graph.errors import RecordError
from graph.records import load_records

from .conftest import edit_record, record_path


def failure(seeds_dir) -> str:
    with pytest.raises(RecordError) as error:
        load_records(seeds_dir)
    message = error.value.one_line()
    assert "\n" not in message
    return message


def test_the_project_records_load(seeds_copy):
    records = load_records(seeds_copy)
    assert [record.document_id for record in records] == ["000", "001", "002"]


def test_missing_seeds_folder(tmp_path):
    message = failure(tmp_path / "nowhere")
    assert "nowhere" in message and "not found" in message


def test_missing_source_text(seeds_copy):
    next(seeds_copy.glob("001_*.txt")).unlink()
    message = failure(seeds_copy)
    assert "001_15ee03019fee03ee.yaml" in message and "document.file" in message and "not found" in message


def test_malformed_yaml_names_file_and_line(seeds_copy):
    path = record_path(seeds_copy, "002")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "document: [unclosed")
    path.write_text("\n".join(lines), encoding="utf-8")
    message = failure(seeds_copy)
    assert path.name in message and "malformed YAML" in message and "line" in message


def test_unknown_field_is_named(seeds_copy):
    path = edit_record(seeds_copy, "000", lambda data: data["patient"].update(favourite_colour="blue"))
    message = failure(seeds_copy)
    assert path.name in message and "patient" in message and "unknown field 'favourite_colour'" in message


def test_value_of_the_wrong_type(seeds_copy):
    path = edit_record(seeds_copy, "001", lambda data: data["patient"].update(age_years="seventy"))
    message = failure(seeds_copy)
    assert path.name in message and "patient.age_years" in message and "wrong type" in message


def test_place_includes_the_yaml_line(seeds_copy):
    def break_observation(data):
        data["observations"][0]["value"] = "many"
    path = edit_record(seeds_copy, "000", break_observation)
    message = failure(seeds_copy)
    assert path.name in message and "observations[0].value (line " in message


def test_duplicate_document_id(seeds_copy):
    edit_record(seeds_copy, "002", lambda data: data["document"].update(id="001"))
    assert "document id '001' is already used" in failure(seeds_copy)
