"""graph/reason.py: HermiT finds the ontology together with the built case data consistent."""
import shutil

import pytest
from pyoxigraph import NamedNode, RdfFormat, serialize

from graph.reason import check_consistency
from graph.terms import source_graph

from .conftest import DOCUMENTS, ONTOLOGY

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java (.ci/run installs it)")


def case_triples(store) -> bytes:
    quads = [quad for document in DOCUMENTS
             for quad in store.quads_for_pattern(None, None, None, NamedNode(source_graph(document)))]
    return serialize((quad.triple for quad in quads), format=RdfFormat.N_TRIPLES)


@pytest.mark.slow
def test_ontology_and_built_data_are_consistent_with_no_unsatisfiable_class(store):
    result = check_consistency(ONTOLOGY, case_triples(store))
    assert result.consistent, result.message
    assert result.unsatisfiable == []


@pytest.mark.slow
def test_an_inconsistency_in_the_data_is_detected(store, tmp_path):
    # A patient who is both female and male contradicts the ontology's functional sex property
    # and the disjointness of the sex individuals; HermiT must say so.
    extra = (b"<https://w3id.org/adekg/data/000/patient> <https://w3id.org/adekg/ontology/sex> "
             b"<https://w3id.org/adekg/ontology/Male> .\n")
    result = check_consistency(ONTOLOGY, case_triples(store) + extra)
    assert not result.consistent
