"""Disproportionality: figures equal a hand-computed 2x2 table; planted signals are found, others are not."""
from __future__ import annotations

import json
import math

import pytest

from graph.faers import find_extract, select_reports
from graph.faers_import import drug_index, extract_triples, import_extract
from graph.faers_synth import ontology_drug_keys, synthesize
from graph.signals import (Counts, Thresholds, compute_signals, count_reports, drug_classes, latest_reports,
                           statistics)
from graph.signals_tally import QuarterTally, ReportTally, load, save

from .conftest import ONTOLOGY
from .test_faers import writable_copy

DRUG = "https://w3id.org/adekg/drug/"


def hand_counts() -> Counts:
    """N = 10,000 reports; drug X in 100, event E in 50, both in 20 (a=20, b=80, c=30, d=9,870)."""
    counts = Counts(total=10_000)
    counts.per_product.update({"X": 100, "Y": 300})
    counts.per_reaction.update({"E": 50, "F": 200})
    counts.per_pair.update({("X", "E"): 20, ("Y", "F"): 5})
    return counts


def test_prr_ror_ic_equal_hand_computed_values():
    table = statistics(hand_counts(), Thresholds(min_reports=3))
    row = table[(table["product"] == "X") & (table["reaction"] == "E")].iloc[0]
    # PRR = (20/100) / (30/9900) = 66; ln-scale SE = sqrt(1/20 - 1/100 + 1/30 - 1/9900) = 0.270614
    assert row["PRR"] == pytest.approx(66.0)
    assert row["PRR025"] == pytest.approx(66.0 * math.exp(-1.96 * 0.270614), rel=1e-3)  # 38.83
    assert row["PRR975"] == pytest.approx(66.0 * math.exp(1.96 * 0.270614), rel=1e-3)   # 112.17
    # ROR = (20 x 9870) / (80 x 30) = 82.25; SE = sqrt(1/20 + 1/80 + 1/30 + 1/9870) = 0.309734
    assert row["ROR"] == pytest.approx(82.25)
    assert row["ROR025"] == pytest.approx(82.25 * math.exp(-1.96 * 0.309734), rel=1e-3)  # 44.82
    assert row["ROR975"] == pytest.approx(82.25 * math.exp(1.96 * 0.309734), rel=1e-3)   # 150.93
    # E = 100 x 50 / 10000 = 0.5; IC = log2(20.5 / 1.0) = 4.3576; IC025 = log2(chi2(0.025, 41) / 2) with
    # chi2(0.025, 41) = 25.215 from tables -> 3.656; IC975 = log2(60.561 / 2) = 4.920.
    assert row["expected"] == pytest.approx(0.5)
    assert row["IC"] == pytest.approx(4.3576, abs=1e-4)
    assert row["IC025"] == pytest.approx(3.656, abs=2e-3)
    assert row["IC975"] == pytest.approx(4.920, abs=2e-3)
    assert row["a"] == 20 and row["drug_reports"] == 100 and row["event_reports"] == 50


def test_ebgm_and_eb05_belong_to_their_own_pair():
    # vigipy's gps returns its pairs ranked by EBGM, not in the order given: A/E (a=9, E=10) sorts first by name but
    # is no signal, X/E (a=20, E=0.5, observed/expected 40) is the strongest. Each pair must get its own figures.
    import pandas as pd
    import vigipy

    counts = hand_counts()
    counts.per_product.update({"A": 2000})
    counts.per_pair.update({("A", "E"): 9})
    table = statistics(counts, Thresholds(min_reports=1)).set_index(["product", "reaction"])
    assert table.loc[("X", "E"), "EB05"] > 1 > table.loc[("A", "E"), "EBGM"]
    pairs = sorted(counts.per_pair.items())
    data = pd.DataFrame({"events": [n for _, n in pairs], "product_aes": [counts.per_product[p] for (p, _), _ in pairs],
                         "count_across_brands": [counts.per_reaction[r] for (_, r), _ in pairs],
                         "ae_name": [r for (_, r), _ in pairs], "product_name": [p for (p, _), _ in pairs]})
    gps = vigipy.gps(vigipy.DataContainer(data=data, N=counts.total), min_events=1).all_signals
    by_pair = gps.set_index(["Product", "Adverse Event"])[["EBGM", "LowerBound"]]
    for pair, (ebgm, eb05) in by_pair.iterrows():
        assert tuple(table.loc[pair, ["EBGM", "EB05"]]) == pytest.approx((ebgm, eb05))


def test_pairs_below_the_minimum_are_not_kept():
    table = statistics(hand_counts(), Thresholds(min_reports=6))
    assert list(zip(table["product"], table["reaction"])) == [("X", "E")]


