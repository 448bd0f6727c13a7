"""Errors a user can cause, each naming the file, the place and the problem."""


class AdekgError(Exception):
    """A problem in the input or the environment, reported to the user as one line."""

    def __init__(self, problem: str, file: str | None = None, place: str | None = None):
        self.problem, self.file, self.place = problem, file, place
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return 'file: place: problem' with the parts that are known."""
        return ": ".join(part for part in (self.file, self.place, self.problem) if part)


class RecordError(AdekgError):
    """A seed record is missing, malformed, or does not follow the schema."""


class QuoteError(AdekgError):
    """An evidence quote is not found in its source text."""


class ValidationError(AdekgError):
    """The mapped graph violates the SHACL shapes; `report` holds one line per violation."""

    report: list[str] = []


class StoreError(AdekgError):
    """The store cannot be opened, written or queried."""
