"""Map FAERS rows to RDF on the adekg ontology: pure generators of N-Triples terms, no I/O, no state.

One quarter is one named graph (`graph:faers/2023Q1`); a report is `data:faers/report/<primaryid>`. The
terms are N-Triples text rather than pyoxigraph objects because an extract holds tens of millions of
triples: the store's bulk loader parses text far faster than Python can build term objects.
"""
from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Iterator

from .terms import ADE, DATA, GRAPH, RDF, XSD

FAERS_DATA = DATA + "faers/"
ROLE = {"PS": "SuspectDrug", "SS": "SuspectDrug", "I": "SuspectDrug", "C": "ConcomitantDrug"}
SEX = {"F": "Female", "M": "Male"}
CHALLENGE = {"Y": "ChallengePositive", "N": "ChallengeNegative", "U": "ChallengeUnknown", "D": "ChallengeNotApplicable"}
OUTCOME = {"DE": "OutcomeDeath", "LT": "OutcomeLifeThreatening", "HO": "OutcomeHospitalisation",
           "DS": "OutcomeDisability", "CA": "OutcomeCongenitalAnomaly", "RI": "OutcomeRequiredIntervention",
           "OT": "OutcomeOtherSerious"}
SOURCE = {"FGN": "SourceForeign", "SDY": "SourceStudy", "LIT": "SourceLiterature", "CSM": "SourceConsumer",
          "HP": "SourceHealthProfessional", "UF": "SourceUserFacility", "CR": "SourceCompanyRepresentative",
          "DT": "SourceDistributor", "OTH": "SourceOther"}
# FAERS time codes as UCUM units; a decade is ten years, written as a UCUM product.
TIME_UNIT = {"DEC": "10.a", "YR": "a", "MON": "mo", "WK": "wk", "DY": "d", "DAY": "d", "HR": "h", "MIN": "min",
             "SEC": "s"}
YEARS_PER = {"DEC": 10, "YR": 1}
WEIGHT_UNIT = {"KG": "kg", "LBS": "[lb_av]"}
# FAERS dose units (dose_unit) whose UCUM code is unambiguous; any other unit is kept only as written.
DOSE_UNIT = {"MG": "mg", "G": "g", "GM": "g", "MCG": "ug", "UG": "ug", "NG": "ng", "ML": "mL", "L": "L",
             "IU": "[iU]", "MG/KG": "mg/kg", "MG/M2": "mg/m2", "MG/M**2": "mg/m2", "MCG/KG": "ug/kg"}
# What N-Triples string literals must escape: quote, backslash, line ends (and, to be safe, other controls).
ESCAPES = {**{code: f"\\u{code:04X}" for code in range(32)}, ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
           ord('"'): '\\"', ord("\\"): "\\\\"}

Triple = tuple[str, str, str]


def iri(value: str) -> str:
    """An IRI as an N-Triples term."""
    return f"<{value}>"


@functools.lru_cache(maxsize=512)
def ade(local: str) -> str:
    """The ontology term ade:<local> as an N-Triples term."""
    return f"<{ADE}{local}>"


TYPE = iri(RDF + "type")
INTEGER, DECIMAL = f"^^<{XSD}integer>", f"^^<{XSD}decimal>"
DATE_TYPES = {8: f"^^<{XSD}date>", 6: f"^^<{XSD}gYearMonth>", 4: f"^^<{XSD}gYear>"}


@functools.lru_cache(maxsize=65536)
def text(value: str) -> str:
    """A plain string literal as an N-Triples term."""
    return f'"{value.translate(ESCAPES)}"'


def integer(value: str | int) -> str:
    """An xsd:integer literal (from a checked whole number)."""
    return f'"{int(value)}"{INTEGER}'


@functools.lru_cache(maxsize=8192)
def decimal(value: str) -> str:
    """An xsd:decimal literal written without exponent or trailing zeros (from a checked number)."""
    return f'"{format(Decimal(str(float(value))).normalize(), "f")}"{DECIMAL}'


def date_literal(value: str) -> str:
    """A FAERS date (YYYY, YYYYMM or YYYYMMDD) as xsd:gYear, xsd:gYearMonth or xsd:date."""
    if len(value) == 8:
        return f'"{value[:4]}-{value[4:6]}-{value[6:]}"{DATE_TYPES[8]}'
    if len(value) == 6:
        return f'"{value[:4]}-{value[4:]}"{DATE_TYPES[6]}'
    return f'"{value}"{DATE_TYPES[4]}'


def quarter_graph(quarter: str) -> str:
    """The IRI of the named graph of one imported quarter, e.g. graph:faers/2023Q1."""
    return f"{GRAPH}faers/{quarter}"


def report_iri(primaryid: str | int) -> str:
    """The IRI of one spontaneous report version."""
    return f"{FAERS_DATA}report/{primaryid}"


