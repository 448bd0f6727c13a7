"""Normalise the drug names of spontaneous reports to the ontology's drugs, and reaction names to its classes."""
from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from pathlib import Path

from .terms import expand_curie

# Salt, ester and hydrate words that FAERS names carry after the active moiety ("IXAZOMIB CITRATE").
SALT_WORDS = {
    "ACETATE", "BESYLATE", "BESILATE", "BROMIDE", "CALCIUM", "CITRATE", "DIHYDRATE", "DIPROPIONATE", "DISODIUM",
    "FUMARATE", "HCL", "HYDROBROMIDE", "HYDROCHLORIDE", "HYDRATE", "MALEATE", "MESYLATE", "MESILATE", "MONOHYDRATE",
    "PHOSPHATE", "POTASSIUM", "SODIUM", "SUCCINATE", "SULFATE", "SULPHATE", "TARTRATE", "TRIHYDRATE", "ANHYDROUS",
    "MAGNESIUM", "PALMITATE", "PROPIONATE", "VALERATE", "SODIUM PHOSPHATE", "HEMIFUMARATE", "LACTATE", "TOSYLATE",
    "MALATE", "GLUCONATE", "BITARTRATE", "NITRATE", "OXALATE", "PAMOATE", "DECANOATE", "HYCLATE", "BENZOATE",
}
# FAERS separates the ingredients of a combination product with a backslash; reporters also write these.
COMBINATION = re.compile(r"\s*(?:\\|/|\+|;|,|\bAND\b|\bWITH\b)\s*")
NOISE = re.compile(r"\(.*?\)|\[.*?\]|[^A-Z0-9 \-]")
# What reporters put in brackets is often the ingredient of a brand name: "VELCADE (BORTEZOMIB)".
BRACKETED = re.compile(r"\((.*?)\)|\[(.*?)\]")
# The four-letter suffix of a US biosimilar's nonproprietary name: "BEVACIZUMAB-AWWB" is bevacizumab.
BIOSIMILAR_SUFFIX = re.compile(r"-[A-Z]{4}$")
MAPPING_FILE = "meddra-pt-mapping.tsv"


def moiety(name: str) -> str:
    """One ingredient name reduced to its active moiety: upper case, no brackets, no salt or hydrate words."""
    words = NOISE.sub(" ", name.upper()).split()
    strength = next((index for index, word in enumerate(words) if index and word[0].isdigit()), None)
    words = words[:strength]  # "DEXAMETHASONE 20 MG": the strength and what follows it are not the name
    while words and words[-1] in SALT_WORDS:
        words.pop()
    return " ".join(words)


class DrugIndex:
    """Ontology drugs by normalised name; records the names it could not match, most frequent first."""

    def __init__(self, names: dict[str, str]):
        self.by_name = {moiety(name): drug for name, drug in names.items() if moiety(name)}
        self.unmatched: Counter[str] = Counter()
        # Extracts repeat a few thousand product names millions of times: remember what each one names.
        self.drugs_named = functools.lru_cache(maxsize=65536)(self.drugs_named)

    def match(self, active_ingredient: str, drug_name: str) -> list[str]:
        """The ontology drugs a reported product names: the active ingredient first, then the drug name."""
        found = self.drugs_named(active_ingredient, drug_name)
        if not found:
            self.unmatched[" ".join((active_ingredient or drug_name).upper().split())] += 1
        return found

    def drugs_named(self, active_ingredient: str, drug_name: str) -> list[str]:
        """The ontology drugs named by the active ingredient, else by the drug name, else by what either holds in
        brackets (none if nothing matches)."""
        texts = [active_ingredient, drug_name]
        texts += [inner for text in texts for pair in BRACKETED.findall(text.upper()) for inner in pair if inner]
        for text in texts:
            if not text:
                continue
            parts = [moiety(part) for part in COMBINATION.split(text.upper()) if part.strip()]
            found = [self.by_name.get(part) or self.by_name.get(BIOSIMILAR_SUFFIX.sub("", part)) for part in parts]
            if any(found):
                return list(dict.fromkeys(drug for drug in found if drug))
        return []


def load_reaction_mapping(ontology_dir: Path) -> dict[str, str]:
    """MedDRA preferred-term name (case-folded) -> ontology class IRI, from ontology/meddra-pt-mapping.tsv."""
    mapping = {}
    with (ontology_dir / MAPPING_FILE).open(encoding="utf-8") as stream:
        lines = (line for line in stream if not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t"):
            iri = expand_curie(row["term"])
            if iri is None:
                raise ValueError(f"{MAPPING_FILE}: {row['term']!r} is not a CURIE with a known prefix")
            mapping[row["preferred_term"].casefold()] = iri
    return mapping
