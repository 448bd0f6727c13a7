"""Import one FAERS quarterly extract into its own named graph, with PROV-O and an import report."""
from __future__ import annotations

import dataclasses
import datetime
import concurrent.futures
import itertools
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store

from . import __version__
from .drug_names import DrugIndex, load_reaction_mapping
from .faers import BadRow, Extract, Selection, Tally, find_extract, kept_rows, refuse_if_corrupt, select_reports
from .faers_mapping import (Triple, demo_triples, drug_triples, indication_triples, outcome_triples, quarter_graph,
                            reaction_triples, source_triples, therapy_triples)
from .provenance import file_entity_quads, forget_graph_update
from .signals import drug_classes
from .signals_tally import QuarterTally, ReportTally
from .terms import ADE, BUILD, BUILD_GRAPH, PROV, RDF, RDFS, XSD

SPARQL = Path(__file__).resolve().parent / "sparql"
SOFTWARE = NamedNode(f"https://w3id.org/adekg/software/adekg/{__version__}")
MAX_BAD_FRACTION = 0.01
CHUNK_TRIPLES = 250_000  # per bulk_load call: about 0.3 GiB of loader memory
DELETED_CASES_PER_QUERY = 200  # case numbers in one VALUES block of reports-of-cases.rq


@dataclasses.dataclass
class ImportReport:
    """What an import kept, dropped and could not match."""

    quarter: str
    reports: int
    superseded: int
    deleted: int
    bad_rows: list[BadRow]
    unmatched_drugs: list[tuple[str, int]]
    rows_rejected: int = 0
    triples: int = 0
    tally: QuarterTally | None = dataclasses.field(default=None, repr=False)  # the signals' counts, for signals.py
    # Reports of cases this extract deletes, found in other quarter graphs: by graph, what each one's tally counted
    # (its suspect drugs and reactions); `removed_elsewhere` says whether they were removed there.
    deleted_elsewhere: dict[str, list[tuple[set[str], set[str]]]] = dataclasses.field(default_factory=dict, repr=False)
    removed_elsewhere: bool = False

    def document(self) -> dict:
        """The whole report as JSON-ready data: every kept malformed row and every unmatched name with its count."""
        return {"quarter": self.quarter, "reports_imported": self.reports, "older_versions_dropped": self.superseded,
                "deleted_reports_dropped": self.deleted, "malformed_rows_skipped": self.rows_rejected,
                "triples": self.triples,
                "malformed_rows": [dataclasses.asdict(row) for row in self.bad_rows],
                "unmatched_drug_names": [{"name": name, "rows": count} for name, count in self.unmatched_drugs],
                "reports_of_deleted_cases_elsewhere": {graph: len(reports) for graph, reports
                                                       in sorted(self.deleted_elsewhere.items())},
                "removed_elsewhere": self.removed_elsewhere}

    def lines(self, top: int = 20) -> list[str]:
        """The report as printable lines: counts, the first malformed rows, the most frequent unmatched names."""
        out = [f"{self.quarter}: {self.reports} reports imported, {self.superseded} older case versions and "
               f"{self.deleted} reports of deleted cases dropped, {self.rows_rejected} malformed rows skipped"]
        for graph, reports in sorted(self.deleted_elsewhere.items()):
            out.append(f"  {len(reports)} reports of cases this extract deletes removed from {graph}" if self.removed_elsewhere
                       else f"  {len(reports)} reports of cases this extract deletes are in {graph} and were NOT removed "
                            f"(an external store or a quads file: docs/faers.md, 'Deleted cases')")
        out += [f"  skipped {row}" for row in self.bad_rows[:top]]
        if self.unmatched_drugs:
            out.append(f"  {len(self.unmatched_drugs)} drug names not in the ontology (kept as text), most frequent:")
            out += [f"  {count:>8}  {name}" for name, count in self.unmatched_drugs[:top]]
        return out


def drug_index(store: Store) -> DrugIndex:
    """The ontology's drugs by every name they have, read from the store's ontology graph."""
    names = {}
    for row in store.query((SPARQL / "drug-names.rq").read_text(encoding="utf-8")):
        names[row["name"].value] = row["drug"].value
    return DrugIndex(names)


