"""Check that every normalised unit in a record is a valid UCUM code."""
from __future__ import annotations

from functools import cache
from typing import Any, Iterator

from .errors import RecordError
from .records import Record

# Fields whose value is a UCUM code; `unit_as_written` stays free text.
UCUM_FIELDS = ("unit",)


@cache
def ucum_parser():
    """Build the UCUM grammar parser once (ucumvert's Lark grammar of the UCUM specification)."""
    from ucumvert import get_ucum_parser
    return get_ucum_parser()


def is_ucum(code: str) -> bool:
    """Tell whether a string parses as a UCUM unit expression."""
    try:
        ucum_parser().parse(code)
    except Exception:  # ucumvert raises Lark's several parse error classes
        return False
    return True


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


def check_units(record: Record) -> int:
    """Raise RecordError for the first unit UCUM does not know; return how many were checked."""
    count = 0
    for path, code in unit_places(record.data):
        if not is_ucum(code):
            raise RecordError(f"unit {code!r} is not a valid UCUM code", file=str(record.path),
                              place=record.place(path))
        count += 1
    return count
