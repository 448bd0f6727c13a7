"""Stage 4: validate the mapped graphs against the SHACL shapes in ontology/shapes.ttl."""
from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from .errors import ValidationError, raise_all

if TYPE_CHECKING:  # rdflib is loaded where it is used: a build whose SHACL results are cached does without it
    import rdflib

SHAPES_FILE = "shapes.ttl"


def load_shapes(ontology_dir: Path) -> rdflib.Graph:
    """Read the SHACL shapes graph."""
    import rdflib

    path = ontology_dir / SHAPES_FILE
    if not path.is_file():
        raise ValidationError("SHACL shapes file not found", file=str(path))
    return rdflib.Graph().parse(path, format="turtle")


def class_memberships(ontology: rdflib.Graph) -> rdflib.Graph:
    """The ontology's rdf:type and rdfs:subClassOf statements between IRIs: what SHACL Core's class checks read of it.

    Mixing in only these (a quarter of the ontology) halves the validation's CPU time: pyshacl copies every
    statement it is given, and the OWL axioms' blank-node lists cost most. No shape targets an ontology term.
    """
    import rdflib

    memberships = rdflib.Graph()
    for predicate in (rdflib.RDF.type, rdflib.RDFS.subClassOf):
        for subject, value in ontology.subject_objects(predicate):
            if isinstance(subject, rdflib.URIRef) and isinstance(value, rdflib.URIRef):
                memberships.add((subject, predicate, value))
    return memberships


def shape_results(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[rdflib.term.Node, str]]:
    """(focus node, readable line) for each SHACL violation of the data (empty when it conforms)."""
    return membership_shape_results(data, class_memberships(ontology), shapes)


def membership_shape_results(data: rdflib.Graph, memberships: rdflib.Graph,
                             shapes: rdflib.Graph) -> list[tuple[rdflib.term.Node, str]]:
    """(focus node, readable line) for each SHACL violation of the data, given the ontology's class memberships."""
    import pyshacl  # here, not at the top: a build whose validation is cached never pays its ~0.5 s import
    import rdflib
    from rdflib.namespace import SH

    # The ontology's class memberships are mixed into (a copy of) the data so sh:class sees the types of drug, test and
    # mechanism individuals.
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=memberships,
                                           inference="none", allow_warnings=True)
    if conforms:
        return []
    results = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        value = report.value(result, SH.value)
        line = f"{focus.n3()}: {path.n3() if path is not None else '(node)'}: {message}"
        results.append((focus, line + (f" (value {value.n3()})" if value is not None else "")))
    return sorted(results, key=lambda result: result[1])


def shape_violations(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph) -> list[str]:
    """Return one readable line per SHACL violation (empty when the data conforms)."""
    return [line for _, line in shape_results(data, ontology, shapes)]


def check_shapes(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph, name: str) -> None:
    """Raise a ValidationError for each SHACL violation of a graph."""
    raise_all(shape_problems(data, ontology, shapes, name))


def shape_problems(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph,
                   name: str) -> list[ValidationError]:
    """One ValidationError per SHACL violation of a graph, naming the record it was mapped from."""
    return [ValidationError(f"SHACL violation: {line}", file=name) for line in shape_violations(data, ontology, shapes)]


def owned_shape_problems(results: list[tuple[str, str]], owners: dict[str, list[str]],
                         fallback: str) -> list[ValidationError]:
    """One ValidationError per (focus IRI, line) SHACL result of several records' graphs, naming its records.

    owners maps a node's IRI to the record names whose graphs describe it; a node no record describes (an
    ontology individual) is reported against `fallback`.
    """
    return [ValidationError(f"SHACL violation: {line}", file=name)
            for focus, line in results for name in owners.get(focus, [fallback])]
