"""Stage 3: map a checked record to RDF quads in its source document's named graph.

Every function here is a pure generator: it takes record values and yields quads, without I/O.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Callable, Iterator

from pyoxigraph import Literal, NamedNode, Quad

from .quotes import QuoteMatch
from .records import Record
from .terms import ADE, DATA, DCTERMS, DRUG, MECH, RDF, RDFS, TEST, XSD, ade, expand_curie, source_graph

TYPE = NamedNode(RDF + "type")
LABEL = NamedNode(RDFS + "label")
COMMENT = NamedNode(RDFS + "comment")

# Enumerations of the record schema -> controlled individuals of the ontology.
SEX = {"female": "Female", "male": "Male"}
CONDITION_ROLE = {"primary_diagnosis": "PrimaryDiagnosis", "comorbidity": "Comorbidity",
                  "history": "MedicalHistory", "complication": "Complication"}
EXPOSURE_ROLE = {"suspect": "SuspectDrug", "concomitant": "ConcomitantDrug", "prior": "PriorTherapy",
                 "subsequent": "SubsequentTherapy", "treatment": "TreatmentOfEvent"}
ROUTE = {"oral": "OralRoute", "intravenous": "IntravenousRoute", "subcutaneous": "SubcutaneousRoute"}
INTERPRETATION = {"low": "Low", "high": "High", "normal": "Normal", "abnormal": "Abnormal",
                  "positive": "Positive", "negative": "Negative"}
RESULT = {"normal": "Normal", "abnormal": "Abnormal", "negative": "Negative", "positive": "Positive",
          "unremarkable": "Normal"}
CAUSE_STATUS = {"ruled_out": "RuledOut", "less_likely": "LessLikely", "not_excluded": "NotExcluded",
                "favoured": "Favoured"}
EFFECT = {"improved": "Improved", "no_improvement": "NoImprovement", "resolved": "Resolved",
          "worsened": "Worsened", "unknown": "EffectUnknown"}
OUTCOME = {"recovered": "Recovered", "recovering": "Recovering", "not_recovered": "NotRecovered",
           "fatal": "Fatal", "unknown": "OutcomeUnknown", "stable_disease": "StableDisease"}
POLARITY = {"affirmed": "Affirmed", "negated": "Negated", "uncertain": "Uncertain"}
DRUG_GROUPING = {"single_agent": "SingleAgentReport", "combination": "CombinationReport", "pooled": "PooledReport"}
COMPARISON = {"lower": "LowerThanComparators", "higher": "HigherThanComparators"}
SOURCE_KIND = {"table": "TableSource", "reference": "ReferenceSource", "authors": "AuthorsConclusion",
               "unattributed": "UnattributedLiterature"}
CLAIM_CLASS = {"causation": "CausationClaim", "mechanism": "MechanismClaim",
               "case_count": "CaseCountClaim", "incidence": "IncidenceClaim",
               "drug_property": "DrugPropertyClaim", "class_effect": "ClassEffectClaim",
               "epidemiology": "EpidemiologyClaim", "prognosis": "PrognosisClaim",
               "treatment_effect": "TreatmentEffectClaim", "causality_conclusion": "CausalityConclusion"}
# Drug-property claims that also state a value directly on the drug (in the same source graph).
DRUG_PROPERTY = {"plasma_protein_binding_percent": ("plasmaProteinBindingPercent", "decimal"),
                 "elimination_half_life_days": ("eliminationHalfLifeDays", "decimal"),
                 "renal_impairment_auc_increase_percent": ("renalImpairmentAUCIncreasePercent", "decimal"),
                 "proteasome_inhibitor_generation": ("proteasomeInhibitorGeneration", "integer"),
                 "inhibition_reversibility": ("inhibitionReversibility", "text")}


def integer(value: int) -> Literal:
    """An xsd:integer literal."""
    return Literal(str(int(value)), datatype=NamedNode(XSD + "integer"))


def decimal(value: float | int) -> Literal:
    """An xsd:decimal literal written without exponent (9.45e5 -> 945000)."""
    text = format(Decimal(str(value)).normalize(), "f")
    return Literal(text, datatype=NamedNode(XSD + "decimal"))


def boolean(value: bool) -> Literal:
    """An xsd:boolean literal."""
    return Literal("true" if value else "false", datatype=NamedNode(XSD + "boolean"))


def date_literal(value: str) -> Literal:
    """A date as xsd:date, xsd:gYearMonth or xsd:gYear by its precision."""
    datatype = {10: "date", 7: "gYearMonth", 4: "gYear"}[len(value)]
    return Literal(value, datatype=NamedNode(XSD + datatype))


def text(value: str) -> Literal:
    """A plain string literal."""
    return Literal(str(value))


class CaseContext:
    """IRIs and evidence lookup for one record; shared by the section mappers."""

    def __init__(self, record: Record, matches: dict[str, QuoteMatch]):
        self.record = record
        self.data = record.data
        self.doc = record.document_id
        self.graph = NamedNode(source_graph(self.doc))
        self.base = f"{DATA}{self.doc}"
        self.case = NamedNode(self.base)
        self.patient = NamedNode(self.base + "/patient")
        self.source_text = NamedNode(self.base + "/source-text")
        self.matches = matches
        self.quote_nodes = {quote: NamedNode(f"{self.base}/quote/{index + 1}")
                            for index, quote in enumerate(matches)}
        self.kind_of_id = self._index_ids()

    def _index_ids(self) -> dict[str, str]:
        """Map record-local ids to the IRI path segment of their section."""
        kinds = {"findings": "finding", "observations": "observation", "interventions": "intervention",
                 "adverse_events": "event", "conditions": "condition", "exposures": "exposure",
                 "regimens": "regimen"}
        index = {}
        for section, kind in kinds.items():
            for item in self.data.get(section, []):
                index.setdefault(item["id"], kind)
        return index

    def node(self, kind: str, local: str) -> NamedNode:
        """The IRI of a fact node, e.g. data:000/observation/platelets-admission."""
        return NamedNode(f"{self.base}/{kind}/{local}")

    def ref(self, local_id: str) -> NamedNode:
        """The IRI of a fact referred to by its record-local id."""
        return self.node(self.kind_of_id[local_id], local_id)

    def reference(self, number: int) -> NamedNode:
        """The IRI of a cited reference by its number in the document."""
        return NamedNode(f"{self.base}/reference/{number}")

    def quad(self, subject, predicate: str | NamedNode, obj) -> Quad:
        """A quad in this document's graph; predicate strings are ade: local names."""
        if isinstance(predicate, str):
            predicate = ade(predicate)
        return Quad(subject, predicate, obj, self.graph)


