"""graph/reason.py: the case data is checked against the ontology by the consistency rules (HermiT sees no case data)."""
import pytest
from pyoxigraph import Literal, NamedNode, Quad

from graph.reason import ReasoningError, is_reasoning_quad, reason
from graph.rules import inconsistencies
from graph.terms import source_graph

from .conftest import ONTOLOGY

ADE = "https://w3id.org/adekg/ontology/"
PATIENT = NamedNode("https://w3id.org/adekg/data/000/patient")
GRAPH_000 = NamedNode(source_graph("000"))
INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")


@pytest.fixture(scope="module")
def asserted(store) -> list[Quad]:
    """The built store without anything the reasoning stage added."""
    return [quad for quad in store.quads_for_pattern(None, None, None) if not is_reasoning_quad(quad)]


def reasoned(asserted, reasoner_cache, extra=()):
    """Run the reasoning stage over the asserted quads plus extra ones, in memory."""
    from pyoxigraph import Store
    memory = Store()
    memory.extend(asserted + list(extra))
    reason(memory, ONTOLOGY, reasoner_cache)
    return memory


def test_the_seed_data_is_consistent_with_the_ontology(asserted, reasoner_cache):
    assert inconsistencies(reasoned(asserted, reasoner_cache), ONTOLOGY) == []


def test_a_patient_both_female_and_male_stops_the_reasoning(asserted, reasoner_cache):
    # ade:sex is functional and ade:Female, ade:Male are declared different (owl:AllDifferent).
    extra = [Quad(PATIENT, NamedNode(ADE + "sex"), NamedNode(ADE + "Male"), GRAPH_000)]
    with pytest.raises(ReasoningError, match="functional-property-conflict: <https://w3id.org/adekg/data/000/patient> <https://w3id.org/adekg/ontology/sex>"):
        reasoned(asserted, reasoner_cache, extra)


def test_a_value_outside_an_enumerated_range_stops_the_reasoning(asserted, reasoner_cache):
    # ade:Sex is exactly {Female, Male}; ade:Low is declared different from both.
    patient = NamedNode("https://w3id.org/adekg/data/001/patient")
    extra = [Quad(patient, NamedNode(ADE + "sex"), NamedNode(ADE + "Low"), NamedNode(source_graph("001")))]
    with pytest.raises(ReasoningError, match="enumeration-violation: <https://w3id.org/adekg/data/001/patient>"):
        reasoned(asserted, reasoner_cache, extra)


def test_two_values_of_a_functional_data_property_conflict_only_when_they_differ(asserted, reasoner_cache):
    age = next(q.object for q in asserted if q.subject == PATIENT and q.predicate.value == ADE + "ageInYears")
    same = Literal("0" + age.value, datatype=INTEGER)
    reasoned(asserted, reasoner_cache, [Quad(PATIENT, NamedNode(ADE + "ageInYears"), same, GRAPH_000)])
    other = Literal(str(int(age.value) + 1), datatype=INTEGER)
    with pytest.raises(ReasoningError, match="functional-property-conflict: <https://w3id.org/adekg/data/000/patient> <https://w3id.org/adekg/ontology/ageInYears>"):
        reasoned(asserted, reasoner_cache, [Quad(PATIENT, NamedNode(ADE + "ageInYears"), other, GRAPH_000)])


def test_an_individual_of_two_disjoint_classes_stops_the_reasoning(asserted, reasoner_cache):
    ontology = NamedNode("https://w3id.org/adekg/graph/ontology")
    disjoint = Quad(NamedNode(ADE + "Patient"), NamedNode("http://www.w3.org/2002/07/owl#disjointWith"),
                    NamedNode(ADE + "LabObservation"), ontology)
    observation = next(q.object for q in asserted
                       if q.subject == PATIENT and q.predicate.value == ADE + "hasObservation")
    # the observation becomes a patient by the domain of ade:sex, and is a lab observation by assertion
    extra = [disjoint, Quad(observation, NamedNode(ADE + "sex"), NamedNode(ADE + "Female"), GRAPH_000)]
    with pytest.raises(ReasoningError, match=f"disjoint-classes: <{observation.value}>"):
        reasoned(asserted, reasoner_cache, extra)
