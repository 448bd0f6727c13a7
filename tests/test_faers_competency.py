"""The FAERS competency questions (queries/faers-cq-*.rq) on the seeds plus the hand-checkable extract."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph.faers_import import import_faers
from graph.store import open_store, run_query, shorten

from . import test_competency
from .conftest import ONTOLOGY
from .test_competency import cell, expected_rows

QUERIES = Path(__file__).resolve().parent.parent / "queries"
EXTRACT = Path(__file__).resolve().parent / "faers" / "cq"


@pytest.fixture(scope="module")
def faers_store(built_store, tmp_path_factory) -> Path:
    """A copy of the reasoned seed store with the hand-checkable extract imported (and the signals computed)."""
    path = tmp_path_factory.mktemp("faers-cq") / "store"
    shutil.copytree(built_store, path, symlinks=True)
    import_faers(path, EXTRACT, ONTOLOGY)
    return path


@pytest.mark.parametrize("question", sorted(QUERIES.glob("faers-cq-*.rq")), ids=lambda q: q.stem)
def test_faers_competency_question(faers_store, question):
    results = run_query(open_store(faers_store), question.read_text(encoding="utf-8"))
    header, expected = expected_rows(question)
    names = [variable.value for variable in results.variables]
    assert names == header
    actual = sorted(tuple(cell(shorten(row[name])) for name in names) for row in results)
    assert actual == sorted(expected)


@pytest.mark.parametrize("question", test_competency.QUESTIONS, ids=lambda q: q.stem)
def test_case_report_questions_keep_their_answers_with_reports_imported(faers_store, question):
    """The imported spontaneous reports have patients, exposures to ixazomib and reactions too: the questions about
    the published case reports must still answer from the case reports only (their patterns are made selective for
    speed at scale, benchmarks/faers.py; this checks that no rewrite lets the imported reports in)."""
    test_competency.test_competency_question(open_store(faers_store), question)