def record_quads(record: Record, matches: dict[str, QuoteMatch]) -> Iterator[Quad]:
    """Yield every quad that states the facts of one record."""
    context = CaseContext(record, matches)
    data = record.data
    yield from document_quads(context, data["document"])
    yield from quote_quads(context)
    for reference in data.get("references", []):
        yield from reference_quads(context, reference)
    for table in data.get("tables", []):
        yield from table_quads(context, table)
    if "patient" in data:
        yield from patient_quads(context, data["patient"])
    sections: list[tuple[str, Callable]] = [
        ("conditions", condition_quads), ("findings", finding_quads), ("regimens", regimen_quads),
        ("exposures", exposure_quads), ("observations", observation_quads),
        ("adverse_events", adverse_event_quads), ("alternative_causes", alternative_cause_quads),
        ("interventions", intervention_quads), ("dechallenges", dechallenge_quads),
        ("rechallenges", rechallenge_quads), ("claims", claim_quads),
        ("mechanism_steps", mechanism_step_quads), ("placebo_challenges", placebo_challenge_quads),
        ("dose_responses", dose_response_quads), ("previous_reactions", previous_reaction_quads)]
    for section, mapper in sections:
        for item in data.get(section, []):
            yield from mapper(context, item)
    if "outcome" in data:
        yield from outcome_quads(context, data["outcome"])


def quotes_of(fact: dict) -> list[str]:
    """The quotes that support one fact."""
    return ([fact["quote"]] if "quote" in fact else []) + list(fact.get("quotes", []))


def evidence_quads(context: CaseContext, node: NamedNode, fact: dict) -> Iterator[Quad]:
    """Link a fact node to the quote nodes of its evidence and to its flagged interpretations."""
    for quote in quotes_of(fact):
        yield context.quad(node, "hasEvidence", context.quote_nodes[quote])
    for index, reading in enumerate(fact.get("interpretations", []), start=1):
        reading_node = NamedNode(f"{node.value}/interpretation/{index}")
        yield context.quad(node, "hasInterpretation", reading_node)
        yield context.quad(reading_node, TYPE, ade("Interpretation"))
        yield context.quad(reading_node, "interpretedField", text(reading["field"]))
        yield context.quad(reading_node, "asWritten", text(reading["as_written"]))
        yield context.quad(reading_node, "normalisedValue", text(reading["normalised"]))
        yield context.quad(reading_node, "note", text(reading["note"]))
        yield context.quad(reading_node, "isInterpretation", boolean(True))


