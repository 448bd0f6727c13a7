"""Disproportionality signals from the spontaneous reports: drug x reaction and drug class x reaction.

Counts are of reports (the latest version of each case): a report counts once for a drug class whatever
number of its members it names. PRR and ROR with their 95 % intervals and the empirical-Bayes geometric
mean (EBGM, EB05, from the Gamma-Poisson shrinker) come from vigipy; the information component (IC) and its
95 % credibility interval are the WHO-UMC shrinkage estimate log2((a + 0.5) / (E + 0.5)) with gamma quantiles
(Norén et al. 2013), computed with scipy.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import math
import uuid
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Quad, Store

from . import __version__
from .faers_mapping import DECIMAL, TYPE as TYPE_TERM, Triple, ade as term, integer as ntriples_integer, iri, slug, text
from .signals_tally import Counts, QuarterTally, folder_of, load
from .terms import ADE, BUILD, BUILD_GRAPH, GRAPH, INFERRED, PROV, RDF, RDFS, XSD, ade

SPARQL = Path(__file__).resolve().parent / "sparql"
SIGNALS_GRAPH = GRAPH + "signals"
TYPE = NamedNode(RDF + "type")


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """When a drug-reaction pair is stored, and when it is flagged as a signal."""

    min_reports: int = 3          # pairs with fewer reports are not stored
    min_signal_reports: int = 5   # nor flagged with fewer than this (rare pairs pass ratio tests by chance)
    prr_lower: float = 1.0        # PRR's 95 % lower bound must exceed this
    ic_lower: float = 0.0         # IC025 must exceed this
    fdr: float = 0.001            # vigipy's local false-discovery rate of PRR, over all observed pairs
    eb05_lower: float = 1.0       # EB05 (the Gamma-Poisson shrinker's 5 % bound, prior fitted on all pairs) must exceed this


def rows(store: Store, name: str):
    """Run one of graph/sparql/*.rq over the union of all graphs."""
    return store.query((SPARQL / f"{name}.rq").read_text(encoding="utf-8"), use_default_graph_as_union=True)


def objects(store: Store, predicate: str) -> Iterator[tuple[str, object]]:
    """(subject IRI, object term) of every triple with one predicate, in any graph (an index scan)."""
    for quad in store.quads_for_pattern(None, ade(predicate), None, None):
        yield quad.subject.value, quad.object


def latest_reports(store: Store) -> tuple[dict[str, tuple[set[str], set[str]]], dict[str, str]]:
    """Each case's latest report version (its suspect ontology drugs and reaction names); reaction classes.

    Index scans per predicate joined in Python: at 10^5-10^6 reports this is far faster than a SPARQL join.
    """
    cases = dict((subject, term.value) for subject, term in objects(store, "faersCaseId"))
    best: dict[str, tuple[int, str]] = {}
    for report, term in objects(store, "caseVersion"):
        if report in cases:
            candidate = (int(term.value), report)
            if best.get(cases[report], candidate) <= candidate:
                best[cases[report]] = candidate
    latest = {report: (set(), set()) for _, report in best.values()}
    suspects = {exposure for exposure, role in objects(store, "exposureRole") if role.value == ADE + "SuspectDrug"}
    report_of_patient = {patient.value: report for report, patient in objects(store, "describesPatient")
                         if report in latest}
    report_of = {exposure.value: report_of_patient[patient] for patient, exposure in objects(store, "hasExposure")
                 if patient in report_of_patient and exposure.value in suspects}
    for exposure, drug in objects(store, "drug"):
        if exposure in report_of:
            latest[report_of[exposure]][0].add(drug.value)
    names = dict((node, term.value) for node, term in objects(store, "reactionName"))
    types = {names[node]: term.value for node, term in objects(store, "reactionType") if node in names}
    for patient, node in objects(store, "hasReaction"):
        if patient in report_of_patient and node.value in names:
            latest[report_of_patient[patient]][1].add(names[node.value])
    return latest, types


def drug_classes(store: Store) -> dict[str, set[str]]:
    """The drug classes each ontology drug belongs to."""
    classes = defaultdict(set)
    for row in rows(store, "drug-classes"):
        classes[row["drug"].value].add(row["class"].value)
    return classes


def count_reports(reports: Iterable[tuple[set[str], set[str]]], classes: dict[str, set[str]]) -> Counts:
    """Count reports per product (drug or class, each once per report), per reaction and per pair."""
    counts = Counts()
    for drugs, reactions in reports:
        counts.total += 1
        products = set(drugs) | {cls for drug in drugs for cls in classes.get(drug, ())}
        counts.per_product.update(products)
        counts.per_reaction.update(reactions)
        counts.per_pair.update((product, reaction) for product in products for reaction in reactions)
    return counts


def statistics(counts: Counts, thresholds: Thresholds):
    """A table (pandas) with one row per stored pair: the 2x2 counts, PRR, ROR, IC, EBGM and their bounds."""
    import numpy
    import pandas as pd
    import vigipy
    from scipy.stats import gamma

    # Every observed pair goes into the statistics (the false-discovery rate is over all of them, and the
    # Gamma-Poisson prior is fitted on all of them); only pairs with enough reports are kept. Sorted, so the
    # prior's fit (a sum over the pairs) does not depend on the order the counts were gathered in.
    pairs = sorted((product, reaction, n) for (product, reaction), n in counts.per_pair.items())
    columns = ["events", "product_aes", "count_across_brands", "ae_name", "product_name"]
    if not pairs:
        return pd.DataFrame(columns=[*columns, "PRR"])
    data = pd.DataFrame({"events": [n for _, _, n in pairs],
                         "product_aes": [counts.per_product[p] for p, _, _ in pairs],
                         "count_across_brands": [counts.per_reaction[r] for _, r, _ in pairs],
                         "ae_name": [r for _, r, _ in pairs], "product_name": [p for p, _, _ in pairs]})
    container = vigipy.DataContainer(data=data, N=counts.total)
    table = data.rename(columns={"events": "a", "product_aes": "drug_reports", "count_across_brands": "event_reports",
                                 "ae_name": "reaction", "product_name": "product"})
    for function, name in ((vigipy.prr, "PRR"), (vigipy.ror, "ROR")):
        result = function(container, min_events=1, continuity_correction=False).all_signals.sort_index()
        table[name], table[f"{name}025"], table[f"{name}975"] = (
            result[name].to_numpy(), result["CI Lower"].to_numpy(), result["CI Upper"].to_numpy())
        table[f"{name}_fdr"], table[f"{name}_p"] = result["fdr"].to_numpy(), result["p_value"].to_numpy()
    # gps ranks its pairs by EBGM under a fresh index: match its rows to ours by product and reaction, not position.
    ebgm = vigipy.gps(container, min_events=1).all_signals.set_index(["Product", "Adverse Event"])
    pairs_in_order = pd.MultiIndex.from_arrays([table["product"], table["reaction"]])
    table["EBGM"] = ebgm["EBGM"].reindex(pairs_in_order).to_numpy()
    table["EB05"] = ebgm["LowerBound"].reindex(pairs_in_order).to_numpy()
    expected = table["drug_reports"] * table["event_reports"] / counts.total
    table["expected"] = expected
    shape, scale = table["a"].to_numpy(dtype=float) + 0.5, 1 / (expected.to_numpy(dtype=float) + 0.5)
    table["IC"] = numpy.log2(shape * scale)
    table["IC025"] = numpy.log2(gamma.ppf(0.025, shape, scale=scale))  # one vectorised call, not one per pair
    table["IC975"] = numpy.log2(gamma.ppf(0.975, shape, scale=scale))
    table["signal"] = ((table["a"] >= thresholds.min_signal_reports) & (table["PRR025"] > thresholds.prr_lower)
                       & (table["IC025"] > thresholds.ic_lower) & (table["PRR_fdr"] < thresholds.fdr)
                       & (table["EB05"] > thresholds.eb05_lower))
    return table[table["a"] >= thresholds.min_reports].reset_index(drop=True)


def signal_node(product: str, reaction: str) -> str:
    """The IRI of the signal for one drug (or class) and reaction name."""
    local = product.rstrip("/").rsplit("/", 1)[-1]
    return f"{INFERRED}signal/{slug(local)}/{slug(reaction)}"


def number(value: float) -> str:
    """An xsd:decimal with 4 significant decimals (infinite bounds are left out by the caller), as N-Triples."""
    return f'"{value:.4f}"{DECIMAL}'


def integer(value: int) -> Literal:
    """An xsd:integer literal."""
    return Literal(str(int(value)), datatype=NamedNode(XSD + "integer"))


def signal_triples(table, counts: Counts, classes: dict[str, set[str]], reaction_types: dict[str, str],
                   activity: str) -> Iterator[Triple]:
    """One ade:DisproportionalitySignal node per stored pair, with counts, figures and provenance (N-Triples terms:
    at 10^5 reports there are hundreds of thousands, which the bulk loader takes far faster than Python objects)."""
    class_iris = {cls for members in classes.values() for cls in members}
    generated_by, activity = iri(PROV + "wasGeneratedBy"), iri(activity)
    for row in table.itertuples(index=False):
        node = iri(signal_node(row.product, row.reaction))
        yield node, TYPE_TERM, term("DisproportionalitySignal")
        yield node, term("signalDrugClass" if row.product in class_iris else "signalDrug"), iri(row.product)
        yield node, term("reactionName"), text(row.reaction)
        if row.reaction in reaction_types:
            yield node, term("reactionType"), iri(reaction_types[row.reaction])
        for prop, value in (("reportsWithDrugAndEvent", row.a), ("reportsWithDrug", row.drug_reports),
                            ("reportsWithEvent", row.event_reports), ("reportsTotal", counts.total)):
            yield node, term(prop), ntriples_integer(value)
        for prop, value in (("prr", row.PRR), ("prrLower", row.PRR025), ("prrUpper", row.PRR975), ("ror", row.ROR),
                            ("rorLower", row.ROR025), ("rorUpper", row.ROR975), ("ic", row.IC), ("icLower", row.IC025),
                            ("icUpper", row.IC975), ("ebgm", row.EBGM), ("eb05", row.EB05)):
            if math.isfinite(value):
                yield node, term(prop), number(value)
        yield node, term("signalDetected"), f'"{"true" if row.signal else "false"}"^^<{XSD}boolean>'
        yield node, generated_by, activity


def activity_quads(activity: NamedNode, thresholds: Thresholds, graphs: list[str], stored: int,
                   started: datetime.datetime) -> Iterator[Quad]:
    """PROV-O for the signal computation: method, thresholds, library versions and the quarter graphs used."""
    graph = NamedNode(BUILD_GRAPH)

    def quad(predicate: str, obj) -> Quad:
        return Quad(activity, NamedNode(predicate), obj, graph)

    yield quad(RDF + "type", NamedNode(PROV + "Activity"))
    yield quad(RDFS + "label", Literal("adekg signals: disproportionality over FAERS reports"))
    yield quad(PROV + "startedAtTime", Literal(started.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime")))
    yield quad(ADE + "method", Literal("PRR and ROR with 95% intervals and GPS EBGM/EB05 (vigipy "
                                       f"{metadata.version('vigipy')}); IC with 95% credibility interval "
                                       "(log2((a+0.5)/(E+0.5)), gamma quantiles, scipy "
                                       f"{metadata.version('scipy')}); counts of reports, latest case versions, "
                                       "suspect drugs (FAERS roles PS, SS, I); a class counts once per report"))
    yield quad(ADE + "thresholds", Literal(f"stored when a >= {thresholds.min_reports}; signal when a >= {thresholds.min_signal_reports}, PRR025 > "
                                           f"{thresholds.prr_lower} and IC025 > {thresholds.ic_lower} and the false-discovery rate of PRR "
                                           f"(over all observed pairs) < {thresholds.fdr} and EB05 > {thresholds.eb05_lower}"))
    yield quad(ADE + "signalsStored", integer(stored))
    yield quad(PROV + "wasAssociatedWith", NamedNode(f"https://w3id.org/adekg/software/adekg/{__version__}"))
    for used in graphs:
        yield quad(PROV + "used", NamedNode(used))
    yield Quad(NamedNode(SIGNALS_GRAPH), NamedNode(PROV + "wasGeneratedBy"), activity, graph)
    yield Quad(NamedNode(SIGNALS_GRAPH), TYPE, NamedNode(PROV + "Entity"), graph)


def ended(provenance: list[Quad]) -> list[Quad]:
    """The signal computation's provenance with its end time (now: once its signals are written)."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    activity = next(quad.subject for quad in provenance if quad.predicate.value == RDF + "type")
    return [*provenance, Quad(activity, NamedNode(PROV + "endedAtTime"), Literal(now, datatype=NamedNode(XSD + "dateTime")),
                              NamedNode(BUILD_GRAPH))]


def faers_graphs(store: Store) -> list[str]:
    """The named graphs that hold imported FAERS quarters."""
    return sorted(graph.value for graph in store.named_graphs() if graph.value.startswith(GRAPH + "faers/"))


def quarter_tallies(store: Store, folder: Path | None, fresh: Iterable[QuarterTally]) -> list[QuarterTally] | None:
    """The import's tally of every FAERS quarter graph in the store, or None if one has none.

    A tally counts for a graph only if the graph's one generating activity (in graph:build) is the import that
    counted it: a graph written again, or by something else, is read from the store instead.
    """
    fresh = {tally.activity: tally for tally in fresh}
    activities = defaultdict(list)
    for row in rows(store, "quarter-activities"):
        activities[row["graph"].value].append(row["activity"].value)
    if not activities or set(activities) != set(faers_graphs(store)):
        return None
    found = []
    for graph, (activity, *others) in activities.items():
        tally = None if others else fresh.get(activity) or (load(folder, graph, activity) if folder else None)
        if tally is None or tally.graph != graph:
            return None
        found.append(tally)
    return found


def tallied_counts(store: Store, classes: dict[str, set[str]], folder: Path | None,
                   fresh: Iterable[QuarterTally]) -> tuple[Counts, dict[str, str]] | None:
    """Counts and reaction classes summed from the imports' tallies, or None where the store must be read.

    The tallies hold when each quarter has its import's tally, the tallies used today's drug classes, and no
    case is in two quarters (each import keeps only the latest version of a case within its quarter).
    """
    tallies = quarter_tallies(store, folder, fresh)
    current = {drug: sorted(members) for drug, members in classes.items()}
    if tallies is None or any(tally.classes != current for tally in tallies):
        return None
    if len(tallies) > 1 and rows(store, "case-in-two-reports"):
        return None
    counts, reaction_types = Counts(), {}
    for tally in tallies:
        counts.add(tally.counts)
        reaction_types.update(tally.reaction_types)
    return counts, reaction_types


def compute_signals(store: Store, thresholds: Thresholds = Thresholds(), folder: Path | None = None,
                    fresh: Iterable[QuarterTally] = ()) -> tuple[list[Triple], list[Quad], object]:
    """The signals graph's triples, their PROV-O in graph:build, and the statistics table, for the reports in a store.

    Counts come from the imports' tallies (`fresh` ones handed over, or those kept in `folder`) where they hold,
    else from the reports in the store; both give the same counts.
    """
    started = datetime.datetime.now(datetime.timezone.utc)
    classes = drug_classes(store)
    tallied = tallied_counts(store, classes, folder, fresh)
    if tallied is None:
        reports, reaction_types = latest_reports(store)
        counts = count_reports(reports.values(), classes)
    else:
        counts, reaction_types = tallied
    table = statistics(counts, thresholds)
    graphs = faers_graphs(store)
    digest = hashlib.sha256("\n".join(graphs).encode()).hexdigest()[:8]
    activity = NamedNode(f"{BUILD}signals-{started.strftime('%Y%m%dT%H%M%SZ')}-{digest}-{uuid.uuid4().hex[:6]}")
    # A stream, not a list: at 10^6 reports the ~1.3 M triples as Python strings would take ~0.4 GB.
    triples = signal_triples(table, counts, classes, reaction_types, activity.value)
    return triples, list(activity_quads(activity, thresholds, graphs, len(table), started)), table


def link_quads(store: Store) -> list[Quad]:
    """Links from the case-report class-level risks to the signal of the same class and event type."""
    text = (SPARQL / "link-signals.rq").read_text(encoding="utf-8")
    graph = NamedNode(SIGNALS_GRAPH)
    return [Quad(t.subject, t.predicate, t.object, graph) for t in store.query(text, use_default_graph_as_union=True)]


def replace_signals(store: Store, thresholds: Thresholds = Thresholds(), folder: Path | None = None,
                    fresh: Iterable[QuarterTally] = ()):
    """Recompute the signals graph of a writable store (and its links to class-level risks); return the table."""
    graph = NamedNode(SIGNALS_GRAPH)
    if graph in set(store.named_graphs()):
        store.remove_graph(graph)
    from .faers_import import write_graph  # the import's chunked bulk loader (it imports this module)
    triples, provenance, table = compute_signals(store, thresholds, folder, fresh)
    write_graph(store, SIGNALS_GRAPH, triples)
    store.bulk_extend(ended(provenance) + link_quads(store))  # one more load, not two: each leaves files every read visits
    return table


def update_signals(store_path: Path, thresholds: Thresholds = Thresholds(), tallies: Path | None = None):
    """Recompute the signals graph in a new generation of the store; return the statistics table.

    The new generation is not compacted: that would rewrite the whole store (minutes at 10^6 reports, several
    times the statistics). Until `adekg optimize` (or the next import) compacts it, every read also visits the
    files the signals were loaded as (docs/faers.md, "Signals and the speed of queries").
    """
    from .remote_store import is_remote, replace_signals as replace_remote_signals
    from .store import derive_generation
    folder = tallies or folder_of(store_path)
    if is_remote(store_path):  # streamed into the external store, read by queries (docs/external-store.md)
        return replace_remote_signals(store_path, thresholds, folder)
    return derive_generation(store_path, lambda store: replace_signals(store, thresholds, folder), compact=False)
