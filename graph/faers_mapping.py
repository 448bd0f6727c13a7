"""Map FAERS rows to RDF quads on the adekg ontology: pure generators, no I/O, no state.

One quarter is one named graph (`graph:faers/2023Q1`); a report is `data:faers/report/<primaryid>`.
"""
from __future__ import annotations

import re
from typing import Iterator

from pyoxigraph import Literal, NamedNode, Quad

from .mapping import TYPE, decimal, integer, text
from .terms import ADE, DATA, GRAPH, XSD, ade

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


def quarter_graph(quarter: str) -> NamedNode:
    """The named graph of one imported quarter, e.g. graph:faers/2023Q1."""
    return NamedNode(f"{GRAPH}faers/{quarter}")


def report_node(primaryid: str | int) -> NamedNode:
    """The IRI of one spontaneous report version."""
    return NamedNode(f"{FAERS_DATA}report/{primaryid}")


def patient_node(primaryid: str | int) -> NamedNode:
    """The patient a report describes; exposures and reactions hang off the patient, as in the case reports."""
    return NamedNode(f"{FAERS_DATA}report/{primaryid}/patient")


def slug(name: str) -> str:
    """A readable IRI segment for a free-text name (reaction terms, drug names)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def date_literal(value: str) -> Literal:
    """A FAERS date (YYYY, YYYYMM or YYYYMMDD) as xsd:gYear, xsd:gYearMonth or xsd:date."""
    if len(value) == 8:
        return Literal(f"{value[:4]}-{value[4:6]}-{value[6:]}", datatype=NamedNode(XSD + "date"))
    if len(value) == 6:
        return Literal(f"{value[:4]}-{value[4:]}", datatype=NamedNode(XSD + "gYearMonth"))
    return Literal(value, datatype=NamedNode(XSD + "gYear"))


def quantity_quads(node: NamedNode, value: str, unit: str | None, graph: NamedNode, as_written: str) -> Iterator[Quad]:
    """A quantity node: value, UCUM unit when known, and the unit as written."""
    yield Quad(node, TYPE, ade("Quantity"), graph)
    yield Quad(node, ade("numericValue"), decimal(float(value)), graph)
    if unit:
        yield Quad(node, ade("ucumUnit"), text(unit), graph)
    if as_written:
        yield Quad(node, ade("unitAsWritten"), text(as_written), graph)


def demo_quads(row: dict[str, str], graph: NamedNode) -> Iterator[Quad]:
    """The report, its patient (age, sex, weight), dates, reporter and countries."""
    report, patient = report_node(row["primaryid"]), patient_node(row["primaryid"])
    yield Quad(report, TYPE, ade("SpontaneousReport"), graph)
    yield Quad(report, ade("faersPrimaryId"), integer(row["primaryid"]), graph)
    yield Quad(report, ade("faersCaseId"), integer(row["caseid"]), graph)
    yield Quad(report, ade("caseVersion"), integer(row["caseversion"]), graph)
    yield Quad(report, ade("describesPatient"), patient, graph)
    yield Quad(patient, TYPE, ade("Patient"), graph)
    for column, prop in (("fda_dt", "receivedDate"), ("event_dt", "eventDate"), ("init_fda_dt", "initialReceivedDate")):
        if row.get(column):
            yield Quad(report, ade(prop), date_literal(row[column]), graph)
    for column, prop in (("rept_cod", "reportTypeCode"), ("occp_cod", "reporterQualification"),
                         ("reporter_country", "reporterCountry"), ("occr_country", "occurrenceCountry")):
        if row.get(column):
            yield Quad(report, ade(prop), text(row[column].upper()), graph)
    if row.get("sex", "").upper() in SEX:
        yield Quad(patient, ade("sex"), ade(SEX[row["sex"].upper()]), graph)
    if row.get("age") and row.get("age_cod", "").upper() in TIME_UNIT:
        code = row["age_cod"].upper()
        node = NamedNode(f"{patient.value}/age")
        yield Quad(patient, ade("age"), node, graph)
        yield from quantity_quads(node, row["age"], TIME_UNIT[code], graph, code)
        years = float(row["age"]) * YEARS_PER.get(code, 0)
        if code in ("YR", "DEC") and years.is_integer():  # ade:ageInYears is a whole number of years
            yield Quad(patient, ade("ageInYears"), integer(int(years)), graph)
    if row.get("wt") and row.get("wt_cod", "").upper() in WEIGHT_UNIT:
        node = NamedNode(f"{patient.value}/weight")
        yield Quad(patient, ade("weight"), node, graph)
        yield from quantity_quads(node, row["wt"], WEIGHT_UNIT[row["wt_cod"].upper()], graph, row["wt_cod"].upper())


def exposure_node(primaryid: str, drug_seq: str) -> NamedNode:
    """The IRI of one drug of a report, by its drug_seq."""
    return NamedNode(f"{FAERS_DATA}report/{primaryid}/drug/{drug_seq}")


def drug_quads(row: dict[str, str], drugs: list[str], graph: NamedNode) -> Iterator[Quad]:
    """One reported drug: the ontology drugs it names (if any), role, route, dose, de- and rechallenge."""
    node = exposure_node(row["primaryid"], row["drug_seq"])
    yield Quad(patient_node(row["primaryid"]), ade("hasExposure"), node, graph)
    yield Quad(node, TYPE, ade("DrugExposure"), graph)
    for drug in drugs:
        yield Quad(node, ade("drug"), NamedNode(drug), graph)
    yield Quad(node, ade("drugNameAsReported"), text(row["drugname"]), graph)
    if row.get("prod_ai"):
        yield Quad(node, ade("activeIngredientAsReported"), text(row["prod_ai"]), graph)
    role = row["role_cod"].upper()
    yield Quad(node, ade("exposureRole"), ade(ROLE[role]), graph)
    yield Quad(node, ade("faersRoleCode"), text(role), graph)
    if row.get("route"):
        yield Quad(node, ade("routeAsReported"), text(row["route"]), graph)
    if row.get("dose_vbm"):
        yield Quad(node, ade("doseAsReported"), text(row["dose_vbm"]), graph)
    if row.get("dose_amt"):
        dose = NamedNode(f"{node.value}/dose")
        yield Quad(node, ade("dose"), dose, graph)
        yield from quantity_quads(dose, row["dose_amt"], None, graph, row.get("dose_unit", ""))
    for column, prop in (("dechal", "dechallengeResult"), ("rechal", "rechallengeResult")):
        if row.get(column):
            yield Quad(node, ade(prop), ade(CHALLENGE[row[column].upper()]), graph)


def reaction_quads(row: dict[str, str], event_type: str | None, graph: NamedNode) -> Iterator[Quad]:
    """One reaction (a MedDRA preferred-term name, kept as a literal) and its ontology class if mapped."""
    node = NamedNode(f"{report_node(row['primaryid']).value}/reaction/{slug(row['pt'])}")
    yield Quad(patient_node(row["primaryid"]), ade("hasReaction"), node, graph)
    yield Quad(node, TYPE, ade("ReportedReaction"), graph)
    yield Quad(node, ade("reactionName"), text(row["pt"]), graph)
    if event_type:
        yield Quad(node, ade("reactionType"), NamedNode(event_type), graph)


def outcome_quads(row: dict[str, str], graph: NamedNode) -> Iterator[Quad]:
    """One serious outcome code of a report."""
    yield Quad(report_node(row["primaryid"]), ade("seriousOutcome"), ade(OUTCOME[row["outc_cod"].upper()]), graph)


def source_quads(row: dict[str, str], graph: NamedNode) -> Iterator[Quad]:
    """One report-source code of a report."""
    yield Quad(report_node(row["primaryid"]), ade("reportSource"), ade(SOURCE[row["rpsr_cod"].upper()]), graph)


def therapy_quads(row: dict[str, str], graph: NamedNode) -> Iterator[Quad]:
    """Start, end and duration of a drug's therapy."""
    node = exposure_node(row["primaryid"], row["dsg_drug_seq"])
    if row.get("start_dt"):
        yield Quad(node, ade("therapyStart"), date_literal(row["start_dt"]), graph)
    if row.get("end_dt"):
        yield Quad(node, ade("therapyEnd"), date_literal(row["end_dt"]), graph)
    if row.get("dur") and row.get("dur_cod", "").upper() in TIME_UNIT:
        duration = NamedNode(f"{node.value}/duration")
        yield Quad(node, ade("therapyDuration"), duration, graph)
        yield from quantity_quads(duration, row["dur"], TIME_UNIT[row["dur_cod"].upper()], graph, row["dur_cod"].upper())


def indication_quads(row: dict[str, str], graph: NamedNode) -> Iterator[Quad]:
    """What a drug was given for (a MedDRA preferred-term name)."""
    yield Quad(exposure_node(row["primaryid"], row["indi_drug_seq"]), ade("indicationName"), text(row["indi_pt"]), graph)