def extract_triples(extract: Extract, selection: Selection, drugs: DrugIndex,
                    reactions: dict[str, str], tally: ReportTally) -> Iterator[Triple]:
    """Every triple of the kept reports of one extract, table by table (streamed); the signals' counts in `tally`."""
    # DEMO is read a second time; its rows were already counted (and its malformed rows reported) by select_reports.
    for row in kept_rows(extract, "DEMO", selection, Tally()):
        tally.reports += 1
        yield from demo_triples(row)
    for row in kept_rows(extract, "DRUG", selection):
        matched = drugs.match(row.get("prod_ai", ""), row["drugname"])
        tally.add_drug_row(row, matched)
        yield from drug_triples(row, matched)
    for row in kept_rows(extract, "REAC", selection):
        tally.add("reaction", row["primaryid"], row["pt"])
        yield from reaction_triples(row, reactions.get(row["pt"].casefold()))
    for table, mapper in (("OUTC", outcome_triples), ("RPSR", source_triples), ("THER", therapy_triples),
                          ("INDI", indication_triples)):
        for row in kept_rows(extract, table, selection):
            yield from mapper(row)


def reports_of_deleted_cases(store, cases: frozenset[int], quarter: str) -> dict[str, list[str]]:
    """The reports of these cases in quarter graphs other than `quarter` (an earlier import of them), by graph."""
    text = (SPARQL / "reports-of-cases.rq").read_text(encoding="utf-8")
    found, ordered = defaultdict(list), sorted(cases)
    for start in range(0, len(ordered), DELETED_CASES_PER_QUERY):
        values = " ".join(str(case) for case in ordered[start:start + DELETED_CASES_PER_QUERY])
        for row in store.query(text.replace("WHERE {", f"WHERE {{ VALUES ?case {{ {values} }}", 1)):
            if row["graph"].value != quarter:
                found[row["graph"].value].append(row["report"].value)
    return dict(found)


def report_quads(store: Store, report: str, graph: str) -> list[Quad]:
    """Every quad of one FAERS report in its graph: the report and the nodes under its IRI (patient, exposures...)."""
    quads, pending, seen, target = [], [NamedNode(report)], set(), NamedNode(graph)
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            for quad in store.quads_for_pattern(node, None, None, target):
                quads.append(quad)
                if isinstance(quad.object, NamedNode) and quad.object.value.startswith(report + "/"):
                    pending.append(quad.object)
    return quads


def counted_in_tally(quads: list[Quad]) -> tuple[set[str], set[str]]:
    """What a report's import tally counted: its suspect ontology drugs and its reaction names."""
    suspects = {quad.subject for quad in quads
                if quad.predicate.value == ADE + "exposureRole" and quad.object.value == ADE + "SuspectDrug"}
    drugs = {quad.object.value for quad in quads if quad.predicate.value == ADE + "drug" and quad.subject in suspects}
    return drugs, {quad.object.value for quad in quads if quad.predicate.value == ADE + "reactionName"}


def remove_deleted_elsewhere(store, cases: frozenset[int], quarter: str) -> tuple[dict, bool]:
    """Remove from the other quarter graphs the reports of cases an extract deletes (FAERS deletes a case from the
    whole database); by graph, what each removed report counted in its tally. A writer that cannot remove single
    triples (an external store, a quads file) only finds them: (found, False)."""
    found = reports_of_deleted_cases(store, cases, quarter) if cases else {}
    removable = isinstance(store, Store)
    counted = {}
    for graph, reports in found.items():
        counted[graph] = []
        for report in reports:
            quads = report_quads(store, report, graph) if removable else []
            counted[graph].append(counted_in_tally(quads))
            for quad in quads:
                store.remove(quad)
    return counted, removable


def ntriples_chunks(triples: Iterable[Triple], size: int = CHUNK_TRIPLES) -> Iterator[tuple[bytes, int]]:
    """N-Triples text of `size` triples at a time (and how many it holds), from triples of N-Triples terms."""
    triples = iter(triples)
    while lines := [f"{s} {p} {o} .\n" for s, p, o in itertools.islice(triples, size)]:
        yield "".join(lines).encode("utf-8"), len(lines)


