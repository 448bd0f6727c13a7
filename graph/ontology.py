"""The ontology: release adekg.owl from adekg-edit.ttl, load it with its import modules, run the checks."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import rdflib
import rdflib.compare
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF

from .errors import AdekgError
from .terms import ADE, DCTERMS, DRUG, MECH, OBO, PROV, RDFS, SKOS, TEST, XSD

EDIT_FILE = "adekg-edit.ttl"
ONTOLOGY_FILE = "adekg.owl"
CATALOG_FILE = "catalog-v001.xml"
CHECKS_DIR = "checks"
CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
# Prefixes of the release file, in the order they are written; element names must be QNames.
XML_PREFIXES = (("rdf", str(RDF)), ("rdfs", RDFS), ("owl", str(OWL)), ("xsd", XSD), ("skos", SKOS),
                ("dcterms", DCTERMS), ("prov", PROV), ("obo", OBO), ("ade", ADE), ("drug", DRUG),
                ("test", TEST), ("mech", MECH))
# The rdf:type a resource's XML element is named after, first match wins; entity kinds in this order
# (annotation properties before the header: OWL API 3 otherwise lists the header's IRI-valued
# annotations as unparsed triples).
ELEMENT_TYPES = (OWL.AnnotationProperty, OWL.Ontology, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.Class,
                 OWL.NamedIndividual, OWL.Restriction, OWL.AllDifferent, OWL.AllDisjointClasses)
DECLARATION_TYPES = (OWL.Class, OWL.NamedIndividual, OWL.ObjectProperty, OWL.DatatypeProperty,
                     OWL.AnnotationProperty)


def ontology_dir() -> Path:
    """The project's ontology folder (ontology/ next to graph/)."""
    return Path(__file__).resolve().parent.parent / "ontology"


def read_catalog(folder: Path) -> dict[str, Path]:
    """Map each import IRI of the Protégé catalog to its local file."""
    path = folder / CATALOG_FILE
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise AdekgError(f"cannot read the XML catalog: {error}", file=str(path)) from error
    return {entry.get("name"): (folder / entry.get("uri")).resolve()
            for entry in root.iter(f"{CATALOG_NS}uri")}


def parse_file(graph: rdflib.Graph, path: Path, syntax: str) -> None:
    """Parse one ontology file into a graph, naming the file on failure."""
    if not path.is_file():
        raise AdekgError("ontology file not found", file=str(path))
    try:
        graph.parse(path, format=syntax)
    except Exception as error:  # rdflib raises many kinds of parse errors
        raise AdekgError(f"cannot parse: {error}", file=str(path)) from error


def load_ontology_graph(folder: Path) -> rdflib.Graph:
    """Load adekg.owl and, through the catalog (never the network), every module it imports."""
    catalog = read_catalog(folder)
    graph = rdflib.Graph()
    parse_file(graph, folder / ONTOLOGY_FILE, "xml")
    loaded: set[str] = set()
    pending = sorted(str(iri) for iri in graph.objects(None, OWL.imports))
    while pending:
        iri = pending.pop(0)
        if iri in loaded:
            continue
        if iri not in catalog:
            raise AdekgError(f"owl:imports <{iri}> has no entry in the catalog", file=str(folder / CATALOG_FILE))
        module = rdflib.Graph()
        parse_file(module, catalog[iri], "xml")
        graph += module
        loaded.add(iri)
        pending += sorted(str(other) for other in module.objects(None, OWL.imports))
    return graph


def release(folder: Path) -> Path:
    """Write adekg.owl (RDF/XML, byte-for-byte deterministic) from adekg-edit.ttl; return its path."""
    source = rdflib.Graph()
    parse_file(source, folder / EDIT_FILE, "turtle")
    target = folder / ONTOLOGY_FILE
    target.write_text(RdfXmlWriter(source).document(), encoding="utf-8")
    return target


def in_sync(folder: Path) -> bool:
    """True when adekg.owl states exactly the triples of adekg-edit.ttl."""
    edited, released = rdflib.Graph(), rdflib.Graph()
    parse_file(edited, folder / EDIT_FILE, "turtle")
    parse_file(released, folder / ONTOLOGY_FILE, "xml")
    return rdflib.compare.isomorphic(edited, released)


def declared_terms(graph: rdflib.Graph) -> set[str]:
    """IRIs declared as classes, individuals or properties in an ontology graph."""
    return {str(subject) for kind in DECLARATION_TYPES
            for subject in graph.subjects(RDF.type, kind) if isinstance(subject, URIRef)}