def test_a_report_counts_once_for_a_class_whatever_number_of_members_it_names():
    classes = {"ixazomib": {"PI"}, "bortezomib": {"PI"}, "lenalidomide": {"IMiD"}}
    counts = count_reports([({"ixazomib", "bortezomib"}, {"TMA"}), ({"lenalidomide"}, {"TMA", "Rash"}),
                            ({"bortezomib"}, {"Rash"})], classes)
    assert counts.total == 3
    assert counts.per_product["PI"] == 2 and counts.per_pair[("PI", "TMA")] == 1
    assert counts.per_product["ixazomib"] == 1 and counts.per_product["bortezomib"] == 2
    assert counts.per_reaction == {"TMA": 2, "Rash": 2}


def planted_extract_signals(plain_store, tmp_path, seed: int):
    """5,000 synthetic cases with the planted associations four times as strong (as many planted reports per drug
    as 20,000 cases at strength 1, which took 50 s), imported and counted: (the planted pairs, the signal table)."""
    summary = synthesize(tmp_path / "extract", 5_000, ontology_drug_keys(ONTOLOGY), seed=seed, strength=4)
    store = writable_copy(plain_store, tmp_path / "store")
    import_extract(store, find_extract(tmp_path / "extract"), ONTOLOGY)
    *_, table = compute_signals(store)
    assert json.loads((tmp_path / "extract" / "planted.json").read_text())["cases"] == 5_000
    return {(DRUG + drug, item["reaction"]) for item in summary["planted"] for drug in item["drugs"]}, table


@pytest.mark.slow
def test_planted_signals_found_and_unplanted_pairs_not(plain_store, tmp_path):
    # Every planted pair is found with seeds 1-11, one chance flag at most.
    planted, table = planted_extract_signals(plain_store, tmp_path, seed=11)
    flagged = {(product, reaction) for product, reaction, signal in zip(table["product"], table["reaction"], table["signal"])
               if signal and product.startswith(DRUG)}
    assert planted <= flagged, f"planted but not found: {planted - flagged}"
    # Chance: thousands of drug-reaction pairs are tested, and now and then a rare unplanted pair passes every
    # threshold (seed 4 of 1-11 here). A known limit (docs/faers.md): one chance flag is tolerated, not more.
    assert len(flagged - planted) <= 1, f"flagged but not planted: {flagged - planted}"


@pytest.mark.slow
def test_eb05_keeps_a_chance_pair_out_that_the_ratio_criteria_let_through(plain_store, tmp_path):
    # Seed 9 (of the seeds 1-11 the test above was tried with): carfilzomib x "Synthetic reaction 0022" passed
    # a >= 5, PRR025 > 1, IC025 > 0 and the false-discovery rate; its EB05 (the shrinker's 5 % bound) is not above 1.
    planted, table = planted_extract_signals(plain_store, tmp_path, seed=9)
    rows = table.set_index(["product", "reaction"])
    chance = rows.loc[(DRUG + "carfilzomib", "Synthetic reaction 0022")]
    assert chance["a"] >= 5 and chance["PRR025"] > 1 and chance["IC025"] > 0 and chance["PRR_fdr"] < 0.001
    assert chance["EB05"] <= 1 and not chance["signal"]
    assert all(rows.loc[pair, "signal"] for pair in planted)


def test_tally_counts_a_report_once_per_drug_class_and_reaction():
    tally = ReportTally()
    tally.reports = 4
    for primaryid, drug in (("1", "ixazomib"), ("1", "bortezomib"), ("1", "ixazomib"), ("2", "lenalidomide"),
                            ("3", "bortezomib")):
        tally.add("drug", primaryid, drug)
    for primaryid, reaction in (("1", "TMA"), ("1", "TMA"), ("2", "TMA"), ("2", "Rash"), ("3", "Rash"), ("4", "Rash")):
        tally.add("reaction", primaryid, reaction)
    counts = tally.counts({"ixazomib": {"PI"}, "bortezomib": {"PI"}, "lenalidomide": {"IMiD"}})
    assert counts.total == 4
    assert counts.per_product == {"PI": 2, "ixazomib": 1, "bortezomib": 2, "lenalidomide": 1, "IMiD": 1}
    assert counts.per_reaction == {"TMA": 2, "Rash": 3}
    assert counts.per_pair == {("PI", "TMA"): 1, ("ixazomib", "TMA"): 1, ("bortezomib", "TMA"): 1,
                               ("PI", "Rash"): 1, ("bortezomib", "Rash"): 1, ("lenalidomide", "TMA"): 1,
                               ("IMiD", "TMA"): 1, ("lenalidomide", "Rash"): 1, ("IMiD", "Rash"): 1}


