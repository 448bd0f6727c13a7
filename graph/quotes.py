"""Stage 2: find every evidence quote of a record in its source text and note its offsets."""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterator

from .errors import QuoteError, raise_all
from .records import Record

LINE_BREAK_HYPHEN = re.compile(r"-[ \t]*\r?\n\s*")


@dataclasses.dataclass(frozen=True)
class QuoteMatch:
    """A quote found in a source text: offsets are code points into the decoded text."""

    quote: str
    start: int
    end: int
    exact: str


class NormalisedText:
    """A text with whitespace runs collapsed and line-break hyphens removed, mapped back to offsets."""

    def __init__(self, text: str, drop_all_hyphens: bool = False):
        chars: list[str] = []
        origin: list[int] = []
        index = 0
        while index < len(text):
            char = text[index]
            if char == "-":
                line_break = LINE_BREAK_HYPHEN.match(text, index)
                if line_break:
                    index = line_break.end()
                    continue
                if drop_all_hyphens:
                    index += 1
                    continue
            if char.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    origin.append(index)
                index += 1
                continue
            chars.append(char)
            origin.append(index)
            index += 1
        self.text = "".join(chars)
        self.origin = origin

    def find(self, needle: str) -> tuple[int, int] | None:
        """Return the original (start, end) of the first occurrence of a normalised needle."""
        at = self.text.find(needle)
        if at < 0 or not needle:
            return None
        return self.origin[at], self.origin[at + len(needle) - 1] + 1


def normalise(text: str, drop_all_hyphens: bool = False) -> str:
    """Collapse whitespace and remove line-break hyphens (and, if asked, every hyphen)."""
    return NormalisedText(text, drop_all_hyphens).text.strip()


class QuoteFinder:
    """Locates quotes in one source text, first hyphen-sensitively, then ignoring hyphens."""

    def __init__(self, text: str):
        self.text = text
        self.strict = NormalisedText(text)
        self.loose = NormalisedText(text, drop_all_hyphens=True)

    def locate(self, quote: str) -> QuoteMatch | None:
        """Return where a quote occurs in the text, or None."""
        span = self.strict.find(normalise(quote)) or self.loose.find(normalise(quote, True))
        if span is None:
            return None
        start, end = span
        return QuoteMatch(quote, start, end, self.text[start:end])


def quote_places(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield (path, quote) for every `quote` and `quotes` entry in a record."""
    if isinstance(data, dict):
        for key, value in data.items():
            # Values of the wrong type are left to the schema check, which reports them.
            if key == "quote":
                if isinstance(value, str):
                    yield path + (key,), value
            elif key == "quotes":
                for index, quote in enumerate(value if isinstance(value, list) else []):
                    if isinstance(quote, str):
                        yield path + (key, index), quote
            else:
                yield from quote_places(value, path + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from quote_places(item, path + (index,))


def check_quotes(record: Record) -> dict[str, QuoteMatch]:
    """Locate every quote of a record in its text; raise a QuoteError for each one missing."""
    matches, errors = locate_quotes(record)
    raise_all(errors)
    return matches


def locate_quotes(record: Record) -> tuple[dict[str, QuoteMatch], list[QuoteError]]:
    """Locate every quote of a record in its text; return the matches and an error per quote missing."""
    try:
        text = record.text_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return {}, [QuoteError(f"source text is not UTF-8 ({error.reason})", file=str(record.text_path))]
    finder = QuoteFinder(text)
    matches: dict[str, QuoteMatch] = {}
    errors = []
    for path, quote in quote_places(record.data):
        match = matches.get(quote) or finder.locate(quote)
        if match is None:
            errors.append(QuoteError(f"quote not found in {record.text_path.name}: {quote!r}",
                                     file=str(record.path), place=record.place(path)))
        else:
            matches[quote] = match
    return matches, errors
