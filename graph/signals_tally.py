"""The import's own report counts for the signals: tallied while the rows stream past, kept beside the store.

Reading the reports back from the store costs a RocksDB lookup per IRI or string (tens of microseconds each,
several per report), far more than the statistics; the import already holds every kept report's suspect drugs
and reactions, so it counts them there. What is kept is bounded by drugs x reactions, not by reports: the
counts per drug or drug class, per reaction and per pair, the total, and the drug classes the class counts used.

A tally is stored as JSON in <store>/faers-tallies/ (for an external store, in a local folder named by its URL,
~/.cache/adekg/faers-tallies/<hash> by default: see folder_of), named by the import activity that wrote the quarter graph,
so a tally is used only for the very graph it was counted from (graph/signals.py checks the activity, the
drug classes, and that no case is in two quarters, and reads the store otherwise).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from array import array
from collections import Counter
from pathlib import Path

SUSPECT_ROLES = {"PS", "SS", "I"}  # FAERS roles mapped to ade:SuspectDrug (graph/faers_mapping.py ROLE)
FOLDER = "faers-tallies"
FORMAT = 1


@dataclasses.dataclass
class Counts:
    """Report counts: in total, per drug or class, per reaction, per pair."""

    total: int = 0
    per_product: Counter = dataclasses.field(default_factory=Counter)
    per_reaction: Counter = dataclasses.field(default_factory=Counter)
    per_pair: Counter = dataclasses.field(default_factory=Counter)

    def add(self, other: "Counts") -> None:
        """Add the counts of reports disjoint from these (another quarter's)."""
        self.total += other.total
        self.per_product.update(other.per_product)
        self.per_reaction.update(other.per_reaction)
        self.per_pair.update(other.per_pair)


@dataclasses.dataclass
class QuarterTally:
    """One quarter graph's counts, the import activity that wrote the graph, and the classes the counts used."""

    graph: str
    activity: str
    classes: dict[str, list[str]]
    counts: Counts
    reaction_types: dict[str, str]

    def remove_reports(self, reports: list[tuple[set[str], set[str]]]) -> None:
        """Take out reports this tally counted, each given by its suspect drugs and its reaction names."""
        counts = self.counts
        for drugs, reactions in reports:
            products = set(drugs) | {cls for drug in drugs for cls in self.classes.get(drug, ())}
            counts.total -= 1
            counts.per_product.subtract(products)
            counts.per_reaction.subtract(reactions)
            counts.per_pair.subtract((product, reaction) for product in products for reaction in reactions)
        for counter in (counts.per_product, counts.per_reaction, counts.per_pair):
            for key in [key for key, n in counter.items() if n <= 0]:
                del counter[key]


class ReportTally:
    """Suspect ontology drugs and reactions of the kept reports, gathered row by row in compact arrays."""

    def __init__(self) -> None:
        self.reports = 0
        self.codes: dict[str, dict[str, int]] = {"drug": {}, "reaction": {}}
        self.rows = {"drug": (array("q"), array("q")), "reaction": (array("q"), array("q"))}

    def add(self, kind: str, primaryid: str, name: str) -> None:
        """Note that report `primaryid` names a suspect drug (kind "drug") or a reaction (kind "reaction")."""
        codes = self.codes[kind]
        code = codes.setdefault(name, len(codes))
        reports, values = self.rows[kind]
        reports.append(int(primaryid))
        values.append(code)

    def add_drug_row(self, row: dict[str, str], drugs: list[str]) -> None:
        """A DRUG row: its ontology drugs count when its role is a suspect one."""
        if row["role_cod"].upper() in SUSPECT_ROLES:
            for drug in drugs:
                self.add("drug", row["primaryid"], drug)

    def counts(self, classes: dict[str, set[str]]) -> Counts:
        """Count reports per product (drug or class, once per report), per reaction and per pair."""
        import numpy
        from scipy import sparse

        drug_reports, drug_codes = (numpy.frombuffer(column, dtype=numpy.int64) for column in self.rows["drug"])
        reaction_reports, reaction_codes = (numpy.frombuffer(column, dtype=numpy.int64) for column in self.rows["reaction"])
        drugs, reactions = list(self.codes["drug"]), list(self.codes["reaction"])
        products = list(dict.fromkeys([*drugs, *sorted({cls for drug in drugs for cls in classes.get(drug, ())})]))
        position = {product: index for index, product in enumerate(products)}
        # drug -> product incidence: a drug stands for itself and for each of its classes
        links = [(index, position[product]) for index, drug in enumerate(drugs)
                 for product in [drug, *sorted(classes.get(drug, ()))]]
        membership = sparse.csr_matrix((numpy.ones(len(links)), ([d for d, _ in links], [p for _, p in links])),
                                       shape=(len(drugs), len(products)))
        _, rows = numpy.unique(numpy.concatenate([drug_reports, reaction_reports]), return_inverse=True)
        height = int(rows.max()) + 1 if len(rows) else 0

        def incidence(report_rows, codes, width):
            matrix = sparse.csr_matrix((numpy.ones(len(codes)), (report_rows, codes)), shape=(height, width))
            matrix.data[:] = 1  # a report names a drug or a reaction once, however many rows repeat it
            return matrix

        per_drug = incidence(rows[:len(drug_reports)], drug_codes, len(drugs))
        per_product = (per_drug @ membership).tocsr()
        per_product.data[:] = 1  # a report counts once for a class, whatever number of its members it names
        per_reaction = incidence(rows[len(drug_reports):], reaction_codes, len(reactions))
        pairs = (per_product.T @ per_reaction).tocoo()
        counts = Counts(total=self.reports)
        counts.per_product.update({products[i]: int(n) for i, n in enumerate(per_product.sum(axis=0).A1) if n})
        counts.per_reaction.update({reactions[i]: int(n) for i, n in enumerate(per_reaction.sum(axis=0).A1) if n})
        counts.per_pair.update({(products[p], reactions[r]): int(n) for p, r, n in zip(pairs.row, pairs.col, pairs.data)})
        return counts


def folder_of(store_path, cache: Path | None = None) -> Path | None:
    """Where a store's tallies are kept: <store>/faers-tallies; for an external store (a URL), a folder named by
    its URL under `cache` (none without one: its signals then count the reports the store holds)."""
    from .remote_store import is_remote
    if not is_remote(store_path):
        return Path(store_path) / FOLDER
    return None if cache is None else cache / FOLDER / hashlib.sha256(str(store_path).encode()).hexdigest()[:16]


def file_of(folder: Path, activity: str) -> Path:
    """The tally file of one import activity."""
    return folder / f"{hashlib.sha256(activity.encode()).hexdigest()[:32]}.json"


def save(folder: Path, tally: QuarterTally) -> None:
    """Write a quarter's tally (atomically: a reader sees the whole file or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = tally.counts
    document = {"format": FORMAT, "graph": tally.graph, "activity": tally.activity, "classes": tally.classes,
                "total": counts.total, "per_product": counts.per_product, "per_reaction": counts.per_reaction,
                "per_pair": [[product, reaction, n] for (product, reaction), n in counts.per_pair.items()],
                "reaction_types": tally.reaction_types}
    target = file_of(folder, tally.activity)
    temporary = target.with_suffix(f".tmp-{os.getpid()}")
    temporary.write_text(json.dumps(document), encoding="utf-8")
    os.replace(temporary, target)


def load(folder: Path, graph: str, activity: str) -> QuarterTally | None:
    """The tally counted by `activity` for `graph`, or None if there is none (or it is unreadable)."""
    path = file_of(folder, activity)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if document.get("format") != FORMAT or document.get("graph") != graph or document.get("activity") != activity:
        return None
    counts = Counts(total=document["total"], per_product=Counter(document["per_product"]),
                    per_reaction=Counter(document["per_reaction"]),
                    per_pair=Counter({(product, reaction): n for product, reaction, n in document["per_pair"]}))
    return QuarterTally(graph, activity, document["classes"], counts, document["reaction_types"])
