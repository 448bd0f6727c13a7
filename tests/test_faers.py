"""FAERS import: the hand-written tiny extract, read line by line, is in the graph exactly."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Store

from graph.faers import ExtractError, find_extract, select_reports
from graph.faers_import import import_extract
from graph.store import open_store

from .conftest import ONTOLOGY

TINY = Path(__file__).resolve().parent / "faers" / "tiny"
ADE = "https://w3id.org/adekg/ontology/"
REPORT = "https://w3id.org/adekg/data/faers/report/"
DRUG = "https://w3id.org/adekg/drug/"
PREFIXES = f"PREFIX ade: <{ADE}> PREFIX drug: <{DRUG}> PREFIX r: <{REPORT}> "


def writable_copy(store_path: Path, target: Path) -> Store:
    """A writable copy of a built store (a RocksDB checkpoint: hard links, no copying)."""
    open_store(store_path).backup(str(target))
    return Store(str(target))


@pytest.fixture(scope="module")
def tiny(plain_store, tmp_path_factory):
    """The tiny extract imported into a copy of the seed store, with its import report."""
    store = writable_copy(plain_store, tmp_path_factory.mktemp("tiny") / "store")
    report = import_extract(store, find_extract(TINY), ONTOLOGY, max_bad_fraction=0.5)
    return store, report


def values(store: Store, query: str) -> set[tuple[str, ...]]:
    """The rows of a SELECT as tuples of plain values."""
    results = store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [variable.value for variable in results.variables]
    return {tuple(row[name].value if row[name] is not None else None for name in names) for row in results}


def test_extract_is_found_with_its_quarter_and_deleted_list():
    extract = find_extract(TINY)
    assert extract.quarter == "2024Q1"
    assert sorted(extract.tables) == ["DEMO", "DRUG", "INDI", "OUTC", "REAC", "RPSR", "THER"]
    assert [path.name for path in extract.deleted] == ["DELETE24Q1.txt"]


def test_latest_version_kept_deleted_case_dropped(tiny):
    store, report = tiny
    # DEMO: case 1001 has versions 1 and 2 (keep 10012), case 1002 is deleted, 10051 is malformed.
    assert values(store, "SELECT ?r WHERE { ?r a ade:SpontaneousReport }") == {
        (REPORT + "10012",), (REPORT + "10031",), (REPORT + "10041",)}
    assert (report.reports, report.superseded, report.deleted) == (3, 1, 1)
    assert values(store, "SELECT ?case ?v WHERE { r:10012 ade:faersCaseId ?case ; ade:caseVersion ?v }") == {("1001", "2")}


def test_malformed_rows_named_with_file_and_line(tiny):
    _, report = tiny
    assert [(row.file, row.line) for row in report.bad_rows] == [
        ("DEMO24Q1.txt", 7), ("DRUG24Q1.txt", 10), ("OUTC24Q1.txt", 5), ("THER24Q1.txt", 3)]
    problems = [row.problem for row in report.bad_rows]
    assert "15 fields, the header has 25" in problems[0]
    assert "role_cod 'XX'" in problems[1]
    assert "outc_cod 'ZZ'" in problems[2]
    assert "start_dt '20240230' is not a date" in problems[3]


def test_patients(tiny):
    store, _ = tiny
    # 10012: 71 YR, F, 62 KG; 10031: 7 DEC (70 years), M, 180 LBS; 10041: sex UNK (not stated), no age.
    rows = values(store, """SELECT ?r ?years ?unit ?sex ?wt ?wunit WHERE {
        ?r a ade:SpontaneousReport ; ade:describesPatient ?p . OPTIONAL { ?p ade:ageInYears ?years ; ade:age/ade:ucumUnit ?unit }
        OPTIONAL { ?p ade:sex ?sex } OPTIONAL { ?p ade:weight [ ade:numericValue ?wt ; ade:ucumUnit ?wunit ] } }""")
    assert rows == {(REPORT + "10012", "71", "a", ADE + "Female", "62", "kg"),
                    (REPORT + "10031", "70", "10.a", ADE + "Male", "180", "[lb_av]"),
                    (REPORT + "10041", None, None, None, None, None)}


def test_drugs_roles_and_normalised_names(tiny):
    store, report = tiny
    rows = values(store, """SELECT ?r ?seq ?drug ?role ?code WHERE {
        ?r ade:describesPatient/ade:hasExposure ?e . ?e ade:exposureRole ?role ; ade:faersRoleCode ?code .
        OPTIONAL { ?e ade:drug ?drug } BIND(REPLACE(STR(?e), "^.*/", "") AS ?seq) }""")
    suspect, concomitant = ADE + "SuspectDrug", ADE + "ConcomitantDrug"
    assert rows == {
        (REPORT + "10012", "1", DRUG + "ixazomib", suspect, "PS"),          # IXAZOMIB CITRATE: salt removed
        (REPORT + "10012", "2", DRUG + "lenalidomide", concomitant, "C"),
        (REPORT + "10031", "1", DRUG + "carfilzomib", suspect, "PS"),
        (REPORT + "10031", "2", DRUG + "dexamethasone", suspect, "SS"),     # drug name, strength removed
        (REPORT + "10031", "3", None, concomitant, "C"),                    # MYSTERY HERB: not in the ontology
        (REPORT + "10041", "1", DRUG + "bortezomib", suspect, "I"),         # BORTEZOMIB\DEXAMETHASONE split
        (REPORT + "10041", "1", DRUG + "dexamethasone", suspect, "I"),
    }
    assert ("MYSTERY HERB", 1) in report.unmatched_drugs
    assert values(store, "SELECT ?name WHERE { r:10031 ade:describesPatient/ade:hasExposure ?e . ?e ade:drugNameAsReported ?name . "
                         "FILTER NOT EXISTS { ?e ade:drug ?d } }") == {("MYSTERY HERB",)}
    assert values(store, "SELECT ?de ?re WHERE { r:10012 ade:describesPatient/ade:hasExposure ?e . ?e ade:drug drug:ixazomib ; "
                         "ade:dechallengeResult ?de ; ade:rechallengeResult ?re }") == {
        (ADE + "ChallengePositive", ADE + "ChallengeNegative")}


def test_report_dates_types_reporters_countries_routes_and_doses(tiny):
    # DEMO24Q1.txt and DRUG24Q1.txt, line by line: the kept reports 10012, 10031 and 10041 (10011 superseded,
    # 10021 deleted, 10051 malformed).
    store, _ = tiny
    assert values(store, """SELECT ?r ?received ?event ?first ?type ?qualification ?from ?where WHERE {
        ?r a ade:SpontaneousReport ; ade:receivedDate ?received ; ade:initialReceivedDate ?first ;
           ade:reportTypeCode ?type ; ade:reporterQualification ?qualification ; ade:reporterCountry ?from ;
           ade:occurrenceCountry ?where . OPTIONAL { ?r ade:eventDate ?event } }""") == {
        (REPORT + "10012", "2024-03-02", "2023-12", "2024-01-05", "EXP", "MD", "US", "US"),   # event_dt 202312
        (REPORT + "10031", "2024-02-15", "2024-02-01", "2024-02-15", "EXP", "HP", "FR", "FR"),
        (REPORT + "10041", "2024-02-20", None, "2024-02-20", "DIR", "OT", "US", "CA"),      # no event date
    }
    assert values(store, """SELECT ?e ?route ?dose ?value ?ucum ?written WHERE {
        ?e a ade:DrugExposure ; ade:routeAsReported ?route . OPTIONAL { ?e ade:doseAsReported ?dose }
        OPTIONAL { ?e ade:dose [ ade:numericValue ?value ; ade:unitAsWritten ?written ; ade:ucumUnit ?ucum ] } }""") == {
        (REPORT + "10012/drug/1", "ORAL", "3 MG ON DAYS 1, 8, 15", "3", "mg", "MG"),
        (REPORT + "10012/drug/2", "ORAL", "25 MG", "25", "mg", "MG"),
        (REPORT + "10031/drug/1", "INTRAVENOUS", None, None, None, None),
        (REPORT + "10031/drug/2", "ORAL", None, None, None, None),
    }


def test_reactions_outcomes_therapy_indication_source(tiny):
    store, _ = tiny
    assert values(store, "SELECT ?r ?name WHERE { ?r ade:describesPatient/ade:hasReaction/ade:reactionName ?name }") == {
        (REPORT + "10012", "Thrombotic microangiopathy"), (REPORT + "10012", "Rash"),
        (REPORT + "10031", "Skin exfoliation"), (REPORT + "10041", "Thrombocytopenia")}
    assert values(store, "SELECT ?type WHERE { r:10012 ade:describesPatient/ade:hasReaction [ ade:reactionName 'Thrombotic microangiopathy' ; "
                         "ade:reactionType ?type ] }") == {("http://purl.obolibrary.org/obo/MONDO_0019737",)}
    assert values(store, "SELECT ?r ?o WHERE { ?r ade:seriousOutcome ?o }") == {
        (REPORT + "10012", ADE + "OutcomeHospitalisation"), (REPORT + "10012", ADE + "OutcomeLifeThreatening"),
        (REPORT + "10031", ADE + "OutcomeDeath")}
    assert values(store, "SELECT ?start ?end ?days WHERE { r:10012 ade:describesPatient/ade:hasExposure ?e . ?e ade:therapyStart ?start ; "
                         "ade:therapyEnd ?end ; ade:therapyDuration/ade:numericValue ?days }") == {
        ("2023-01-05", "2023-03-01", "55")}
    assert values(store, "SELECT ?i WHERE { r:10012 ade:describesPatient/ade:hasExposure/ade:indicationName ?i }") == {("Plasma cell myeloma",)}
    assert values(store, "SELECT ?s WHERE { r:10031 ade:reportSource ?s }") == {(ADE + "SourceHealthProfessional",)}
    assert values(store, "SELECT ?c WHERE { r:10031 ade:reporterCountry ?c }") == {("FR",)}


def test_quarter_graph_has_provenance(tiny):
    store, _ = tiny
    graph = NamedNode("https://w3id.org/adekg/graph/faers/2024Q1")
    assert graph in set(store.named_graphs())
    rows = values(store, """PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?name ?sha ?imported ?rejected WHERE { <https://w3id.org/adekg/graph/faers/2024Q1> prov:wasGeneratedBy ?a ;
        prov:wasDerivedFrom [ ade:fileName ?name ; ade:sha256 ?sha ] . ?a ade:reportsImported ?imported ;
        ade:rowsRejected ?rejected }""")
    assert {row[0] for row in rows} == {"DEMO24Q1.txt", "DRUG24Q1.txt", "REAC24Q1.txt", "OUTC24Q1.txt", "THER24Q1.txt",
                                        "INDI24Q1.txt", "RPSR24Q1.txt", "DELETE24Q1.txt"}
    assert {(row[2], row[3]) for row in rows} == {("3", "4")}
    assert all(len(row[1]) == 64 for row in rows)


def test_corrupt_extract_refused_with_file_and_line(plain_store, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    demo = broken / "ASCII" / "DEMO24Q1.txt"
    demo.write_text(demo.read_text().replace("primaryid$caseid$", "primaryid$case$", 1))
    store = writable_copy(plain_store, tmp_path / "store")
    before = len(store)
    with pytest.raises(ExtractError) as error:
        import_extract(store, find_extract(broken), ONTOLOGY)
    assert "DEMO24Q1.txt: line 1: header lacks caseid" in str(error.value)
    assert len(store) == before


@pytest.mark.parametrize("table", ["DEMO", "DRUG", "REAC"])
def test_an_extract_with_a_table_of_no_rows_is_refused_and_the_quarter_kept(plain_store, tmp_path, table):
    # An extract cut short (a header alone) would otherwise replace the quarter already imported with nothing.
    from graph.faers_import import import_faers
    from .conftest import store_copy
    store_path = store_copy(plain_store, tmp_path / "store")
    import_faers(store_path, TINY, ONTOLOGY, max_bad_fraction=0.5, signals=False, tallies=None)
    quarter = NamedNode("https://w3id.org/adekg/graph/faers/2024Q1")
    before = sum(1 for _ in open_store(store_path).quads_for_pattern(None, None, None, quarter))
    cut = tmp_path / "cut"
    shutil.copytree(TINY, cut)
    path = cut / "ASCII" / f"{table}24Q1.txt"
    path.write_text(path.read_text(encoding="latin-1").splitlines(keepends=True)[0] + "\n", encoding="latin-1")
    with pytest.raises(ExtractError) as refused:
        import_faers(store_path, cut, ONTOLOGY, max_bad_fraction=0.5, signals=False, tallies=None)
    assert f"{table}24Q1.txt: line 2: the {table} table has no rows after its header" in str(refused.value)
    assert sum(1 for _ in open_store(store_path).quads_for_pattern(None, None, None, quarter)) == before > 100


def test_a_header_behind_a_byte_order_mark_is_read(tmp_path):
    marked = tmp_path / "marked"
    shutil.copytree(TINY, marked)
    demo = marked / "ASCII" / "DEMO24Q1.txt"
    demo.write_bytes(b"\xef\xbb\xbf" + demo.read_bytes())
    assert select_reports(find_extract(marked)).kept == select_reports(find_extract(TINY)).kept


def test_too_many_malformed_rows_refused(plain_store, tmp_path):
    # The tiny extract has 4 malformed rows of 29: over the default 1 % limit.
    store = writable_copy(plain_store, tmp_path / "store")
    with pytest.raises(ExtractError) as error:
        import_extract(store, find_extract(TINY), ONTOLOGY)
    assert "4 of 29 rows are malformed" in str(error.value)
    assert "DEMO24Q1.txt: line 7" in str(error.value)


def test_selection_is_bounded_by_cases_not_rows():
    selection = select_reports(find_extract(TINY))
    assert selection.kept == {10012, 10031, 10041}


def shifted_quarter(source: Path, target: Path, quarter: str, deleted: list[int]) -> Path:
    """A copy of an extract as another quarter: its primaryids and caseids moved up by 1,000,000 (so its cases are
    new ones), with a deleted-case list."""
    (target / "ASCII").mkdir(parents=True)
    for path in (source / "ASCII").iterdir():
        lines = path.read_text(encoding="latin-1").splitlines()
        header, rows = lines[0], [line.split("$") for line in lines[1:] if line]
        shift_case = header.lower().split("$")[1] == "caseid"
        for fields in rows:
            fields[0] = str(int(fields[0]) + 1_000_000)
            if shift_case:
                fields[1] = str(int(fields[1]) + 1_000_000)
        name = path.name.replace(path.stem[-4:], quarter[2:4] + quarter[4:])
        (target / "ASCII" / name).write_text("\n".join([header, *("$".join(f) for f in rows)]) + "\n", encoding="latin-1")
    (target / "Deleted").mkdir()
    (target / "Deleted" / f"DELETE{quarter[2:4]}{quarter[4:]}.txt").write_text("".join(f"{case}\n" for case in deleted))
    return target


def test_a_later_quarter_deletes_a_case_from_the_quarters_before_it(built_store, tmp_path):
    # FAERS deletes a case from the whole database: 2025Q2 lists case 5001 of 2025Q1 (report 50011, ixazomib x
    # thrombotic microangiopathy, tests/faers/cq/README.md), so the report leaves 2025Q1's graph and the signals.
    from graph.faers_import import import_faers
    from graph.signals import update_signals

    from .test_faers_competency import EXTRACT as CQ

    store_path = tmp_path / "store"
    shutil.copytree(built_store, store_path, symlinks=True)
    import_faers(store_path, CQ, ONTOLOGY)
    report = import_faers(store_path, shifted_quarter(CQ, tmp_path / "q2", "2025Q2", [5001]), ONTOLOGY)
    assert {graph: len(reports) for graph, reports in report.deleted_elsewhere.items()} == {
        "https://w3id.org/adekg/graph/faers/2025Q1": 1} and report.removed_elsewhere
    assert "  1 reports of cases this extract deletes removed from https://w3id.org/adekg/graph/faers/2025Q1" in report.lines()
    store = open_store(store_path)
    assert not values(store, "SELECT ?s WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(r:50011))) }")
    assert values(store, "SELECT ?s WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(r:50021))) }")  # the others stay
    assert values(store, "SELECT ?n WHERE { GRAPH <https://w3id.org/adekg/graph/build> { ?a ade:reportsDeletedElsewhere ?n } }") \
        >= {("1",)}
    figures = """SELECT ?a ?drug ?event ?total WHERE { ?s ade:signalDrugClass ade:ProteasomeInhibitor ;
        ade:reactionName "Thrombotic microangiopathy" ; ade:reportsWithDrugAndEvent ?a ; ade:reportsWithDrug ?drug ;
        ade:reportsWithEvent ?event ; ade:reportsTotal ?total }"""
    tallied = values(store, figures)
    assert tallied == {("11", "19", "15", "79")}  # 6 + 6 - 1 of 10 + 10 - 1, 8 + 8 - 1, 40 + 40 - 1 reports
    update_signals(store_path, tallies=tmp_path / "no-tallies")  # counted again from the reports in the store
    assert values(open_store(store_path), figures) == tallied


def test_a_quads_file_names_the_reports_of_deleted_cases_it_cannot_remove(built_store, tmp_path):
    from graph.faers_import import import_faers

    from .test_faers_competency import EXTRACT as CQ

    store_path = tmp_path / "store"
    shutil.copytree(built_store, store_path, symlinks=True)
    import_faers(store_path, CQ, ONTOLOGY, signals=False)
    report = import_faers(store_path, shifted_quarter(CQ, tmp_path / "q2", "2025Q2", [5001, 5002]), ONTOLOGY,
                          to_file=tmp_path / "q2.nq")
    assert not report.removed_elsewhere and report.deleted_elsewhere.keys() == {"https://w3id.org/adekg/graph/faers/2025Q1"}
    assert "  2 reports of cases this extract deletes are in https://w3id.org/adekg/graph/faers/2025Q1 and were NOT " \
           "removed (an external store or a quads file: docs/faers.md, 'Deleted cases')" in report.lines()
    assert values(open_store(store_path), "SELECT ?s WHERE { r:50011 ade:faersCaseId ?s }") == {("5001",)}


def test_each_meddra_mapping_row_names_a_term_of_the_ontology_by_its_label(plain_store):
    # ontology/meddra-pt-mapping.tsv's third column is the label its target was checked against: it must still be it.
    import csv

    from graph.terms import expand_curie

    store = open_store(plain_store)
    with (ONTOLOGY / "meddra-pt-mapping.tsv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader((line for line in stream if not line.startswith("#")), delimiter="\t"))
    assert len(rows) >= 18
    for row in rows:
        labels = {r["label"].value for r in store.query(
            f"SELECT ?label WHERE {{ <{expand_curie(row['term'])}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}",
            use_default_graph_as_union=True)}
        assert row["label of the term"] in labels, row