def typed_node(context: CaseContext, node: NamedNode, class_name: str, fact: dict,
               label: str | None = None) -> Iterator[Quad]:
    """Type a fact node, label it and attach its evidence."""
    yield context.quad(node, TYPE, ade(class_name))
    if label:
        yield context.quad(node, LABEL, text(label))
    yield from evidence_quads(context, node, fact)


def optional_quads(context: CaseContext, node: NamedNode, fact: dict,
                   fields: dict[str, tuple[str, Callable]]) -> Iterator[Quad]:
    """State each field present in a fact through its (ade: property, literal maker) pair."""
    for key, (prop, make) in fields.items():
        if key in fact:
            yield context.quad(node, prop, make(fact[key]))


def term_node(curie: str) -> NamedNode:
    """The class IRI of a CURIE that the identifier check has already accepted."""
    return NamedNode(expand_curie(curie))


def quote_quads(context: CaseContext) -> Iterator[Quad]:
    """State each distinct quote once: its text, the verbatim span and its offsets."""
    for quote, node in context.quote_nodes.items():
        match = context.matches[quote]
        yield context.quad(node, TYPE, ade("TextQuote"))
        yield context.quad(node, "quoteText", text(quote))
        yield context.quad(node, "exactText", text(match.exact))
        yield context.quad(node, "startOffset", integer(match.start))
        yield context.quad(node, "endOffset", integer(match.end))
        yield context.quad(node, "inSourceText", context.source_text)


def document_quads(context: CaseContext, document: dict) -> Iterator[Quad]:
    """The case report, its source text file and its bibliographic facts."""
    case, source = context.case, context.source_text
    raw = context.record.text_path.read_bytes()
    yield context.quad(source, TYPE, ade("SourceText"))
    yield context.quad(source, "fileName", text(document["file"]))
    yield context.quad(source, "sha256", text(hashlib.sha256(raw).hexdigest()))
    yield context.quad(source, "characterCount", integer(len(raw.decode("utf-8"))))
    yield context.quad(source, LABEL, text(f"source text {document['file']}"))
    yield from typed_node(context, case, "CaseReport", document,
                          document.get("title") or f"case report {context.doc}")
    yield context.quad(case, "hasSourceText", source)
    if "patient" in context.data:
        yield context.quad(case, "describesPatient", context.patient)
    strings = {"title": NamedNode(DCTERMS + "title"), "journal": "journal", "doi": "doi",
               "volume": "volume", "issue": "issue", "article_number": "articleNumber",
               "pages": "pages", "license": NamedNode(DCTERMS + "rights")}
    for key, predicate in strings.items():
        if key in document:
            yield context.quad(case, predicate, text(document[key]))
    dates = {"published": NamedNode(DCTERMS + "issued"), "received": "dateReceived",
             "accepted": "dateAccepted"}
    for key, predicate in dates.items():
        if key in document:
            yield context.quad(case, predicate, date_literal(document[key]))
    for author in document.get("authors", []):
        yield context.quad(case, "authorName", text(author))
    for keyword in document.get("keywords", []):
        yield context.quad(case, NamedNode(DCTERMS + "subject"), text(keyword))
    for issn in document.get("issn", []):
        yield context.quad(case, "issn", text(issn))


def reference_quads(context: CaseContext, reference: dict) -> Iterator[Quad]:
    """A work cited by the case report."""
    node = context.reference(reference["number"])
    yield from typed_node(context, node, "Reference", reference, f"reference {reference['number']}")
    yield context.quad(node, "referenceNumber", integer(reference["number"]))
    yield context.quad(context.case, "citesReference", node)
    for key, predicate in (("citation", "citationText"), ("doi", "doi"), ("pmid", "pmid")):
        if key in reference:
            yield context.quad(node, predicate, text(reference[key]))
    if "year" in reference:
        yield context.quad(node, "publicationYear", integer(reference["year"]))


def cited_reference_quads(context: CaseContext, node: NamedNode, numbers: list[int]) -> Iterator[Quad]:
    """Link a node to references by number, stating a minimal Reference when the text lists none."""
    listed = {reference["number"] for reference in context.data.get("references", [])}
    for number in numbers:
        reference = context.reference(number)
        yield context.quad(node, "citesReference", reference)
        if number not in listed:
            yield context.quad(reference, TYPE, ade("Reference"))
            yield context.quad(reference, "referenceNumber", integer(number))
            yield context.quad(reference, LABEL, text(f"reference {number}"))