def write_graph(store: Store, graph: str, triples: Iterable[Triple]) -> int:
    """Bulk-load triples (N-Triples terms) into one named graph of a writable store; return how many.

    The one place where the import hands its data to the store. Chunk by chunk: the bulk loader's memory grows
    with what one call loads, so this bounds it whatever the extract's size; the loader runs in a thread (it
    releases the GIL) while the next chunk is made. The quarter's graph is whole or not there, because the caller
    writes into a new generation that is published only when everything succeeded.
    """
    target, count, loading = NamedNode(graph), 0, None
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as loader:
        for chunk, size in ntriples_chunks(triples):
            if loading is not None:
                loading.result()
            # lenient: the text is this module's own N-Triples (ids checked as digits, slugs, escaped literals,
            # checked dates), so the loader's IRI validation would only repeat that (6-8 % of the import's CPU at 10^5 reports).
            loading = loader.submit(store.bulk_load, chunk, RdfFormat.N_TRIPLES, to_graph=target, lenient=True)
            count += size
        if loading is not None:
            loading.result()
    return count


def import_activity(extract: Extract, started: datetime.datetime) -> NamedNode:
    """The IRI of one import of a quarter (unique: its tally is named by it)."""
    return NamedNode(f"{BUILD}faers-import-{extract.quarter}-{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}")


