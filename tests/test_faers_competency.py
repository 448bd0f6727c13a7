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


def test_the_drug_document_shows_the_class_risk_beside_its_signal_and_not_every_report(faers_store):
    # /api/drug/ixazomib: the case-report class risk with the FAERS signal it links to, its figures embedded (the
    # hand-checkable extract: PRR 9.0, ROR 21.0 of 6 / 10 / 8 / 40). The spontaneous reports naming ixazomib and
    # its unflagged signals stay out: thousands at scale, one SPARQL query away.
    import json
    from jsonschema import Draft202012Validator
    from server import create_app
    from .test_api_schema import SCHEMA

    text = create_app(store_path=faers_store).test_client().get("/api/drug/ixazomib").get_data(as_text=True)
    nodes: dict[str, list[dict]] = {}

    def walk(value):
        if isinstance(value, dict):
            if "id" in value and len(value) > 1:
                nodes.setdefault(value["id"], []).append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    document = json.loads(text)
    Draft202012Validator(SCHEMA).validate(document)  # the shape docs/api.schema.json promises apps
    walk(document)
    risk = nodes["https://w3id.org/adekg/inferred/class-risk/ProteasomeInhibitor/DrugInducedThromboticMicroangiopathy"]
    signals = [signal for node in risk for signal in node.get("hasDisproportionalitySignal", [])]
    assert [(s["prr"], s["ror"], s["reportsWithDrugAndEvent"], s["reportsWithDrug"], s["reportsWithEvent"],
             s["reportsTotal"]) for s in signals] == [([9], [21], [6], [10], [8], [40])]
    assert "data/faers/" not in text  # no FAERS report, patient or exposure node
    ixazomib_signals = open_store(faers_store).query(
        "PREFIX ade: <https://w3id.org/adekg/ontology/> SELECT ?s ?flag WHERE { ?s ade:signalDrug "
        "<https://w3id.org/adekg/drug/ixazomib> ; ade:signalDetected ?flag }", use_default_graph_as_union=True)
    shown = {row["s"].value: row["s"].value in nodes for row in ixazomib_signals if row["flag"].value == "false"}
    assert shown and not any(shown.values())  # the unflagged signals of ixazomib are not in its document


def test_explain_shows_the_signal_beside_the_class_risk_and_how_it_was_computed(faers_store):
    from graph.explain import explain

    store = open_store(faers_store)
    risk = explain(store, "https://w3id.org/adekg/inferred/class-risk/ProteasomeInhibitor/DrugInducedThromboticMicroangiopathy")
    assert "linked by graph/sparql/link-signals.rq" in risk
    assert ("disproportionality of ade:ProteasomeInhibitor x \"Thrombotic microangiopathy\": 6 reports with both, "
            "10 with the drug, 8 with the event, of 40") in risk
    assert "PRR 9 [2.1509, 37.6593], ROR 21 [3.1012, 142.2024], IC 1.3785 [0.0025, 2.3066]" in risk
    assert "thresholds: stored when a >=" in risk and "counted over the reports of graph:faers/2025Q1 (imported by" in risk
    signal = explain(store, "https://w3id.org/adekg/inferred/signal/proteasomeinhibitor/thrombotic-microangiopathy")
    assert "6 reports with both" in signal and "computed by" in signal  # a signal alone was "nothing inferred"
    ended = store.query("PREFIX prov: <http://www.w3.org/ns/prov#> ASK { GRAPH <https://w3id.org/adekg/graph/build> { "
                        "<https://w3id.org/adekg/graph/signals> prov:wasGeneratedBy ?a . ?a prov:endedAtTime ?t } }")
    assert bool(ended)
