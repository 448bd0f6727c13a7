"""Errors a user can cause, each naming the file, the place and the problem."""
from __future__ import annotations

from typing import Iterable


class AdekgError(Exception):
    """A problem in the input or the environment, reported to the user as one line."""

    def __init__(self, problem: str, file: str | None = None, place: str | None = None):
        self.problem, self.file, self.place = problem, file, place
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return 'file: place: problem' with the parts that are known."""
        return ": ".join(part for part in (self.file, self.place, self.problem) if part)

    def each(self) -> list[AdekgError]:
        """The single problems this error stands for, one line each."""
        return [self]


class Problems(AdekgError):
    """Several problems found in one run; each is reported on its own line."""

    def __init__(self, errors: list[AdekgError]):
        self.errors = [single for error in errors for single in error.each()]
        first = self.errors[0].one_line()
        super().__init__(f"{first} (and {len(self.errors) - 1} more problem(s))")

    def each(self) -> list[AdekgError]:
        """Every problem of the run, in the order found."""
        return list(self.errors)


def raise_all(errors: Iterable[AdekgError]) -> None:
    """Raise nothing for no errors, the error itself for one, Problems for several."""
    errors = [single for error in errors for single in error.each()]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise Problems(errors)


class RecordError(AdekgError):
    """A seed record is missing, malformed, or does not follow the schema."""


class QuoteError(AdekgError):
    """An evidence quote is not found in its source text."""


class ValidationError(AdekgError):
    """The mapped graph violates a SHACL shape (one error per violation), or the shapes are missing."""


class StoreError(AdekgError):
    """The store cannot be opened, written or queried."""
