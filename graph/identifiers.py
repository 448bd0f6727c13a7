"""Check every identifier a record uses: ontology terms, controlled keys and record-local ids."""
from __future__ import annotations

from typing import Any, Iterator

from .errors import RecordError
from .records import Record
from .terms import DRUG, MECH, TEST, expand_curie

CURIE_FIELDS = {"term", "feature_terms", "extra_terms", "event_term", "drug_class", "cause_of_death"}
KEY_FIELDS = {"drug": (DRUG, "drug"), "suspect_drugs": (DRUG, "drug"), "drugs": (DRUG, "drug"),
              "implicates_drugs": (DRUG, "drug"), "measured_drug": (DRUG, "drug"),
              "test": (TEST, "lab test"), "mechanism": (MECH, "mechanism")}
# Sections whose ids other facts may refer to; ids must be unique across all of them.
REFERABLE = ("findings", "observations", "interventions", "adverse_events", "conditions",
             "exposures", "regimens")
# (section, field, sections the field may point into)
LOCAL_REFERENCES = [
    ("adverse_events", "manifestations", ("findings", "observations")),
    ("alternative_causes", "decided_by", ("observations", "findings", "interventions")),
    ("alternative_causes", "event", ("adverse_events",)),
    ("interventions", "treats", ("adverse_events", "conditions")),
    ("dechallenges", "event", ("adverse_events",)),
    ("rechallenges", "event", ("adverse_events",)),
    ("exposures", "regimen", ("regimens",)),
    ("adverse_events", "manifestation_of", ("adverse_events",)),
    ("adverse_events", "onset_after", ("exposures",)),
    ("adverse_events", "onset_before", ("exposures",)),
    ("placebo_challenges", "event", ("adverse_events",)),
    ("dose_responses", "event", ("adverse_events",)),
    ("previous_reactions", "event", ("adverse_events",)),
    ("previous_reactions", "earlier", ("adverse_events", "findings")),
    ("adverse_events", ("first_symptoms", "began_during_or_after"), ("exposures",)),
    ("adverse_events", ("first_symptoms", "began_before"), ("exposures",)),
]


def field_values(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
    """Yield (path, field name, value) for every scalar or list-of-scalars field of a record."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict,)) or (isinstance(value, list) and value and isinstance(value[0], dict)):
                yield from field_values(value, path + (key,))
            else:
                yield path + (key,), key, value
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from field_values(item, path + (index,))


def check_identifiers(record: Record, declared: set[str]) -> int:
    """Raise RecordError for the first unknown term, key or local id; return how many were checked."""
    count = 0
    for path, field, value in field_values(record.data):
        values = value if isinstance(value, list) else [value]
        for index, item in enumerate(values):
            where = path + (index,) if isinstance(value, list) else path
            if field in CURIE_FIELDS:
                check_curie(record, where, item, declared)
                count += 1
            elif field in KEY_FIELDS:
                namespace, what = KEY_FIELDS[field]
                if namespace + item not in declared:
                    raise RecordError(f"unknown {what} key {item!r} (no individual <{namespace}{item}> "
                                      "in the ontology)", file=str(record.path), place=record.place(where))
                count += 1
    return count + check_local_references(record)


def check_curie(record: Record, where: tuple, curie: str, declared: set[str]) -> None:
    """Raise RecordError if a CURIE has an unknown prefix or is not declared in ontology + imports."""
    iri = expand_curie(curie)
    if iri is None:
        raise RecordError(f"identifier {curie!r} has an unknown prefix", file=str(record.path),
                          place=record.place(where))
    if iri not in declared:
        raise RecordError(f"identifier {curie!r} is not declared in the ontology or its import modules",
                          file=str(record.path), place=record.place(where))


def check_local_references(record: Record) -> int:
    """Check id uniqueness and that every reference to a record-local id resolves."""
    data = record.data
    owner: dict[str, str] = {}
    for section in REFERABLE:
        for index, item in enumerate(data.get(section, [])):
            if item["id"] in owner:
                raise RecordError(f"id {item['id']!r} is used twice (also in {owner[item['id']]})",
                                  file=str(record.path), place=record.place((section, index, "id")))
            owner[item["id"]] = section
    count = 0
    for section, field, targets in LOCAL_REFERENCES:
        for index, item in enumerate(data.get(section, [])):
            path = field if isinstance(field, tuple) else (field,)
            values = item
            for key in path:
                values = values.get(key, {}) if isinstance(values, dict) else {}
            values = values or []
            for position, local_id in enumerate(values if isinstance(values, list) else [values]):
                if owner.get(local_id) not in targets:
                    where = (section, index, *path) + ((position,) if isinstance(values, list) else ())
                    raise RecordError(f"{local_id!r} does not name an item of {' or '.join(targets)}",
                                      file=str(record.path), place=record.place(where))
                count += 1
    tables = {table["id"] for table in data.get("tables", [])}
    for index, claim in enumerate(data.get("claims", [])):
        source = claim["source"]
        if source["type"] == "table" and source.get("table") not in tables:
            raise RecordError(f"claim source table {source.get('table')!r} is not in tables",
                              file=str(record.path), place=record.place(("claims", index, "source")))
    return count
