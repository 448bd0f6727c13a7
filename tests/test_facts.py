"""Acceptance: the built graph holds the numbers and facts the three texts state.

Every expected value below was read off the seed texts (the sentence is quoted in the comment).
"""
from decimal import Decimal

import pytest

from .conftest import select

# (document, lab test key) -> values stated in the text
LAB_VALUES = {
    # 000: "serum creatinine and creatinine clearance (CrCl) were 3.3mg/dl and 15ml/min ... (baseline
    # creatinine of 1.9mg/dl with CrCl of 30ml/min) ... platelet count of 84000/dl ... hemoglobin of 12 g/dl"
    ("000", "serum-creatinine-mass"): {"3.3", "1.9"},
    ("000", "creatinine-clearance"): {"15", "30"},
    ("000", "platelet-count"): {"84000", "75000", "9000"},
    ("000", "hemoglobin"): {"12"},
    # "elevated LDH level (1366 units/L), decreased haptoglobin level (10mg/dl), elevated total
    # bilirubin (1.6mg/dl), and indirect bilirubin (1.3mg/dl)" ... "fibrinogen level was normal (521mg/dl)"
    ("000", "ldh"): {"1366"},
    ("000", "haptoglobin"): {"10"},
    ("000", "total-bilirubin"): {"1.6"},
    ("000", "indirect-bilirubin"): {"1.3"},
    ("000", "fibrinogen"): {"521"},
    # "hypoproteinemia (total protein: 4.9 g/dl; albumin: 2.4 g/dl)"
    ("000", "total-protein"): {"4.9"},
    ("000", "albumin"): {"2.4"},
    # "80%–90% cellular marrow with 61% plasma cells"
    ("000", "bone-marrow-plasma-cells"): {"61"},
    # 001: "hemoglobin of 121 g/L, platelets of 131×109/L, white blood cell count of 5.49×10 9/L, serum
    # creatinine of 96 μmol/L, and serum calcium of 2.78 mmol/L" ... "M protein of 70.6 g/L" ...
    # "(1261 mg/L), and the kappa/lambda ratio was 157.3267. Urinary kappa light chains were 4225 mg/L,
    # compared with lambda light chains of 5.9 mg/L" ... "60% plasma cells" ... "increased to 35%"
    ("001", "hemoglobin"): {"121"},
    ("001", "platelet-count"): {"131"},
    ("001", "wbc-count"): {"5.49"},
    ("001", "serum-creatinine-molar"): {"96"},
    ("001", "serum-calcium"): {"2.78"},
    ("001", "m-protein"): {"70.6"},
    ("001", "serum-kappa-light-chains"): {"1261"},
    ("001", "kappa-lambda-ratio"): {"157.3267"},
    ("001", "urine-kappa-light-chains"): {"4225"},
    ("001", "urine-lambda-light-chains"): {"5.9"},
    ("001", "bone-marrow-plasma-cells"): {"60", "35"},
    ("001", "creatinine-clearance"): {"49"},
    # 002: "hemoglobin 84 g/L ... white blood cells 6.5 × 109 cells/L ... platelets 26 × 109 cells/L ...
    # Free Ig kappa chains were 249.7 mg/L ... lambda chains were 14.9 mg/L ... ratio of 16.76 ...
    # jcv DNA ... positive with 9.45 × 105 copies/mL"
    ("002", "hemoglobin"): {"84"},
    ("002", "wbc-count"): {"6.5"},
    ("002", "platelet-count"): {"26"},
    ("002", "free-kappa-light-chains"): {"249.7"},
    ("002", "free-lambda-light-chains"): {"14.9"},
    ("002", "free-kappa-lambda-ratio"): {"16.76"},
    ("002", "jcv-dna-csf"): {"945000"},
}

# document -> {(drug, dose in mg)} for every exposure with a stated dose
DOSES = {
    # "ixazomib was started at a dose of 3mg on days 1, 8, and 15 of a 28-day treatment cycle"
    "000": {("ixazomib", "3")},
    # "ixazomib 4 mg ... dexamethasone 20 mg ... dexamethasone 15 mg ... lenalidomide 25 mg/d" and Figure 3:
    # "pomalidomide 4 mg ... cyclophosphamide 400 mg ... bortezomib 1mg ... bortezomib 2mg"
    "001": {("ixazomib", "4"), ("dexamethasone", "20"), ("dexamethasone", "15"), ("lenalidomide", "25"),
            ("pomalidomide", "4"), ("cyclophosphamide", "400"), ("bortezomib", "1"), ("bortezomib", "2")},
    # "weekly oral ixazomib 2.3 mg and dexamethasone 20 mg" ... "acyclovir 400 mg, allopurinol 200 mg,
    # bisoprolol 5 mg, furosemide 40 mg, and warfarin 3 mg"
    "002": {("ixazomib", "2.3"), ("dexamethasone", "20"), ("acyclovir", "400"), ("allopurinol", "200"),
            ("bisoprolol", "5"), ("furosemide", "40"), ("warfarin", "3")},
}

