"""Write a seeded, valid FAERS-format quarterly extract with planted signals of known strength.

FAERS cannot be downloaded here, so tests and benchmarks use this: several drugs per report (the
ontology's drugs, written as FAERS writes them, plus a long tail of unknown names), reactions from a pool of
about 2,000 names, realistic code frequencies, several versions of some cases, deleted cases, a sprinkling
of malformed rows, and planted drug-reaction associations listed in `planted.json`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import random
from pathlib import Path
from typing import Iterator

from .faers import COLUMNS, TABLES

# How FAERS writes some of the ontology's drugs: (prod_ai, drugname); others are written as their label.
WRITTEN_AS = {"ixazomib": ("IXAZOMIB CITRATE", "NINLARO"), "bortezomib": ("BORTEZOMIB", "VELCADE"),
              "carfilzomib": ("CARFILZOMIB", "KYPROLIS"), "lenalidomide": ("LENALIDOMIDE", "REVLIMID"),
              "natalizumab": ("NATALIZUMAB", "TYSABRI"), "imatinib": ("IMATINIB MESYLATE", "GLEEVEC"),
              "dexamethasone": ("DEXAMETHASONE SODIUM PHOSPHATE", "DEXAMETHASONE"),
              "idarubicin": ("IDARUBICIN HYDROCHLORIDE", "IDAMYCIN")}
PLANTED = (  # drugs, reaction, extra probability that a report naming one of the drugs also has the reaction
    (("ixazomib", "bortezomib", "carfilzomib"), "Thrombotic microangiopathy", 0.04),
    (("natalizumab",), "Progressive multifocal leukoencephalopathy", 0.06),
    (("lenalidomide",), "Thrombocytopenia", 0.05),
)
PLANTED_BACKGROUND = ("Thrombotic microangiopathy", "Progressive multifocal leukoencephalopathy", "Thrombocytopenia",
                      "Rash", "Skin exfoliation", "Peripheral sensory neuropathy", "Confusional state")
REACTION_POOL = 2000
TAIL_DRUGS = 400
COUNTRIES = ("US", "US", "US", "JP", "FR", "DE", "GB", "CA", "IT", "ES")
MALFORMED_RATE = 2e-4


@dataclasses.dataclass(frozen=True)
class SynthDrug:
    """A drug as it appears in the extract, and the ontology drug it stands for (None for the long tail)."""

    prod_ai: str
    drugname: str
    key: str | None


def drug_pool(ontology_drugs: list[str]) -> tuple[list[SynthDrug], list[float]]:
    """The drugs reports draw from, with weights: ontology drugs are common, the tail is long and thin."""
    drugs, weights = [], []
    for key in ontology_drugs:
        prod_ai, drugname = WRITTEN_AS.get(key, (key.upper(), key.upper()))
        drugs.append(SynthDrug(prod_ai, drugname, key))
        weights.append(4.0)
    for index in range(TAIL_DRUGS):
        name = f"TAILDRUG {index:04d}"
        drugs.append(SynthDrug(name, name, None))
        weights.append(3.0 / (1 + index) ** 0.8)
    return drugs, weights


def reaction_pool() -> tuple[list[str], list[float]]:
    """About 2,000 reaction names with a Zipf-like frequency; the planted ones have a modest background."""
    names = list(PLANTED_BACKGROUND) + [f"Synthetic reaction {index:04d}"
                                        for index in range(REACTION_POOL - len(PLANTED_BACKGROUND))]
    weights = [0.6] * len(PLANTED_BACKGROUND) + [8.0 / (1 + index) ** 0.9
                                                 for index in range(REACTION_POOL - len(PLANTED_BACKGROUND))]
    return names, weights


class Writer:
    """The seven table files (and the deleted-case list) of one extract, written row by row."""

    def __init__(self, out: Path, quarter: str, stack: contextlib.ExitStack, rng: random.Random):
        ascii_dir = out / "ASCII"
        ascii_dir.mkdir(parents=True, exist_ok=True)
        (out / "Deleted").mkdir(exist_ok=True)
        suffix = f"{quarter[2:4]}Q{quarter[-1]}"
        self.rng = rng
        self.files = {table: stack.enter_context((ascii_dir / f"{table}{suffix}.txt").open("w", encoding="ascii", newline="\n"))
                      for table in TABLES}
        self.deleted = stack.enter_context((out / "Deleted" / f"DELETE{suffix}.txt").open("w", encoding="ascii"))
        self.malformed = 0
        for table, stream in self.files.items():
            stream.write("$".join(COLUMNS[table]) + "\n")

    def row(self, table: str, values: dict[str, str]) -> None:
        """Write one row; now and then a malformed one instead (wrong field count, bad date or bad code)."""
        fields = [str(values.get(name, "")) for name in COLUMNS[table]]
        if self.rng.random() < MALFORMED_RATE:
            self.malformed += 1
            kind = self.rng.randrange(3)
            if kind == 0:
                fields = fields[:-1]
            elif kind == 1:
                fields[2] = "not-a-number" if table != "REAC" else fields[2]
                fields[1] = "12x45"
            else:
                fields[0] = "P" + fields[0]
        self.files[table].write("$".join(fields) + "\n")


def synthesize(out: Path, reports: int, ontology_drugs: list[str], seed: int = 1, quarter: str = "2025Q1",
               strength: float = 1.0) -> dict:
    """Write an extract of `reports` cases into `out`; return (and write as planted.json) what was planted.

    strength multiplies the planted associations' extra probabilities (a small extract needs stronger ones).
    """
    rng = random.Random(seed)
    drugs, drug_weights = drug_pool(ontology_drugs)
    reactions, reaction_weights = reaction_pool()
    planted = [(set(keys), reaction, extra * strength) for keys, reaction, extra in PLANTED
               if set(keys) <= set(ontology_drugs)]
    summary = {"seed": seed, "quarter": quarter, "cases": reports, "versions": 0, "deleted": 0}
    with contextlib.ExitStack() as stack:
        writer = Writer(out, quarter, stack, rng)
        for number in range(reports):
            case = 10_000_000 + number
            versions = 2 if rng.random() < 0.05 else 1
            summary["versions"] += versions
            for version in range(1, versions + 1):
                write_report(writer, rng, case, version, version == versions, drugs, drug_weights, reactions,
                             reaction_weights, planted, quarter)
            if rng.random() < 0.01:
                writer.deleted.write(f"{case}\n")
                summary["deleted"] += 1
        summary["malformed_rows"] = writer.malformed
    summary["planted"] = [{"drugs": sorted(keys), "reaction": reaction, "extra_probability": extra}
                          for keys, reaction, extra in planted]
    (out / "planted.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def write_report(writer: Writer, rng: random.Random, case: int, version: int, latest: bool, drugs, drug_weights,
                 reactions, reaction_weights, planted, quarter: str) -> None:
    """One version of one case: DEMO, its drugs (with therapy and indication), reactions, outcomes, source."""
    primary = f"{case}{version}"
    year = int(quarter[:4])
    month = 3 * (int(quarter[-1]) - 1) + rng.randint(1, 3)
    writer.row("DEMO", demo_values(rng, primary, case, version, year, month))
    chosen = list(dict.fromkeys(rng.choices(drugs, drug_weights, k=rng.choice((1, 1, 2, 2, 3, 4)))))
    for seq, drug in enumerate(chosen, start=1):
        role = "PS" if seq == 1 else rng.choice(("SS", "C", "C", "I"))
        writer.row("DRUG", {"primaryid": primary, "caseid": case, "drug_seq": seq, "role_cod": role,
                            "drugname": drug.drugname, "prod_ai": drug.prod_ai if rng.random() < 0.95 else "",
                            "val_vbm": 1, "route": rng.choice(("ORAL", "INTRAVENOUS", "SUBCUTANEOUS", "")),
                            "dose_vbm": "UNK", "dechal": rng.choice("YNUD "), "rechal": rng.choice("YNUD   ").strip(),
                            "dose_amt": rng.choice(("", "3", "1.3", "25")), "dose_unit": "MG"})
        if rng.random() < 0.5:
            writer.row("THER", {"primaryid": primary, "caseid": case, "dsg_drug_seq": seq,
                                "start_dt": f"{year - 1}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                                "end_dt": "", "dur": rng.choice(("", "28")), "dur_cod": "DAY"})
        if seq == 1:
            writer.row("INDI", {"primaryid": primary, "caseid": case, "indi_drug_seq": seq,
                                "indi_pt": rng.choice(("Plasma cell myeloma", "Multiple sclerosis", "Product used for unknown indication"))})
    names = {drug.key for drug in chosen if drug.key}
    events = set(rng.choices(reactions, reaction_weights, k=rng.choice((1, 1, 2, 3))))
    if latest:  # older versions lack the follow-up's planted reactions: only the latest version counts
        events |= {reaction for keys, reaction, extra in planted if keys & names and rng.random() < extra}
    for event in sorted(events):
        writer.row("REAC", {"primaryid": primary, "caseid": case, "pt": event, "drug_rec_act": ""})
    for code in sorted(set(rng.choices(("HO", "OT", "DE", "LT", "DS", "RI", "CA"), (30, 40, 8, 6, 3, 3, 1),
                                       k=rng.choice((0, 1, 1, 2))))):
        writer.row("OUTC", {"primaryid": primary, "caseid": case, "outc_cod": code})
    if rng.random() < 0.1:
        writer.row("RPSR", {"primaryid": primary, "caseid": case, "rpsr_cod": rng.choice(("HP", "CSM", "LIT", "FGN"))})


def demo_values(rng: random.Random, primary: str, case: int, version: int, year: int, month: int) -> dict:
    """The DEMO row of one report version."""
    age_code = rng.choices(("YR", "DEC", "MON", ""), (85, 5, 2, 8))[0]
    age = {"YR": rng.randint(18, 95), "DEC": rng.randint(2, 9), "MON": rng.randint(1, 23), "": ""}[age_code]
    weight_code = rng.choices(("KG", "LBS", ""), (50, 10, 40))[0]
    return {"primaryid": primary, "caseid": case, "caseversion": version, "i_f_code": "I" if version == 1 else "F",
            "event_dt": f"{year - 1}{rng.randint(1, 12):02d}", "init_fda_dt": f"{year}{month:02d}01",
            "fda_dt": f"{year}{month:02d}{rng.randint(1, 28):02d}", "rept_cod": rng.choice(("EXP", "EXP", "PER", "DIR")),
            "age": age, "age_cod": age_code, "sex": rng.choices(("F", "M", "UNK", ""), (48, 45, 4, 3))[0],
            "wt": rng.randint(40, 120) if weight_code else "", "wt_cod": weight_code,
            "occp_cod": rng.choice(("MD", "HP", "CN", "PH", "OT")), "reporter_country": rng.choice(COUNTRIES),
            "occr_country": rng.choice(COUNTRIES)}


def ontology_drug_keys(ontology_dir: Path) -> list[str]:
    """The keys (IRI local names) of the ontology's drugs, read from the release adekg.owl."""
    from pyoxigraph import NamedNode, RdfFormat, Store

    from .terms import ADE, RDF

    store = Store()
    store.load(path=str(ontology_dir / "adekg.owl"), format=RdfFormat.RDF_XML)
    drugs = store.quads_for_pattern(None, NamedNode(RDF + "type"), NamedNode(ADE + "Drug"))
    return sorted({quad.subject.value.rsplit("/", 1)[-1] for quad in drugs})


def iter_planted(out: Path) -> Iterator[dict]:
    """The planted associations recorded beside an extract."""
    yield from json.loads((out / "planted.json").read_text(encoding="utf-8"))["planted"]
