"""graph/units.py: every normalised unit is a UCUM code."""
import pytest

from graph.errors import RecordError
from graph.records import load_records
from graph.ontology import load_ontology_graph
from graph import units
from graph.units import UnitFacts, check_units, declared_test_kinds, is_of_kind, is_ucum

from .conftest import ONTOLOGY, edit_record


@pytest.mark.parametrize("code", ["mg/dL", "/uL", "10*9/L", "U/L", "mL/min/{1.73_m2}", "{copies}/mL", "%", "mg/d"])
def test_valid_ucum_codes(code):
    assert is_ucum(code)


@pytest.mark.parametrize("code", ["mgg", "units/L", "mL/minn", "per dl", ""])
def test_invalid_ucum_codes(code):
    assert not is_ucum(code)


def test_unknown_unit_in_a_record_is_named(seeds_copy):
    def break_unit(data):
        data["observations"][0]["unit"] = "flurbs/dL"
    path = edit_record(seeds_copy, "000", break_unit)
    record = next(r for r in load_records(seeds_copy) if r.document_id == "000")
    with pytest.raises(RecordError) as error:
        check_units(record, declared_test_kinds(load_ontology_graph(ONTOLOGY)))
    message = error.value.one_line()
    assert path.name in message and "observations[0].unit" in message and "'flurbs/dL'" in message


def test_unit_answers_are_remembered_in_the_cache_folder(tmp_path, monkeypatch):
    """A second build reads what the first learnt of each code, without the UCUM grammar or pint."""
    first = UnitFacts(tmp_path)
    assert first.valid("mg/dL") and not first.valid("flurbs/dL")
    assert is_of_kind("mg/dL", "MCnc", first) and is_of_kind("10*3/uL", "MCnc", first) is False
    first.save()
    monkeypatch.setattr(units, "is_ucum", lambda code: pytest.fail(f"{code} parsed again"))
    monkeypatch.setattr(units, "as_quantity", lambda code: pytest.fail(f"{code} given to pint again"))
    second = UnitFacts(tmp_path)
    assert second.valid("mg/dL") and not second.valid("flurbs/dL")
    assert is_of_kind("mg/dL", "MCnc", second) and is_of_kind("10*3/uL", "MCnc", second) is False


def test_unit_answers_of_another_ucumvert_are_not_used(tmp_path, monkeypatch):
    facts = UnitFacts(tmp_path)
    facts.valid("mg/dL")
    facts.save()
    monkeypatch.setattr(units, "ucumvert_version", lambda: "0.0.0-other")
    assert UnitFacts(tmp_path).codes == {}