def table_quads(context: CaseContext, table: dict) -> Iterator[Quad]:
    """A table of the case report (its rows become claims)."""
    node = context.node("table", table["id"])
    yield from typed_node(context, node, "SourceTable", table, table["label"])
    yield context.quad(node, "caption", text(table["caption"]))
    yield context.quad(context.case, "hasTable", node)
    yield from cited_reference_quads(context, node, table.get("cites", []))


def patient_quads(context: CaseContext, patient: dict) -> Iterator[Quad]:
    """The patient: age and sex."""
    node = context.patient
    yield from typed_node(context, node, "Patient", patient, f"patient of case report {context.doc}")
    yield context.quad(node, "ageInYears", integer(patient["age_years"]))
    yield context.quad(node, "sex", ade(SEX[patient["sex"]]))
    if "age_at" in patient:
        yield context.quad(node, "ageContext", text(patient["age_at"]))


TIME_POINT_FIELDS = {
    "text": ("timeDescription", text), "relative_to": ("relativeTo", text),
    "relative_day": ("relativeDay", decimal), "cycle": ("cycleNumber", integer),
    "day_of_cycle": ("dayOfCycle", integer), "date": ("date", date_literal),
    "age_years": ("patientAgeYears", integer), "approximate": ("approximate", boolean)}
QUANTITY_FIELDS = {
    "value": ("numericValue", decimal), "unit": ("ucumUnit", text),
    "unit_as_written": ("unitAsWritten", text), "value_as_written": ("valueAsWritten", text),
    "approximate": ("approximate", boolean)}


def value_node_quads(context: CaseContext, owner: NamedNode, predicate: str, class_name: str,
                     values: dict | None, fields: dict) -> Iterator[Quad]:
    """A small node hanging off a fact (a time point or a quantity), named after its predicate."""
    if not values:
        return
    node = NamedNode(f"{owner.value}/{predicate}")
    yield context.quad(owner, predicate, node)
    yield context.quad(node, TYPE, ade(class_name))
    yield from optional_quads(context, node, values, fields)


def timing_quads(context: CaseContext, owner: NamedNode, predicate: str, timing: dict | None) -> Iterator[Quad]:
    """A time point of a fact (start, stop, onset, observed at ...)."""
    yield from value_node_quads(context, owner, predicate, "TimePoint", timing, TIME_POINT_FIELDS)


def quantity_quads(context: CaseContext, owner: NamedNode, predicate: str, quantity: dict | None) -> Iterator[Quad]:
    """A value with its UCUM unit and the unit as the text writes it."""
    yield from value_node_quads(context, owner, predicate, "Quantity", quantity, QUANTITY_FIELDS)


def condition_quads(context: CaseContext, condition: dict) -> Iterator[Quad]:
    """A diagnosis, comorbidity or history item, with stages and cytogenetics."""
    node = context.node("condition", condition["id"])
    yield from typed_node(context, node, "PatientCondition", condition, condition["label"])
    yield context.quad(node, TYPE, term_node(condition["term"]))
    yield context.quad(node, "conditionType", term_node(condition["term"]))
    yield context.quad(context.patient, "hasCondition", node)
    yield context.quad(node, "conditionRole", ade(CONDITION_ROLE[condition["role"]]))
    for curie in condition.get("feature_terms", []):
        yield context.quad(node, "subtypeFeature", term_node(curie))
    if "status" in condition:
        yield context.quad(node, "status", text(condition["status"]))
    yield from timing_quads(context, node, "onset", condition.get("onset"))
    for index, stage in enumerate(condition.get("stages", []), start=1):
        stage_node = NamedNode(f"{node.value}/stage/{index}")
        yield from typed_node(context, stage_node, "StagingAssessment", stage,
                              f"{stage['system']} stage {stage['stage']}")
        yield context.quad(node, "hasStage", stage_node)
        yield context.quad(stage_node, "stagingSystem", text(stage["system"]))
        yield context.quad(stage_node, "stageValue", text(stage["stage"]))
    for finding in condition.get("cytogenetics", []):
        finding_node = context.node("cytogenetic", finding["id"])
        yield from typed_node(context, finding_node, "CytogeneticFinding", finding,
                              finding.get("label", finding["notation"]))
        yield context.quad(node, "hasCytogeneticFinding", finding_node)
        yield from optional_quads(context, finding_node, finding, {
            "notation": ("cytogeneticNotation", text), "method": ("assayMethod", text),
            "high_risk": ("highRisk", boolean), "percent_cells": ("percentCells", decimal)})


