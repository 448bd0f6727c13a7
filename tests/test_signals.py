"""Disproportionality: figures equal a hand-computed 2x2 table; planted signals are found, others are not."""
from __future__ import annotations

import json
import math

import pytest

from graph.faers import find_extract
from graph.faers_import import import_extract
from graph.faers_synth import ontology_drug_keys, synthesize
from graph.signals import Counts, Thresholds, compute_signals, count_reports, statistics

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


@pytest.mark.slow
def test_planted_signals_found_and_unplanted_pairs_not(plain_store, tmp_path):
    drugs = ontology_drug_keys(ONTOLOGY)
    summary = synthesize(tmp_path / "extract", 20_000, drugs, seed=11)
    store = writable_copy(plain_store, tmp_path / "store")
    import_extract(store, find_extract(tmp_path / "extract"), ONTOLOGY)
    _, table = compute_signals(store)
    planted = {(DRUG + drug, item["reaction"]) for item in summary["planted"] for drug in item["drugs"]}
    flagged = {(product, reaction) for product, reaction, signal in zip(table["product"], table["reaction"], table["signal"])
               if signal and product.startswith(DRUG)}
    assert planted <= flagged, f"planted but not found: {planted - flagged}"
    # Chance: tens of thousands of drug-reaction pairs are tested; with seed 11 one rare unplanted pair passes every
    # threshold. A known limit (docs/faers.md): one chance flag is tolerated here, not more.
    assert len(flagged - planted) <= 1, f"flagged but not planted: {flagged - planted}"
    assert json.loads((tmp_path / "extract" / "planted.json").read_text())["cases"] == 20_000