# document -> every drug the patient is said to have received
DRUGS_TAKEN = {
    "000": {"ixazomib", "lenalidomide", "dexamethasone"},
    "001": {"ixazomib", "dexamethasone", "lenalidomide", "pomalidomide", "cyclophosphamide", "bortezomib"},
    "002": {"bortezomib", "dexamethasone", "thalidomide", "lenalidomide", "cyclophosphamide", "ixazomib",
            "acyclovir", "allopurinol", "bisoprolol", "furosemide", "warfarin"},
}

# Table 1 of seed 000: agent -> (immune-mediated, dose-dependent toxicity)
TABLE_1 = {"bevacizumab": (False, True), "bortezomib": (True, False), "carfilzomib": (True, False),
           "ixazomib": (True, False), "gemcitabine": (True, True), "mitomycin": (False, True),
           "oxaliplatin": (True, False), "pentostatin": (False, True), "sunitinib": (False, True),
           "imatinib": (True, False), "docetaxel": (False, True)}


def canonical(value: str) -> str:
    return format(Decimal(value).normalize(), "f")


@pytest.mark.parametrize("document,test", sorted(LAB_VALUES))
def test_lab_values(store, document, test):
    rows = select(store, f"""
        SELECT ?value WHERE {{ GRAPH <https://w3id.org/adekg/graph/source/{document}> {{
          ?patient ade:hasObservation ?o . ?o ade:labTest test:{test} ; ade:numericValue ?value }} }}""")
    assert {canonical(row["value"]) for row in rows} >= {canonical(v) for v in LAB_VALUES[(document, test)]}


@pytest.mark.parametrize("document", sorted(DOSES))
def test_doses(store, document):
    rows = select(store, f"""
        SELECT ?drug ?value ?unit WHERE {{ GRAPH <https://w3id.org/adekg/graph/source/{document}> {{
          ?e a ade:DrugExposure ; ade:drug ?drug ; ade:dose [ ade:numericValue ?value ; ade:ucumUnit ?unit ] }} }}""")
    found = {(row["drug"].rsplit("/", 1)[1], canonical(row["value"])) for row in rows}
    assert found >= {(drug, canonical(dose)) for drug, dose in DOSES[document]}
    assert {row["unit"] for row in rows} <= {"mg", "mg/d"}


@pytest.mark.parametrize("document", sorted(DRUGS_TAKEN))
def test_drugs_taken(store, document):
    rows = select(store, f"""SELECT DISTINCT ?drug WHERE {{ GRAPH <https://w3id.org/adekg/graph/source/{document}> {{
        ?p ade:hasExposure/ade:drug ?drug }} }}""")
    assert {row["drug"].rsplit("/", 1)[1] for row in rows} == DRUGS_TAKEN[document]


def test_table_1_in_full(store):
    rows = select(store, """SELECT ?drug ?mechanism ?polarity WHERE { GRAPH <https://w3id.org/adekg/graph/source/000> {
        ?claim ade:sourceKind ade:TableSource ; ade:aboutDrug ?drug ; ade:mechanism ?mechanism ;
               ade:polarity ?polarity } }""")
    cells = {(row["drug"].rsplit("/", 1)[1], row["mechanism"].rsplit("/", 1)[1]): row["polarity"].rsplit("/", 1)[1]
             for row in rows}
    assert len(rows) == 22
    for drug, (immune, toxic) in TABLE_1.items():
        assert cells[(drug, "immune-mediated")] == ("Affirmed" if immune else "Negated")
        assert cells[(drug, "dose-dependent-toxicity")] == ("Affirmed" if toxic else "Negated")


