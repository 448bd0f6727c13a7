"""Check that every normalised unit is a valid UCUM code of the kind of quantity its lab test measures."""
from __future__ import annotations

import importlib.metadata
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .errors import RecordError, raise_all
from .records import Record, items
from .terms import record_terms

if TYPE_CHECKING:
    import rdflib

# Fields whose value is a UCUM code; `unit_as_written` stays free text.
UCUM_FIELDS = ("unit",)
FACTS_FILE = "ucum-facts.json"
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


class UnitFacts:
    """What the checks need to know of each unit code (valid UCUM? the pint dimension it measures), remembered.

    Building the UCUM grammar and the pint registry costs ~1.8 s of CPU per build; with a cache folder (the
    build's --reasoner-cache) the answers are kept in a JSON file keyed by ucumvert's version, so a build whose
    units were all seen before needs neither.
    """

    def __init__(self, cache_dir: Path | None = None):
        self.path = Path(cache_dir) / FACTS_FILE if cache_dir is not None else None
        self.codes = self.read()
        self.changed = False

    def read(self) -> dict:
        """The remembered answers, if the file exists and was written with this ucumvert."""
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data.get("codes", {}) if data.get("ucumvert") == ucumvert_version() else {}

    def fact(self, code: str) -> dict:
        """The answers for one code, computed the first time it is seen."""
        if code not in self.codes:
            valid = is_ucum(code)
            quantity = as_quantity(code) if valid else None
            self.codes[code] = {"valid": valid, "dimension": None if quantity is None else str(quantity.dimensionality)}
            self.changed = True
        return self.codes[code]

    def valid(self, code: str) -> bool:
        """Whether the code is a valid UCUM unit expression."""
        return self.fact(code)["valid"]

    def dimension(self, code: str) -> str | None:
        """The dimension the code measures ('dimensionless' for ratios), or None if pint cannot express it."""
        return self.fact(code)["dimension"]

    def save(self) -> None:
        """Write new answers back (atomically; a cache that cannot be written is simply not kept)."""
        if self.path is None or not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_text(json.dumps({"ucumvert": ucumvert_version(), "codes": self.codes}, sort_keys=True),
                                 encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass


def ucumvert_version() -> str:
    """The installed ucumvert's version (its answers may change with it)."""
    return importlib.metadata.version("ucumvert")


def is_of_kind(code: str, kind: str, facts: UnitFacts | None = None) -> bool | None:
    """Tell whether a UCUM code measures a quantity of the kind; None when its dimension is unknown."""
    facts = facts or UnitFacts()
    dimension = facts.dimension(code)
    if dimension is None:
        return None
    return dimension == facts.dimension(QUANTITY_KINDS[kind][1])


def describe_unit_kind(code: str, facts: UnitFacts) -> str:
    """Name the kind of quantity a UCUM code measures, for messages."""
    dimension = facts.dimension(code)
    if dimension == "dimensionless":
        return "dimensionless (a fraction or ratio)"
    for name, canonical in QUANTITY_KINDS.values():
        if dimension == facts.dimension(canonical):
            return f"a {name}"
    return f"of dimension {dimension}"


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


def check_units(record: Record, test_kinds: dict[str, str | None], facts: UnitFacts | None = None) -> int:
    """Raise a RecordError for each unit UCUM does not know or of the wrong kind; return how many were checked."""
    count, errors = unit_problems(record, test_kinds, facts)
    raise_all(errors)
    return count


def unit_problems(record: Record, test_kinds: dict[str, str | None],
                  facts: UnitFacts | None = None) -> tuple[int, list[RecordError]]:
    """Check every unit of a record; return how many were checked and one error per problem."""
    facts = facts or UnitFacts()
    errors, valid = [], set()
    places = list(unit_places(record.data))
    for path, code in places:
        if facts.valid(code):
            valid.add(path)
        else:
            errors.append(RecordError(f"unit {code!r} is not a valid UCUM code", file=str(record.path),
                                      place=record.place(path)))
    for index, observation in enumerate(items(record.data, "observations")):
        for path, code in unit_places(observation, ("observations", index)):
            problem = kind_problem(code, observation.get("test"), test_kinds, facts) if path in valid else None
            if problem:
                errors.append(RecordError(problem, file=str(record.path), place=record.place(path)))
    return len(places), errors


def kind_problem(code: str, test: str | None, test_kinds: dict[str, str | None], facts: UnitFacts) -> str | None:
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
    fits = is_of_kind(code, kind, facts)
    if fits is None:
        return f"unit {code!r} cannot be checked: ucumvert cannot tell what kind of quantity it measures"
    if fits:
        return None
    name, canonical = QUANTITY_KINDS[kind]
    return (f"unit {code!r} is {describe_unit_kind(code, facts)}, but lab test {test!r} measures a {name}: "
            f"ade:quantityKind {kind}, units convertible to {canonical}")
