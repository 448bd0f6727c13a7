"""Stage 4: validate the mapped graphs against the SHACL shapes in ontology/shapes.ttl."""
from __future__ import annotations

from pathlib import Path

import pyshacl
import rdflib
from rdflib.namespace import SH

from .errors import ValidationError, raise_all

SHAPES_FILE = "shapes.ttl"


def load_shapes(ontology_dir: Path) -> rdflib.Graph:
    """Read the SHACL shapes graph."""
    path = ontology_dir / SHAPES_FILE
    if not path.is_file():
        raise ValidationError("SHACL shapes file not found", file=str(path))
    return rdflib.Graph().parse(path, format="turtle")


def shape_violations(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph) -> list[str]:
    """Return one readable line per SHACL violation (empty when the data conforms)."""
    # The ontology is added to the data so sh:class sees the types of drug, test and mechanism individuals.
    conforms, report, _ = pyshacl.validate(data + ontology, shacl_graph=shapes, inference="none",
                                           allow_warnings=True)
    if conforms:
        return []
    lines = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        value = report.value(result, SH.value)
        line = f"{focus.n3()}: {path.n3() if path is not None else '(node)'}: {message}"
        lines.append(line + (f" (value {value.n3()})" if value is not None else ""))
    return sorted(lines)


def check_shapes(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph, name: str) -> None:
    """Raise a ValidationError for each SHACL violation of a graph."""
    raise_all(shape_problems(data, ontology, shapes, name))


def shape_problems(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph,
                   name: str) -> list[ValidationError]:
    """One ValidationError per SHACL violation of a graph, naming the record it was mapped from."""
    return [ValidationError(f"SHACL violation: {line}", file=name) for line in shape_violations(data, ontology, shapes)]