def test_patients(store):
    rows = select(store, """SELECT ?g ?age ?sex WHERE { GRAPH ?g { ?p a ade:Patient ; ade:ageInYears ?age ;
                            ade:sex ?sex } }""")
    found = {(row["g"].rsplit("/", 1)[1], row["age"], row["sex"].rsplit("/", 1)[1]) for row in rows}
    # "A 71-year-old female", "a 70-year-old male patient", "a 59-year-old man"
    assert found == {("000", "71", "Female"), ("001", "70", "Male"), ("002", "59", "Male")}


@pytest.mark.parametrize("document,drug,prop,value", [
    # "99% of ixazomib is plasma protein bound"
    ("000", "ixazomib", "plasmaProteinBindingPercent", "99"),
    # "the mean area under the curve (AUC) could be 39% higher in patients with severe renal impairment"
    ("000", "ixazomib", "renalImpairmentAUCIncreasePercent", "39"),
    # "the elimination half-life of ixazomib of 7.5 days"
    ("000", "ixazomib", "eliminationHalfLifeDays", "7.5"),
])
def test_pharmacokinetic_claims(store, document, drug, prop, value):
    rows = select(store, f"""SELECT ?value WHERE {{ GRAPH <https://w3id.org/adekg/graph/source/{document}> {{
        ?claim a ade:DrugPropertyClaim ; ade:aboutDrug drug:{drug} ; ade:claimValue ?value ;
               ade:propertyName ?name ; ade:hasEvidence ?quote }} }}""")
    assert canonical(value) in {canonical(row["value"]) for row in rows}


@pytest.mark.parametrize("document,value", [
    ("000", "11"),    # "Eleven cases of DTMA have been reported with bortezomib and carfilzomib [5]"
    ("000", "1"),     # "only one case of DTMAhas been reported with ixazomib"
])
def test_case_counts(store, document, value):
    rows = select(store, f"""SELECT ?n WHERE {{ GRAPH <https://w3id.org/adekg/graph/source/{document}> {{ ?c ade:caseCount ?n }} }}""")
    assert value in {row["n"] for row in rows}


@pytest.mark.parametrize("document,value", [
    ("001", "17"),    # "17% of patients had skin and subcutaneous tissue disorders"
    ("002", "57.1"),  # "the incidence of anti-jcv antibodies was 57.1%"
    ("002", "58"),    # "one-year survival for hiv-negative patients to be 58%"
    ("002", "12"),    # "had a 12% survival at 10 months"
])
def test_literature_figures(store, document, value):
    rows = select(store, f"""SELECT ?v WHERE {{ GRAPH <https://w3id.org/adekg/graph/source/{document}> {{
        ?c a ade:Claim ; ade:claimValue ?v }} }}""")
    assert canonical(value) in {canonical(row["v"]) for row in rows}


def test_platelet_unit_reinterpretation_is_flagged(store):
    rows = select(store, """SELECT ?value ?written ?unit ?note WHERE { GRAPH <https://w3id.org/adekg/graph/source/000> {
        ?o ade:labTest test:platelet-count ; ade:numericValue ?value ; ade:unitAsWritten ?written ;
           ade:ucumUnit ?unit ; ade:hasInterpretation [ ade:isInterpretation true ; ade:note ?note ] } }""")
    assert {canonical(row["value"]) for row in rows} >= {"84000", "9000"}
    assert {(row["written"], row["unit"]) for row in rows} == {("/dl", "/uL")}


def test_every_fact_has_a_quote_with_offsets(store):
    rows = select(store, """SELECT (COUNT(?fact) AS ?n) WHERE { GRAPH ?g {
        ?fact a ?type . FILTER(?type IN (ade:LabObservation, ade:DrugExposure, ade:AdverseEvent, ade:Claim,
              ade:PatientCondition, ade:AlternativeCause, ade:Intervention))
        FILTER NOT EXISTS { ?fact ade:hasEvidence [ ade:startOffset ?s ; ade:endOffset ?e ; ade:exactText ?t ] } } }""")
    assert rows[0]["n"] == "0"


def test_outcomes(store):
    rows = select(store, """SELECT ?g ?status WHERE { GRAPH ?g { ?p ade:hasOutcome [ ade:outcomeStatus ?status ] } }""")
    found = {(row["g"].rsplit("/", 1)[1], row["status"].rsplit("/", 1)[1]) for row in rows}
    # 000 recovered from DTMA; 001 skin peeling recovered; 002 "died of respiratory failure"
    assert ("002", "Fatal") in found and ("000", "Recovered") in found and ("001", "Recovered") in found