def finding_quads(context: CaseContext, finding: dict) -> Iterator[Quad]:
    """A sign, symptom, imaging or pathology finding of the patient."""
    node = context.node("finding", finding["id"])
    yield from typed_node(context, node, "ClinicalFinding", finding, finding["label"])
    yield context.quad(context.patient, "hasFinding", node)
    if "term" in finding:
        yield context.quad(node, TYPE, term_node(finding["term"]))
        yield context.quad(node, "findingType", term_node(finding["term"]))
    yield context.quad(node, "present", boolean(finding.get("present", True)))
    yield from optional_quads(context, node, finding, {"category": ("findingCategory", text),
                                                       "severity": ("severity", text)})
    yield from timing_quads(context, node, "occurredAt", finding.get("timing"))


def regimen_quads(context: CaseContext, regimen: dict) -> Iterator[Quad]:
    """A named drug combination given in cycles or courses."""
    node = context.node("regimen", regimen["id"])
    yield from typed_node(context, node, "DrugRegimen", regimen, regimen["name"])
    if "label" in regimen:
        yield context.quad(node, NamedNode(DCTERMS + "description"), text(regimen["label"]))
    yield from optional_quads(context, node, regimen, {
        "cycles_given": ("cyclesGiven", integer), "courses": ("courseNumbers", text),
        "cycle_length_days": ("cycleLengthDays", integer)})
    yield from timing_quads(context, node, "startTime", regimen.get("start"))
    yield from timing_quads(context, node, "stopTime", regimen.get("stop"))


def exposure_quads(context: CaseContext, exposure: dict) -> Iterator[Quad]:
    """One drug given to the patient: dose, route, schedule, cycles, start and stop."""
    node = context.node("exposure", exposure["id"])
    dose = exposure.get("dose")
    label = exposure["drug"] + (f" {dose['value']:g} {dose['unit']}" if dose else "")
    yield from typed_node(context, node, "DrugExposure", exposure, label)
    yield context.quad(context.patient, "hasExposure", node)
    yield context.quad(node, "drug", NamedNode(DRUG + exposure["drug"]))
    yield context.quad(node, "exposureRole", ade(EXPOSURE_ROLE[exposure["role"]]))
    if "regimen" in exposure:
        yield context.quad(node, "partOfRegimen", context.node("regimen", exposure["regimen"]))
    yield from quantity_quads(context, node, "dose", dose)
    if "route" in exposure:
        yield context.quad(node, "route", ade(ROUTE[exposure["route"]]))
    for day in exposure.get("schedule_days", []):
        yield context.quad(node, "scheduleDay", integer(day))
    yield from optional_quads(context, node, exposure, {
        "frequency": ("frequency", text), "cycle_length_days": ("cycleLengthDays", integer),
        "cycles_given": ("cyclesGiven", integer), "stop_reason": ("stopReason", text)})
    yield from timing_quads(context, node, "startTime", exposure.get("start"))
    yield from timing_quads(context, node, "stopTime", exposure.get("stop"))


def observation_quads(context: CaseContext, observation: dict) -> Iterator[Quad]:
    """One lab result: test, value and unit (as written and UCUM), time and interpretation."""
    node = context.node("observation", observation["id"])
    yield from typed_node(context, node, "LabObservation", observation,
                          observation.get("label", observation["test"]))
    yield context.quad(context.patient, "hasObservation", node)
    yield context.quad(node, "labTest", NamedNode(TEST + observation["test"]))
    yield from optional_quads(context, node, observation, {
        "value": ("numericValue", decimal), "value_as_written": ("valueAsWritten", text),
        "unit": ("ucumUnit", text), "unit_as_written": ("unitAsWritten", text), "specimen": ("specimen", text)})
    if "measured_drug" in observation:
        yield context.quad(node, "measuredDrug", NamedNode(DRUG + observation["measured_drug"]))
    if "result" in observation:
        yield context.quad(node, "qualitativeResult", ade(RESULT[observation["result"]]))
    if "interpretation" in observation:
        yield context.quad(node, "interpretation", ade(INTERPRETATION[observation["interpretation"]]))
    reference_range = observation.get("reference_range")
    if reference_range:
        yield context.quad(node, "referenceLow", decimal(reference_range["low"]))
        yield context.quad(node, "referenceHigh", decimal(reference_range["high"]))
        yield context.quad(node, "referenceUnit", text(reference_range["unit"]))
    yield from timing_quads(context, node, "observedAt", observation.get("timing"))


