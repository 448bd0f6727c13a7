"""Every competency question in queries/ returns the answer read off the seed texts."""
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from pyoxigraph import QueryBoolean

from graph.store import run_query, shorten

QUERIES = Path(__file__).resolve().parent.parent / "queries"
QUESTIONS = sorted(QUERIES.glob("cq-*.rq"))


def cell(value: str) -> str:
    """Compare numbers by value (1.60 == 1.6) and everything else verbatim."""
    try:
        return format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return value


def expected_rows(question: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    lines = question.with_suffix("").with_suffix(".expected.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return header, [tuple(cell(value) for value in line.split("\t")) for line in lines[1:] if line]


def test_there_are_at_least_twenty_questions_each_with_its_question_stated():
    assert len(QUESTIONS) >= 20
    for question in QUESTIONS:
        first = question.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and first.rstrip().endswith("?"), question.name
        assert question.with_suffix(".expected.tsv").exists(), question.name


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_competency_question(store, question):
    text = question.read_text(encoding="utf-8")
    results = run_query(store, text)
    header, expected = expected_rows(question)
    if isinstance(results, QueryBoolean):
        assert [(str(bool(results)).lower(),)] == expected
        return
    names = [variable.value for variable in results.variables]
    assert names == header
    actual = [tuple(cell(shorten(row[name])) for name in names) for row in results]
    if "ORDER BY" in text.upper():
        assert actual == expected
    else:
        assert sorted(actual) == sorted(expected), f"\nexpected {sorted(expected)}\nactual   {sorted(actual)}"
