"""Check that every normalised unit is a valid UCUM code of the kind of quantity its lab test measures."""
from __future__ import annotations

from functools import cache
from typing import Any, Iterator

import rdflib

from .errors import RecordError, raise_all
from .records import Record, items
from .terms import record_terms

# Fields whose value is a UCUM code; `unit_as_written` stays free text.
UCUM_FIELDS = ("unit",)
# The kinds a lab test may declare, by their abbreviation on LOINC's Property axis: what to call the kind,
# and a UCUM unit every unit of the kind converts to (ucumvert and pint decide convertibility).
QUANTITY_KINDS = {
    "NCnc": ("number concentration (count per volume)", "/L"),
    "MCnc": ("mass concentration (mass per volume)", "g/L"),
    "SCnc": ("substance concentration (moles per volume)", "mol/L"),
    "CCnc": ("catalytic concentration (enzyme activity per volume)", "kat/L"),
    "VRat": ("volume rate (volume per time)", "L/s"),
    "NFr": ("number fraction", "%"),
    "VFr": ("volume fraction", "%"),
    "MRto": ("mass ratio", "1"),
    "RelCCnc": ("relative catalytic concentration (activity relative to normal)", "%"),
}


@cache
def ucum_parser():
    """Build the UCUM grammar parser once (ucumvert's Lark grammar of the UCUM specification)."""
    from ucumvert import get_ucum_parser
    return get_ucum_parser()


@cache
def unit_registry():
    """Build ucumvert's pint registry of the UCUM units once, from pint's disk cache where it can."""
    from ucumvert import PintUcumRegistry
    try:
        # Parsing the unit definitions takes seconds; pint's cache (in the user's cache folder) makes it < 1 s.
        return PintUcumRegistry(cache_folder=":auto:")
    except OSError:
        return PintUcumRegistry()


def is_ucum(code: str) -> bool:
    """Tell whether a string parses as a UCUM unit expression."""
    try:
        ucum_parser().parse(code)
    except Exception:  # ucumvert raises Lark's several parse error classes
        return False
    return True


@cache
def as_quantity(code: str):
    """The pint quantity of a valid UCUM code, or None when ucumvert cannot express it in pint."""
    try:
        quantity = unit_registry().from_ucum(code)
    except Exception:  # Lark and pint raise many error classes for the UCUM atoms pint lacks
        return None
    # A bare annotation such as {ratio} is UCUM's unity; ucumvert returns the token itself.
    return quantity if hasattr(quantity, "dimensionality") else unit_registry().Quantity(1)


def is_of_kind(code: str, kind: str) -> bool | None:
    """Tell whether a UCUM code measures a quantity of the kind; None when its dimension is unknown."""
    quantity = as_quantity(code)
    if quantity is None:
        return None
    return quantity.is_compatible_with(as_quantity(QUANTITY_KINDS[kind][1]))


def describe_unit_kind(code: str) -> str:
    """Name the kind of quantity a UCUM code measures, for messages."""
    quantity = as_quantity(code)
    if quantity.dimensionless:
        return "dimensionless (a fraction or ratio)"
    for name, canonical in QUANTITY_KINDS.values():
        if quantity.is_compatible_with(as_quantity(canonical)):
            return f"a {name}"
    return f"of dimension {quantity.dimensionality}"


def declared_test_kinds(ontology: rdflib.Graph) -> dict[str, str | None]:
    """Map every lab-test key of the ontology to its declared ade:quantityKind (None if it declares none)."""
    return {test.key: test.quantity_kind or None for test in record_terms(ontology, "test")}


def unit_places(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield (path, code) for every UCUM unit field of a record."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in UCUM_FIELDS and isinstance(value, str):
                yield path + (key,), value
            else:
                yield from unit_places(value, path + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from unit_places(item, path + (index,))


def check_units(record: Record, test_kinds: dict[str, str | None]) -> int:
    """Raise a RecordError for each unit UCUM does not know or of the wrong kind; return how many were checked."""
    count, errors = unit_problems(record, test_kinds)
    raise_all(errors)
    return count


def unit_problems(record: Record, test_kinds: dict[str, str | None]) -> tuple[int, list[RecordError]]:
    """Check every unit of a record; return how many were checked and one error per problem."""
    errors, valid = [], set()
    places = list(unit_places(record.data))
    for path, code in places:
        if is_ucum(code):
            valid.add(path)
        else:
            errors.append(RecordError(f"unit {code!r} is not a valid UCUM code", file=str(record.path),
                                      place=record.place(path)))
    for index, observation in enumerate(items(record.data, "observations")):
        for path, code in unit_places(observation, ("observations", index)):
            problem = kind_problem(code, observation.get("test"), test_kinds) if path in valid else None
            if problem:
                errors.append(RecordError(problem, file=str(record.path), place=record.place(path)))
    return len(places), errors


def kind_problem(code: str, test: str | None, test_kinds: dict[str, str | None]) -> str | None:
    """Say why a valid UCUM code does not fit the kind of quantity a lab test measures, or None if it fits."""
    if not isinstance(test, str) or test not in test_kinds:
        return None  # an unknown test key is reported by the identifier check
    kind = test_kinds[test]
    if kind is None:
        return (f"unit {code!r} cannot be checked: lab test {test!r} declares no ade:quantityKind in the "
                f"ontology (one of {', '.join(QUANTITY_KINDS)})")
    if kind not in QUANTITY_KINDS:
        return (f"lab test {test!r} declares ade:quantityKind {kind!r}, which adekg does not know "
                f"(known: {', '.join(QUANTITY_KINDS)})")
    fits = is_of_kind(code, kind)
    if fits is None:
        return f"unit {code!r} cannot be checked: ucumvert cannot tell what kind of quantity it measures"
    if fits:
        return None
    name, canonical = QUANTITY_KINDS[kind]
    return (f"unit {code!r} is {describe_unit_kind(code)}, but lab test {test!r} measures a {name}: "
            f"ade:quantityKind {kind}, units convertible to {canonical}")