def adverse_event_quads(context: CaseContext, event: dict) -> Iterator[Quad]:
    """An adverse event: its type, suspect drugs, onset, manifestations and outcome."""
    node = context.node("event", event["id"])
    yield from typed_node(context, node, "AdverseEvent", event, event["label"])
    yield context.quad(context.patient, "hasAdverseEvent", node)
    for curie in [event["term"], *event.get("extra_terms", [])]:
        yield context.quad(node, TYPE, term_node(curie))
        yield context.quad(node, "eventType", term_node(curie))
    for drug in event["suspect_drugs"]:
        yield context.quad(node, "suspectDrug", NamedNode(DRUG + drug))
    yield from timing_quads(context, node, "onset", event.get("onset"))
    yield from timing_quads(context, node, "resolvedAt", event.get("resolution"))
    yield from optional_quads(context, node, event, {"severity": ("severity", text),
                                                     "serious": ("serious", boolean)})
    if "outcome" in event:
        yield context.quad(node, "eventOutcome", ade(OUTCOME[event["outcome"]]))
    for local_id in event.get("manifestations", []):
        yield context.quad(node, "manifestation", context.ref(local_id))
    if "manifestation_of" in event:
        yield context.quad(node, "manifestationOf", context.node("event", event["manifestation_of"]))
    yield from exposure_order_quads(context, node, event)
    if "first_symptoms" in event:
        symptoms = event["first_symptoms"]
        first = NamedNode(node.value + "/first-symptoms")
        yield from typed_node(context, first, "FirstSymptoms", symptoms, f"first symptoms of {event['id']}")
        yield context.quad(node, "hasFirstSymptoms", first)
        yield from exposure_order_quads(context, first, symptoms)
        if "attribution" in symptoms:
            yield context.quad(first, "symptomAttribution", ade(POLARITY[symptoms["attribution"]]))
        yield from timing_quads(context, first, "occurredAt", symptoms.get("timing"))
    if "cycle_pattern" in event:
        pattern = event["cycle_pattern"]
        cycles = NamedNode(node.value + "/cycle-pattern")
        yield from typed_node(context, cycles, "CyclicRecurrencePattern", pattern, f"cycle pattern of {event['id']}")
        yield context.quad(node, "hasCyclePattern", cycles)
        for drug in pattern["drugs"]:
            yield context.quad(cycles, "cycledDrug", NamedNode(DRUG + drug))
        yield from optional_quads(context, cycles, pattern, {
            "recovered_between_cycles": ("recoveredBetweenCycles", boolean),
            "recurred_each_cycle": ("recurredEachCycle", boolean)})


def exposure_order_quads(context: CaseContext, node: NamedNode, fact: dict) -> Iterator[Quad]:
    """Which exposures had started (or not) when an event or its first symptoms began, as the text states."""
    for key, prop in (("onset_after", "beganDuringOrAfter"), ("began_during_or_after", "beganDuringOrAfter"),
                      ("onset_before", "beganBefore"), ("began_before", "beganBefore")):
        for local_id in fact.get(key, []):
            yield context.quad(node, prop, context.node("exposure", local_id))


def alternative_cause_quads(context: CaseContext, cause: dict) -> Iterator[Quad]:
    """An alternative explanation of an event, its status and what decided it."""
    node = context.node("alternative-cause", cause["id"])
    yield from typed_node(context, node, "AlternativeCause", cause, cause["label"])
    yield context.quad(node, "consideredFor", context.node("event", cause["event"]))
    yield context.quad(node, "causeStatus", ade(CAUSE_STATUS[cause["status"]]))
    if "term" in cause:
        yield context.quad(node, "causeType", term_node(cause["term"]))
    for drug in cause.get("implicates_drugs", []):
        yield context.quad(node, "implicatesDrug", NamedNode(DRUG + drug))
    for local_id in cause.get("decided_by", []):
        yield context.quad(node, "decidedBy", context.ref(local_id))
    if "reasoning" in cause:
        yield context.quad(node, "reasoning", text(cause["reasoning"]))