def slug(name: str) -> str:
    """A readable IRI segment for a free-text name (reaction terms, drug names)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def quantity(node: str, value: str, unit: str | None, as_written: str) -> Iterator[Triple]:
    """A quantity node: value, UCUM unit when known, and the unit as written."""
    yield node, TYPE, ade("Quantity")
    yield node, ade("numericValue"), decimal(value)
    if unit:
        yield node, ade("ucumUnit"), text(unit)
    if as_written:
        yield node, ade("unitAsWritten"), text(as_written)


def demo_triples(row: dict[str, str]) -> Iterator[Triple]:
    """The report, its patient (age, sex, weight), dates, reporter and countries."""
    base = report_iri(row["primaryid"])
    report, patient = iri(base), iri(base + "/patient")
    yield report, TYPE, ade("SpontaneousReport")
    yield report, ade("faersPrimaryId"), integer(row["primaryid"])
    yield report, ade("faersCaseId"), integer(row["caseid"])
    yield report, ade("caseVersion"), integer(row["caseversion"])
    yield report, ade("describesPatient"), patient
    yield patient, TYPE, ade("Patient")
    for column, prop in (("fda_dt", "receivedDate"), ("event_dt", "eventDate"), ("init_fda_dt", "initialReceivedDate")):
        if row.get(column):
            yield report, ade(prop), date_literal(row[column])
    for column, prop in (("rept_cod", "reportTypeCode"), ("occp_cod", "reporterQualification"),
                         ("reporter_country", "reporterCountry"), ("occr_country", "occurrenceCountry")):
        if row.get(column):
            yield report, ade(prop), text(row[column].upper())
    if row.get("sex", "").upper() in SEX:
        yield patient, ade("sex"), ade(SEX[row["sex"].upper()])
    if row.get("age") and row.get("age_cod", "").upper() in TIME_UNIT:
        code = row["age_cod"].upper()
        node = iri(base + "/patient/age")
        yield patient, ade("age"), node
        yield from quantity(node, row["age"], TIME_UNIT[code], code)
        years = float(row["age"]) * YEARS_PER.get(code, 0)
        if code in ("YR", "DEC") and years.is_integer():  # ade:ageInYears is a whole number of years
            yield patient, ade("ageInYears"), integer(int(years))
    if row.get("wt") and row.get("wt_cod", "").upper() in WEIGHT_UNIT:
        node = iri(base + "/patient/weight")
        yield patient, ade("weight"), node
        yield from quantity(node, row["wt"], WEIGHT_UNIT[row["wt_cod"].upper()], row["wt_cod"].upper())


def exposure_iri(primaryid: str, drug_seq: str) -> str:
    """The IRI of one drug of a report, by its drug_seq."""
    return f"{FAERS_DATA}report/{primaryid}/drug/{drug_seq}"


def drug_triples(row: dict[str, str], drugs: list[str]) -> Iterator[Triple]:
    """One reported drug: the ontology drugs it names (if any), role, route, dose, de- and rechallenge."""
    base = exposure_iri(row["primaryid"], row["drug_seq"])
    node = iri(base)
    yield iri(report_iri(row["primaryid"]) + "/patient"), ade("hasExposure"), node
    yield node, TYPE, ade("DrugExposure")
    for drug in drugs:
        yield node, ade("drug"), iri(drug)
    yield node, ade("drugNameAsReported"), text(row["drugname"])
    if row.get("prod_ai"):
        yield node, ade("activeIngredientAsReported"), text(row["prod_ai"])
    role = row["role_cod"].upper()
    yield node, ade("exposureRole"), ade(ROLE[role])
    yield node, ade("faersRoleCode"), text(role)
    if row.get("route"):
        yield node, ade("routeAsReported"), text(row["route"])
    if row.get("dose_vbm"):
        yield node, ade("doseAsReported"), text(row["dose_vbm"])
    if row.get("dose_amt"):
        dose = iri(base + "/dose")
        yield node, ade("dose"), dose
        unit = row.get("dose_unit", "")
        yield from quantity(dose, row["dose_amt"], DOSE_UNIT.get(unit.upper()), unit)
    for column, prop in (("dechal", "dechallengeResult"), ("rechal", "rechallengeResult")):
        if row.get(column):
            yield node, ade(prop), ade(CHALLENGE[row[column].upper()])


def reaction_triples(row: dict[str, str], event_type: str | None) -> Iterator[Triple]:
    """One reaction (a MedDRA preferred-term name, kept as a literal) and its ontology class if mapped."""
    base = report_iri(row["primaryid"])
    node = iri(f"{base}/reaction/{slug(row['pt'])}")
    yield iri(base + "/patient"), ade("hasReaction"), node
    yield node, TYPE, ade("ReportedReaction")
    yield node, ade("reactionName"), text(row["pt"])
    if event_type:
        yield node, ade("reactionType"), iri(event_type)


def outcome_triples(row: dict[str, str]) -> Iterator[Triple]:
    """One serious outcome code of a report."""
    yield iri(report_iri(row["primaryid"])), ade("seriousOutcome"), ade(OUTCOME[row["outc_cod"].upper()])


def source_triples(row: dict[str, str]) -> Iterator[Triple]:
    """One report-source code of a report."""
    yield iri(report_iri(row["primaryid"])), ade("reportSource"), ade(SOURCE[row["rpsr_cod"].upper()])


def therapy_triples(row: dict[str, str]) -> Iterator[Triple]:
    """Start, end and duration of a drug's therapy."""
    base = exposure_iri(row["primaryid"], row["dsg_drug_seq"])
    node = iri(base)
    if row.get("start_dt"):
        yield node, ade("therapyStart"), date_literal(row["start_dt"])
    if row.get("end_dt"):
        yield node, ade("therapyEnd"), date_literal(row["end_dt"])
    if row.get("dur") and row.get("dur_cod", "").upper() in TIME_UNIT:
        duration = iri(base + "/duration")
        yield node, ade("therapyDuration"), duration
        yield from quantity(duration, row["dur"], TIME_UNIT[row["dur_cod"].upper()], row["dur_cod"].upper())


def indication_triples(row: dict[str, str]) -> Iterator[Triple]:
    """What a drug was given for (a MedDRA preferred-term name)."""
    yield iri(exposure_iri(row["primaryid"], row["indi_drug_seq"])), ade("indicationName"), text(row["indi_pt"])