def run_checks(graph: rdflib.Graph, checks_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Run every *-violation.rq SELECT over a graph; map each check's name to its rows."""
    results = {}
    for path in sorted(checks_dir.glob("*-violation.rq")):
        try:
            answer = graph.query(path.read_text(encoding="utf-8"))
        except Exception as error:  # a broken query is the check's fault, named as such
            raise AdekgError(f"cannot run the check: {error}", file=str(path)) from error
        results[path.stem] = [{str(name): str(row[name]) for name in answer.vars if row[name] is not None}
                              for row in answer]
    return results


class RdfXmlWriter:
    """Writes a graph as RDF/XML in a fixed order: resources by kind and IRI, nested blank nodes, collections."""

    def __init__(self, graph: rdflib.Graph):
        self.graph = graph

    def document(self) -> str:
        """The whole RDF/XML document."""
        lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
        lines += [f"    xmlns:{prefix}={quoteattr(namespace)}" for prefix, namespace in XML_PREFIXES]
        lines[-1] += ">"
        named = sorted({s for s in self.graph.subjects() if isinstance(s, URIRef)}, key=self.resource_order)
        for subject in named:
            lines += [""] + self.node(subject, 1)
        roots = [s for s in set(self.graph.subjects()) if isinstance(s, BNode)
                 and (None, None, s) not in self.graph]
        for text in sorted("\n".join(self.node(root, 1)) for root in roots):
            lines += ["", text]
        lines += ["</rdf:RDF>", ""]
        return "\n".join(lines)

    def resource_order(self, subject: URIRef) -> tuple[int, str]:
        """Sort key: annotation properties, the ontology header, other properties, classes, individuals; by IRI."""
        types = set(self.graph.objects(subject, RDF.type))
        rank = next((index for index, kind in enumerate(ELEMENT_TYPES) if kind in types), len(ELEMENT_TYPES))
        return rank, str(subject)

    def qname(self, iri: URIRef) -> str:
        """The XML QName of an IRI used as an element name."""
        for prefix, namespace in sorted(XML_PREFIXES, key=lambda item: -len(item[1])):
            local = str(iri)[len(namespace):]
            if str(iri).startswith(namespace) and local[:1].isalpha() and all(c.isalnum() or c in "_-." for c in local):
                return f"{prefix}:{local}"
        raise AdekgError(f"<{iri}> is used as a predicate or type but has no QName in the release's prefixes")

    def node(self, subject, depth: int) -> list[str]:
        """A node element for a resource or blank node, with its properties."""
        types = set(self.graph.objects(subject, RDF.type))
        element_type = next((kind for kind in ELEMENT_TYPES if kind in types), None)
        element = self.qname(element_type) if element_type else "rdf:Description"
        indent = "    " * depth
        opening = f"{indent}<{element}" + (f" rdf:about={quoteattr(str(subject))}" if isinstance(subject, URIRef) else "")
        properties = sorted(((self.qname(p), o) for p, o in self.graph.predicate_objects(subject)
                             if not (p == RDF.type and o == element_type)), key=lambda item: (item[0], self.object_order(item[1])))
        if not properties:
            return [opening + "/>"]
        lines = [opening + ">"]
        for predicate, obj in properties:
            lines += self.property(predicate, obj, depth + 1)
        return lines + [f"{indent}</{element}>"]

    def object_order(self, obj) -> str:
        """Sort key of a property value: IRIs and literals by text, blank nodes by their rendering."""
        if isinstance(obj, BNode):
            return "\uffff" + "\n".join(self.property("x", obj, 0))
        return str(obj) + (f"@{obj.language}" if isinstance(obj, Literal) and obj.language else "")

    def property(self, predicate: str, obj, depth: int) -> list[str]:
        """A property element holding a resource, a literal, a nested blank node or a collection."""
        indent = "    " * depth
        if isinstance(obj, URIRef):
            return [f"{indent}<{predicate} rdf:resource={quoteattr(str(obj))}/>"]
        if isinstance(obj, Literal):
            attribute = (f" xml:lang={quoteattr(obj.language)}" if obj.language else
                         f" rdf:datatype={quoteattr(str(obj.datatype))}" if obj.datatype else "")
            return [f"{indent}<{predicate}{attribute}>{escape(str(obj))}</{predicate}>"]
        if len(list(self.graph.subjects(None, obj))) > 1:
            raise AdekgError(f"blank node {obj.n3()} is the value of more than one triple; give it an IRI")
        items = self.collection(obj)
        if items is not None:
            lines = [f'{indent}<{predicate} rdf:parseType="Collection">']
            for item in items:
                lines += ([f"{indent}    <rdf:Description rdf:about={quoteattr(str(item))}/>"]
                          if isinstance(item, URIRef) else self.node(item, depth + 1))
            return lines + [f"{indent}</{predicate}>"]
        return [f"{indent}<{predicate}>"] + self.node(obj, depth + 1) + [f"{indent}</{predicate}>"]

    def collection(self, head) -> list | None:
        """The members of a well-formed RDF list of resources starting at head, or None."""
        items, node = [], head
        while node != RDF.nil:
            if set(self.graph.predicates(node)) != {RDF.first, RDF.rest}:
                return None
            item = self.graph.value(node, RDF.first)
            if isinstance(item, Literal):
                return None
            items.append(item)
            node = self.graph.value(node, RDF.rest)
        return items if node == RDF.nil and head != RDF.nil else None


if __name__ == "__main__":
    print(f"wrote {release(ontology_dir())}")