def intervention_quads(context: CaseContext, intervention: dict) -> Iterator[Quad]:
    """A treatment given for an event or condition, and whether it helped."""
    node = context.node("intervention", intervention["id"])
    yield from typed_node(context, node, "Intervention", intervention, intervention["label"])
    yield context.quad(context.patient, "hasIntervention", node)
    if "term" in intervention:
        yield context.quad(node, TYPE, term_node(intervention["term"]))
    if "drug" in intervention:
        yield context.quad(node, "interventionDrug", NamedNode(DRUG + intervention["drug"]))
    yield from quantity_quads(context, node, "dose", intervention.get("dose"))
    if "route" in intervention:
        yield context.quad(node, "route", ade(ROUTE[intervention["route"]]))
    yield from optional_quads(context, node, intervention, {"frequency": ("frequency", text),
                                                            "duration_days": ("durationDays", decimal)})
    for local_id in intervention.get("treats", []):
        yield context.quad(node, "treats", context.ref(local_id))
    yield context.quad(node, "interventionEffect", ade(EFFECT[intervention["effect"]]))
    yield from timing_quads(context, node, "startTime", intervention.get("start"))
    yield from timing_quads(context, node, "stopTime", intervention.get("stop"))


def challenge_quads(context: CaseContext, challenge: dict, kind: str) -> Iterator[Quad]:
    """A dechallenge or rechallenge of a drug for an event."""
    node = context.node(kind.lower(), challenge["id"])
    yield from typed_node(context, node, kind, challenge, f"{kind.lower()} of {challenge['drug']}")
    yield context.quad(node, "challengedDrug", NamedNode(DRUG + challenge["drug"]))
    yield context.quad(node, "challengedEvent", context.node("event", challenge["event"]))
    for key, prop in (("event_abated", "eventAbated"), ("event_recurred", "eventRecurred"),
                      ("done", "rechallengeDone"), ("same_drug", "sameDrug")):
        if key in challenge:
            yield context.quad(node, prop, boolean(challenge[key]))
    if "note" in challenge:
        yield context.quad(node, COMMENT, text(challenge["note"]))
    yield from timing_quads(context, node, "occurredAt", challenge.get("timing"))


def dechallenge_quads(context: CaseContext, challenge: dict) -> Iterator[Quad]:
    """A drug withdrawn and whether the event abated."""
    yield from challenge_quads(context, challenge, "Dechallenge")


def rechallenge_quads(context: CaseContext, challenge: dict) -> Iterator[Quad]:
    """A drug re-given (or not) and whether the event recurred."""
    yield from challenge_quads(context, challenge, "Rechallenge")


def outcome_quads(context: CaseContext, outcome: dict) -> Iterator[Quad]:
    """The patient's final outcome."""
    node = NamedNode(context.base + "/outcome")
    yield from typed_node(context, node, "PatientOutcome", outcome, f"outcome: {outcome['status']}")
    yield context.quad(context.patient, "hasOutcome", node)
    yield context.quad(node, "outcomeStatus", ade(OUTCOME[outcome["status"]]))
    if "cause_of_death" in outcome:
        yield context.quad(node, "causeOfDeathType", term_node(outcome["cause_of_death"]))
    yield from optional_quads(context, node, outcome, {"cause_label": ("causeOfDeathLabel", text),
                                                       "follow_up": ("followUp", text)})
    yield from timing_quads(context, node, "occurredAt", outcome.get("timing"))


def claim_quads(context: CaseContext, claim: dict) -> Iterator[Quad]:
    """An attributed assertion with its source, subject drugs, event, mechanism and values."""
    node = context.node("claim", claim["id"])
    yield from typed_node(context, node, CLAIM_CLASS[claim["kind"]], claim, claim["statement"])
    yield context.quad(node, TYPE, ade("Claim"))
    yield context.quad(node, "statement", text(claim["statement"]))
    source = claim["source"]
    yield context.quad(node, "sourceKind", ade(SOURCE_KIND[source["type"]]))
    if source["type"] == "table":
        yield context.quad(node, "claimSource", context.node("table", source["table"]))
    elif source["type"] == "authors":
        yield context.quad(node, "claimSource", context.case)
    for number in source.get("references", []):
        yield context.quad(node, "claimSource", context.reference(number))
    yield from cited_reference_quads(context, node, source.get("references", []))
    polarity = claim.get("polarity", "affirmed")
    yield context.quad(node, "polarity", ade(POLARITY[polarity]))
    for drug in claim.get("drugs", []):
        yield context.quad(node, "aboutDrug", NamedNode(DRUG + drug))
    if "drug_class" in claim:
        yield context.quad(node, "aboutDrugClass", term_node(claim["drug_class"]))
    if "event_term" in claim:
        yield context.quad(node, "aboutEventType", term_node(claim["event_term"]))
    if "mechanism" in claim:
        yield context.quad(node, "mechanism", NamedNode(MECH + claim["mechanism"]))
    if "drug_grouping" in claim:
        yield context.quad(node, "drugGrouping", ade(DRUG_GROUPING[claim["drug_grouping"]]))
    if "comparison" in claim:
        yield context.quad(node, "comparativeFrequency", ade(COMPARISON[claim["comparison"]]))
    yield from optional_quads(context, node, claim, {
        "case_count": ("caseCount", integer), "value": ("claimValue", decimal), "unit": ("claimUnit", text),
        "property": ("propertyName", text), "value_text": ("valueText", text),
        "condition": ("applicabilityCondition", text), "population": ("population", text)})
    if claim.get("about_case"):
        yield context.quad(node, "aboutCase", context.case)
    if polarity == "affirmed" and claim.get("property") in DRUG_PROPERTY and "condition" not in claim:
        yield from drug_property_quads(context, claim)