@pytest.fixture(scope="module")
def synthetic(plain_store, tmp_path_factory):
    """A synthetic extract of 1,500 cases imported into a copy of the seed store, with its import report."""
    folder = tmp_path_factory.mktemp("synthetic")
    synthesize(folder / "extract", 1_500, ontology_drug_keys(ONTOLOGY), seed=3)
    store = writable_copy(plain_store, folder / "store")
    return store, import_extract(store, find_extract(folder / "extract"), ONTOLOGY), folder / "extract"


def test_the_imports_tally_equals_the_counts_read_back_from_the_store(synthetic):
    store, report, _ = synthetic
    reports, reaction_types = latest_reports(store)
    read_back = count_reports(reports.values(), drug_classes(store))
    tallied = report.tally.counts
    assert tallied.total == read_back.total == report.reports
    assert (tallied.total, tallied.per_product, tallied.per_reaction) == (read_back.total, read_back.per_product,
                                                                         read_back.per_reaction)
    assert tallied.per_pair == read_back.per_pair
    assert report.tally.reaction_types == reaction_types


def test_the_tally_counts_drug_classes_as_the_store_read_does(synthetic):
    store, _, folder = synthetic
    extract = find_extract(folder)
    tally = ReportTally()
    for _ in extract_triples(extract, select_reports(extract), drug_index(store), {}, tally):
        pass
    # The seeds built without reasoning infer no drug classes: give the proteasome inhibitors one by hand.
    classes = {DRUG + name: {"PI"} for name in ("ixazomib", "bortezomib", "carfilzomib")}
    reports, _ = latest_reports(store)
    read_back = count_reports(reports.values(), classes)
    assert tally.counts(classes) == read_back
    assert read_back.per_product["PI"] > read_back.per_product[DRUG + "ixazomib"] > 0


def test_signals_from_the_tally_equal_signals_from_the_store(synthetic):
    store, report, _ = synthetic
    *_, from_store = compute_signals(store)
    *_, from_tally = compute_signals(store, fresh=[report.tally])
    assert len(from_tally) > 0
    assert from_tally.equals(from_store)


def test_a_tally_of_other_drug_classes_or_another_import_is_not_used(synthetic):
    store, report, _ = synthetic
    tally = report.tally
    wrong = Counts(total=tally.counts.total + 1000, per_product=tally.counts.per_product,
                   per_reaction=tally.counts.per_reaction, per_pair=tally.counts.per_pair)
    *_, truth = compute_signals(store)
    for stale in (QuarterTally(tally.graph, tally.activity, {**tally.classes, DRUG + "x": [DRUG + "y"]}, wrong,
                               tally.reaction_types),
                  QuarterTally(tally.graph, tally.activity + "-other", tally.classes, wrong, tally.reaction_types)):
        *_, table = compute_signals(store, fresh=[stale])
        assert table.equals(truth)
    *_, used = compute_signals(store, fresh=[QuarterTally(tally.graph, tally.activity, tally.classes, wrong,
                                                         tally.reaction_types)])
    assert not used.equals(truth)  # the same tally with today's classes and this import's activity is used


def test_a_kept_tally_reads_back_whole_and_only_for_its_import(synthetic, tmp_path):
    store, report, _ = synthetic
    save(tmp_path, report.tally)
    assert load(tmp_path, report.tally.graph, report.tally.activity) == report.tally
    assert load(tmp_path, report.tally.graph, report.tally.activity + "-later") is None
    *_, from_file = compute_signals(store, folder=tmp_path)
    *_, from_store = compute_signals(store)
    assert from_file.equals(from_store)
    tally = report.tally  # the same tally with another total is used as it is: the file, not the store, was read
    save(tmp_path / "other", QuarterTally(tally.graph, tally.activity, tally.classes,
                                          Counts(tally.counts.total + 1000, tally.counts.per_product,
                                                 tally.counts.per_reaction, tally.counts.per_pair),
                                          tally.reaction_types))
    *_, from_other = compute_signals(store, folder=tmp_path / "other")
    assert not from_other.equals(from_store)


def test_an_external_store_keeps_its_tallies_in_a_local_folder_named_by_its_url(tmp_path):
    from graph.signals_tally import folder_of
    first, second = (folder_of(url, tmp_path) for url in ("http://127.0.0.1:1/sparql", "http://127.0.0.1:2/sparql"))
    assert first.parent == second.parent == tmp_path / "faers-tallies" and first != second
    assert folder_of("http://127.0.0.1:1/sparql") is None  # without a cache: the signals count the store's reports
    assert folder_of(tmp_path / "store", tmp_path / "cache") == tmp_path / "store" / "faers-tallies"
