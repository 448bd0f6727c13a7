"""graph/batched.py: the reasoning stage in batches of case reports infers what the whole-store route infers."""
import shutil
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from graph.batched import GLOBAL_RULES, plan, reason_in_batches, replicated_reports, summaries_by_report
from graph.build import in_memory, ontology_documents
from graph.reason import reason
from graph.rules import RuleError
from graph.store import open_store
from graph.terms import BUILD_GRAPH, DATA, INFERRED, INFERRED_GRAPH, RULES_GRAPH, source_graph

from .conftest import ONTOLOGY

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java (.ci/run installs it)")
OUTPUT = {INFERRED_GRAPH, RULES_GRAPH}


@pytest.fixture(scope="module")
def seed_cases(plain_store) -> dict:
    """The seeds' case data by document, and the build's provenance of it."""
    store = open_store(plain_store)
    cases = {document: list(store.quads_for_pattern(None, None, None, NamedNode(source_graph(document))))
             for document in ("000", "001", "002")}
    return cases, list(store.quads_for_pattern(None, None, None, NamedNode(BUILD_GRAPH)))


def whole_and_batched(texts: list[bytes], provenance: list, batch: int, reasoner_cache: Path) -> tuple[set, set]:
    """The inferred and rules graphs of the whole-store route and of the batched route over the same reports."""
    documents = list(ontology_documents(ONTOLOGY))
    reports = [quad for text in texts for quad in parse(text, RdfFormat.N_QUADS)]
    whole = reason(in_memory(reports + provenance, documents), ONTOLOGY, reasoner_cache).quads

    def batches():
        for start in range(0, len(texts), batch):
            pieces = b"".join(texts[start:start + batch])
            yield lambda store, pieces=pieces, first=start == 0: (store.load(pieces, RdfFormat.N_QUADS),
                                                                   store.extend(provenance if first else []))
    emitted = []
    reason_in_batches(batches, documents, ONTOLOGY, emitted.extend, reasoner_cache)
    return ({q for q in whole if q.graph_name.value in OUTPUT}, {q for q in emitted if q.graph_name.value in OUTPUT})


def test_one_seed_report_a_batch_infers_what_the_whole_store_does(seed_cases, reasoner_cache):
    cases, provenance = seed_cases
    whole, batched = whole_and_batched(list(replicated_reports(cases, 3)), provenance, 1, reasoner_cache)
    assert len(whole) > 3000
    assert batched == whole


def test_replicated_reports_in_batches_that_split_the_seeds_infer_what_the_whole_store_does(seed_cases, reasoner_cache):
    # 8 reports in batches of 3: every batch mixes copies of different seeds, the last holds two reports.
    cases, provenance = seed_cases
    whole, batched = whole_and_batched(list(replicated_reports(cases, 8)), provenance, 3, reasoner_cache)
    class_risks = {q.subject.value for q in whole if q.object.value.endswith("/ClassLevelRisk")}
    assert class_risks and len(whole) > 2 * 3000
    assert batched == whole
    # Copies of a report add its events to a class risk's case count, never a member (rule 25 counts the two apart):
    # the DTMA of case 000 (three copies among the 8) is supported by bortezomib, carfilzomib and ixazomib; the PML
    # of case 002 has two copies.
    counts = {(q.subject.value.rsplit("/", 1)[-1], q.predicate.value.rsplit("/", 1)[-1]): int(q.object.value)
              for q in whole if "/class-risk/ProteasomeInhibitor/" in q.subject.value
              and q.predicate.value.endswith(("/graphCaseCount", "/supportingMemberCount"))}
    assert counts[("DrugInducedThromboticMicroangiopathy", "graphCaseCount")] == 3
    assert counts[("DrugInducedThromboticMicroangiopathy", "supportingMemberCount")] == 3
    assert counts[("MONDO_0016318", "graphCaseCount")] == 2


def test_the_plan_runs_the_cross_report_rules_once_between_the_per_report_rules():
    steps = plan(ONTOLOGY)
    assert {path.stem for path in steps.global_} == GLOBAL_RULES
    # rule 40-thresholds gathers the findings of rule 40 from every report; rule 41 reads its summaries
    assert "40-severe-renal-impairment" in {path.stem for path in steps.before}
    assert "41-renal-risk-factor" in {path.stem for path in steps.after}


def test_a_case_rule_between_two_global_rules_that_read_each_other_cannot_be_batched(tmp_path):
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, ontology)
    # a per-report rule that reads the class-level risks (rule 25) and writes what rule 60 reads
    (ontology / "rules" / "55-between.rq").write_text(
        "# A test rule.\nPREFIX ade: <https://w3id.org/adekg/ontology/>\n"
        "CONSTRUCT { ?risk ade:aboutEventType ?type } WHERE { ?risk a ade:ClassLevelRisk ; ade:riskEventType ?type }\n")
    with pytest.raises(RuleError, match="55-between.rq: the rule reads a global rule's output"):
        plan(ontology)


def test_the_replicas_rename_each_copy_of_a_report_and_nothing_else(seed_cases):
    cases, _ = seed_cases
    store = Store()
    for text in replicated_reports(cases, 6):
        store.load(text, RdfFormat.N_QUADS)
    graphs = sorted(graph.value.rsplit("/", 1)[-1] for graph in store.named_graphs())
    assert graphs == ["000", "000-r1", "001", "001-r1", "002", "002-r1"]
    assert len(store) == 2 * sum(len(quads) for quads in cases.values())

    def back(term):
        return NamedNode(term.value.replace("/000-r1", "/000")) if isinstance(term, NamedNode) else term
    copy = {Quad(*(back(term) for term in quad)) for quad in store.quads_for_pattern(
        None, None, None, NamedNode(source_graph("000-r1")))}
    assert copy == set(cases["000"])


def test_each_batch_gets_the_summaries_about_its_own_reports_and_the_shared_ones():
    """A patient's renal finding goes to its report's batch only; a drug's threshold assessment to every batch."""
    ade, inferred = "https://w3id.org/adekg/ontology/", NamedNode(INFERRED_GRAPH)
    finding, drug_summary = NamedNode(INFERRED + "patient/001-r1/patient/renal"), NamedNode(INFERRED + "drug/x/evidence")
    finding_quads = [Quad(finding, NamedNode(ade + "assessedPatient"), NamedNode(DATA + "001-r1/patient"), inferred),
                     Quad(finding, NamedNode(ade + "usesThreshold"), NamedNode(ade + "t"), inferred)]
    drug_quads = [Quad(drug_summary, NamedNode(ade + "assessedDrug"), NamedNode(ade + "x"), inferred)]
    shared, by_report = summaries_by_report(finding_quads + drug_quads, {"001", "001-r1"})
    assert shared == drug_quads
    assert by_report == {"001-r1": finding_quads}
    # A node naming a report no batch holds stays shared rather than lost.
    assert summaries_by_report(finding_quads, {"001"}) == (finding_quads, {})
