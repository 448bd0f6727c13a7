"""Check every identifier a record uses: ontology terms, controlled keys and record-local ids."""
from __future__ import annotations

from typing import Any, Iterator

from .errors import RecordError, raise_all
from .records import Record, items
from .terms import CURIE_FIELDS, CURIE_PREFIXES, KEY_FIELDS, KEY_KINDS, expand_curie

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
    """Raise a RecordError for each unknown term, key or local id; return how many were checked."""
    count, errors = identifier_problems(record, declared)
    raise_all(errors)
    return count


def identifier_problems(record: Record, declared: set[str]) -> tuple[int, list[RecordError]]:
    """Check every term, key and local id of a record; return how many were checked and the errors."""
    count, errors = 0, []
    for path, field, value in field_values(record.data):
        values = value if isinstance(value, list) else [value]
        for index, item in enumerate(values):
            where = path + (index,) if isinstance(value, list) else path
            if not isinstance(item, str):
                continue  # the schema check reports values of the wrong type
            if field in CURIE_FIELDS:
                problem = curie_problem(item, declared)
            elif field in KEY_FIELDS:
                kind = KEY_FIELDS[field]
                namespace, what = KEY_KINDS[kind]
                problem = (None if namespace + item in declared else
                           f"unknown {what} key {item!r} (no individual <{namespace}{item}> in the ontology; "
                           f"`adekg terms {kind}` lists the known ones)")
            else:
                continue
            count += 1
            if problem:
                errors.append(RecordError(problem, file=str(record.path), place=record.place(where)))
    local_count, local_errors = local_reference_problems(record)
    return count + local_count, errors + local_errors


def curie_problem(curie: str, declared: set[str]) -> str | None:
    """Say what is wrong with a CURIE (unknown prefix, or not declared in ontology + imports), or None."""
    iri = expand_curie(curie)
    if iri is None:
        return f"identifier {curie!r} has an unknown prefix (known: {', '.join(CURIE_PREFIXES)})"
    if iri not in declared:
        return (f"identifier {curie!r} is not declared in the ontology or its import modules "
                f"(`adekg terms {curie.partition(':')[0]}` lists the declared ones)")
    return None


def local_reference_problems(record: Record) -> tuple[int, list[RecordError]]:
    """Check id uniqueness and that every reference to a record-local id resolves."""
    data, errors = record.data, []

    def error(problem: str, where: tuple) -> None:
        errors.append(RecordError(problem, file=str(record.path), place=record.place(where)))

    owner: dict[str, str] = {}
    for section in REFERABLE:
        for index, item in enumerate(items(data, section)):
            local_id = item.get("id")
            if not isinstance(local_id, str):
                continue
            if local_id in owner:
                error(f"id {local_id!r} is used twice (also in {owner[local_id]})", (section, index, "id"))
            owner.setdefault(local_id, section)
    count = 0
    for section, field, targets in LOCAL_REFERENCES:
        for index, item in enumerate(items(data, section)):
            path = field if isinstance(field, tuple) else (field,)
            values = item
            for key in path:
                values = values.get(key, {}) if isinstance(values, dict) else {}
            values = values or []
            for position, local_id in enumerate(values if isinstance(values, list) else [values]):
                if not isinstance(local_id, str):
                    continue
                if owner.get(local_id) not in targets:
                    where = (section, index, *path) + ((position,) if isinstance(values, list) else ())
                    error(f"{local_id!r} does not name an item of {' or '.join(targets)}", where)
                count += 1
    tables = {table.get("id") for table in items(data, "tables")}
    for index, claim in enumerate(items(data, "claims")):
        source = claim.get("source")
        if isinstance(source, dict) and source.get("type") == "table" and source.get("table") not in tables:
            error(f"claim source table {source.get('table')!r} is not in tables", ("claims", index, "source"))
    return count, errors