def drug_property_quads(context: CaseContext, claim: dict) -> Iterator[Quad]:
    """State a drug's pharmacological value directly on the drug, in the claim's source graph."""
    prop, kind = DRUG_PROPERTY[claim["property"]]
    if kind == "text":
        if "value_text" not in claim:
            return
        value = text(claim["value_text"])
    elif "value" in claim:
        value = integer(claim["value"]) if kind == "integer" else decimal(claim["value"])
    else:
        return
    for drug in claim.get("drugs", []):
        yield context.quad(NamedNode(DRUG + drug), prop, value)


def mechanism_step_quads(context: CaseContext, step: dict) -> Iterator[Quad]:
    """A step of a mechanistic pathway, linked to the next step by order."""
    node = context.node("mechanism-step", step["id"])
    mechanism = NamedNode(MECH + step["mechanism"])
    yield from typed_node(context, node, "MechanismStep", step, step["label"])
    yield context.quad(mechanism, "hasStep", node)
    yield context.quad(node, "stepOrder", integer(step["order"]))
    following = [other for other in context.data.get("mechanism_steps", [])
                 if other["mechanism"] == step["mechanism"] and other["order"] == step["order"] + 1]
    for other in following:
        yield context.quad(node, "leadsTo", context.node("mechanism-step", other["id"]))



def event_fact_node(context: CaseContext, kind: str, class_name: str, fact: dict, label: str) -> Iterator[Quad]:
    """A causality fact node (placebo, dose response, previous reaction) and the event it concerns."""
    node = context.node(kind, fact["id"])
    yield from typed_node(context, node, class_name, fact, label)
    yield context.quad(node, "concernsEvent", context.node("event", fact["event"]))


def placebo_challenge_quads(context: CaseContext, challenge: dict) -> Iterator[Quad]:
    """A placebo given after an event and whether the reaction reappeared."""
    yield from event_fact_node(context, "placebo-challenge", "PlaceboChallenge", challenge,
                               f"placebo challenge {challenge['id']}")
    node = context.node("placebo-challenge", challenge["id"])
    yield context.quad(node, "reactionReappeared", boolean(challenge["reappeared"]))


def dose_response_quads(context: CaseContext, change: dict) -> Iterator[Quad]:
    """A dose change of a drug and how the event's severity changed with it."""
    yield from event_fact_node(context, "dose-response", "DoseResponseObservation", change,
                               f"dose {change['dose_direction']} of {change['drug']}")
    node = context.node("dose-response", change["id"])
    yield context.quad(node, "changedDrug", NamedNode(DRUG + change["drug"]))
    yield from optional_quads(context, node, change, {"dose_direction": ("doseDirection", text),
                                                      "severity_change": ("severityChange", text)})


def previous_reaction_quads(context: CaseContext, reaction: dict) -> Iterator[Quad]:
    """An earlier exposure to the same or a similar drug and whether a similar reaction occurred."""
    yield from event_fact_node(context, "previous-reaction", "PreviousSimilarReaction", reaction,
                               f"earlier exposure to {reaction['drug']}")
    node = context.node("previous-reaction", reaction["id"])
    yield context.quad(node, "previousDrug", NamedNode(DRUG + reaction["drug"]))
    yield context.quad(node, "similarReaction", boolean(reaction["similar"]))
    if "earlier" in reaction:
        yield context.quad(node, "earlierReaction", context.ref(reaction["earlier"]))
    if "note" in reaction:
        yield context.quad(node, COMMENT, text(reaction["note"]))
