"""Turtle and TriG exports are readable (no `data:000\\/patient`) and say the same as the store."""
import re

import rdflib

from graph.ontology import isomorphic
from graph.terms import source_graph

from .conftest import adekg_in_process

ESCAPED_LOCAL_NAME = re.compile(r"\b[A-Za-z][\w.-]*:[^\s\"<>]*\\[^\s\"]")  # a prefixed name holding a backslash


def exported(store_path, *args) -> str:
    """The text of an export through the CLI (in this process: it only reads)."""
    return adekg_in_process("export", "--store", str(store_path), *args, check=True).stdout


def without_literals(text: str) -> str:
    """Turtle text with its string literals blanked, so escapes inside strings do not count."""
    return re.sub(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"', '""', text)


def test_turtle_export_is_readable_and_round_trips(plain_store):
    text = exported(plain_store, "--format", "ttl")
    assert "\\/" not in text and not ESCAPED_LOCAL_NAME.search(without_literals(text))
    assert "<https://w3id.org/adekg/data/000/patient>" in text and "ade:Patient" in text
    readable = rdflib.Graph().parse(data=text, format="turtle")
    plain = rdflib.Graph().parse(data=exported(plain_store, "--format", "nt"), format="nt")
    assert len(readable) == len(plain) > 3000 and isomorphic(readable, plain)


def test_trig_export_is_readable_and_round_trips_graph_by_graph(plain_store):
    text = exported(plain_store, "--format", "trig")
    assert "\\/" not in text and not ESCAPED_LOCAL_NAME.search(without_literals(text))
    readable = rdflib.Dataset().parse(data=text, format="trig")
    plain = rdflib.Dataset().parse(data=exported(plain_store, "--format", "nq"), format="nquads")
    names = {graph.identifier for graph in plain.graphs() if len(graph)}
    assert rdflib.URIRef(source_graph("000")) in names
    assert names == {graph.identifier for graph in readable.graphs() if len(graph)}
    for name in names:
        assert isomorphic(readable.graph(name), plain.graph(name)), name


def test_one_graph_turtle_export_is_readable(plain_store):
    text = exported(plain_store, "--format", "ttl", "--graph", source_graph("001"))
    assert "\\/" not in text
    graph = rdflib.Graph().parse(data=text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/adekg/data/001/patient"), rdflib.RDF.type,
            rdflib.URIRef("https://w3id.org/adekg/ontology/Patient")) in graph