def provenance_quads(extract: Extract, report: ImportReport, started: datetime.datetime,
                     activity: NamedNode) -> Iterator[Quad]:
    """PROV-O: the quarter graph was generated by this import from these files (with SHA-256), with counts."""
    graph, named = NamedNode(BUILD_GRAPH), NamedNode(quarter_graph(extract.quarter))

    def quad(subject, predicate: str, obj) -> Quad:
        return Quad(subject, NamedNode(predicate), obj, graph)

    def integer(value: int) -> Literal:
        return Literal(str(value), datatype=NamedNode(XSD + "integer"))

    now = datetime.datetime.now(datetime.timezone.utc)
    yield quad(activity, RDF + "type", NamedNode(PROV + "Activity"))
    yield quad(activity, RDFS + "label", Literal(f"adekg import-faers {extract.quarter}"))
    yield quad(activity, PROV + "startedAtTime", Literal(started.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime")))
    yield quad(activity, PROV + "endedAtTime", Literal(now.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime")))
    yield quad(activity, PROV + "wasAssociatedWith", SOFTWARE)
    removed = sum(map(len, report.deleted_elsewhere.values())) if report.removed_elsewhere else 0
    for prop, value in (("reportsImported", report.reports), ("reportsSuperseded", report.superseded),
                        ("reportsDeleted", report.deleted), ("reportsDeletedElsewhere", removed),
                        ("rowsRejected", report.rows_rejected), ("unmatchedDrugNames", len(report.unmatched_drugs))):
        yield quad(activity, ADE + prop, integer(value))
    yield quad(named, RDF + "type", NamedNode(PROV + "Entity"))
    yield quad(named, RDFS + "label", Literal(f"FAERS spontaneous reports, quarter {extract.quarter}"))
    yield quad(named, PROV + "wasGeneratedBy", activity)
    yield quad(named, PROV + "generatedAtTime", Literal(now.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime")))
    for path in [*extract.tables.values(), *extract.deleted]:
        yield from file_entity_quads(activity, path, graph, derived=[named])


def import_extract(store: Store, extract: Extract, ontology_dir: Path,
                   max_bad_fraction: float = MAX_BAD_FRACTION) -> ImportReport:
    """Replace the quarter's graph in a writable store with the extract's kept reports; return the report.

    The caller writes into a fresh generation and publishes it only if this returns, so a failure (a corrupt
    extract is found out only once it has been read) leaves the served store as it was.
    """
    started = datetime.datetime.now(datetime.timezone.utc)
    activity = import_activity(extract, started)
    selection = select_reports(extract)
    drugs, reactions = drug_index(store), load_reaction_mapping(ontology_dir)
    graph = quarter_graph(extract.quarter)
    if NamedNode(graph) in set(store.named_graphs()):
        store.remove_graph(NamedNode(graph))
        # what graph:build said of the old graph goes with it, else the graph names every import ever made of the
        # quarter and the signals find no one tally for it
        store.update(forget_graph_update(graph))
    deleted_elsewhere, removed = remove_deleted_elsewhere(store, selection.deleted_cases, graph)
    tally = ReportTally()
    triples = write_graph(store, graph, extract_triples(extract, selection, drugs, reactions, tally))
    refuse_if_corrupt(selection.tally, max_bad_fraction)
    classes = drug_classes(store)
    counted = QuarterTally(graph, activity.value, {drug: sorted(members) for drug, members in classes.items()},
                           tally.counts(classes), {name: reactions[name.casefold()] for name in tally.codes["reaction"]
                                                   if name.casefold() in reactions})
    report = ImportReport(extract.quarter, len(selection.kept), selection.superseded, selection.deleted,
                          selection.tally.bad_rows, drugs.unmatched.most_common(), selection.tally.rejected, triples,
                          counted, deleted_elsewhere, removed)
    store.bulk_extend(provenance_quads(extract, report, started, activity))
    return report


def import_faers(store_path: Path, folder: Path, ontology_dir: Path, max_bad_fraction: float = MAX_BAD_FRACTION,
                 signals: bool = True, tallies: Path | None = None, to_file: Path | None = None) -> ImportReport:
    """Import one quarterly extract into a new generation of the store (and recompute the signals); publish it.

    With `to_file`, the store is only read (drug names and classes) and the quarter's graph and its provenance go
    to that N-Quads file instead, for the store's own bulk loader; no signals (the reports are not in the store yet).
    """
    from .remote_store import import_faers as import_into_external_store, is_remote
    from .signals import replace_signals
    from .signals_tally import folder_of, save
    from .store import derive_generation

    extract = find_extract(folder)
    tallies = tallies or folder_of(store_path)
    if to_file is not None:
        return import_to_file(store_path, extract, ontology_dir, max_bad_fraction, tallies, to_file)
    if is_remote(store_path):  # streamed into staging graphs of the external store, no local copy of it
        return import_into_external_store(store_path, extract, ontology_dir, max_bad_fraction, signals, tallies)

    def change(store: Store) -> tuple[ImportReport, list[QuarterTally]]:
        report = import_extract(store, extract, ontology_dir, max_bad_fraction)
        reduced = tallies_without(store, tallies, report.deleted_elsewhere)
        if signals:
            replace_signals(store, folder=tallies, fresh=[report.tally, *reduced])
        return report, reduced

    report, reduced = derive_generation(store_path, change)
    if tallies is not None:  # kept once the quarter graph is published; named by the import that counted it
        for tally in [report.tally, *reduced]:
            save(tallies, tally)
    return report


def tallies_without(store: Store, folder: Path | None, removed: dict[str, list]) -> list[QuarterTally]:
    """The tallies of the quarter graphs reports were removed from, without those reports (none for a quarter whose
    tally is not kept: its signals then count the reports in the store)."""
    from .signals import rows
    from .signals_tally import load
    if folder is None or not removed:
        return []
    made_by = {row["graph"].value: row["activity"].value for row in rows(store, "quarter-activities")}
    reduced = []
    for graph, reports in removed.items():
        tally = load(folder, graph, made_by[graph]) if graph in made_by else None
        if tally is not None:
            tally.remove_reports(reports)
            reduced.append(tally)
    return reduced


def import_to_file(store_path, extract: Extract, ontology_dir: Path, max_bad_fraction: float, tallies: Path | None,
                   target: Path) -> ImportReport:
    """Write one extract's quarter graph and provenance as N-Quads to `target`, reading the store; keep the tally."""
    from .quads_file import write_quads_file
    from .remote_store import RemoteQueries, is_remote
    from .signals_tally import save
    from .store import open_store

    reader = RemoteQueries(store_path) if is_remote(store_path) else open_store(store_path)
    report = write_quads_file(target, reader, lambda writes: import_extract(writes, extract, ontology_dir,
                                                                             max_bad_fraction))
    if tallies is not None:  # used by `adekg signals` only once the store holds this import's provenance
        save(tallies, report.tally)
    return report
