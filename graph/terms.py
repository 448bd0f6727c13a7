"""IRIs of the adekg namespaces, and the keys and CURIEs records may use (listed by `adekg terms`)."""
from __future__ import annotations

import functools
from typing import NamedTuple

from pyoxigraph import NamedNode

BASE = "https://w3id.org/adekg/"
ADE = BASE + "ontology/"
DRUG = BASE + "drug/"
TEST = BASE + "test/"
MECH = BASE + "mechanism/"
DATA = BASE + "data/"
GRAPH = BASE + "graph/"
BUILD = BASE + "build/"
RULE = BASE + "rule/"
INFERRED = BASE + "inferred/"
OBO = "http://purl.obolibrary.org/obo/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"

ONTOLOGY_GRAPH = GRAPH + "ontology"
IMPORTS_GRAPH = GRAPH + "ontology-imports"
BUILD_GRAPH = GRAPH + "build"
INFERRED_GRAPH = GRAPH + "inferred"
RULES_GRAPH = GRAPH + "rules"

# Prefixes of CURIEs allowed in records; OBO ontologies share one IRI pattern.
CURIE_PREFIXES = {
    "ade": ADE,
    "CHEBI": OBO + "CHEBI_",
    "MONDO": OBO + "MONDO_",
    "HP": OBO + "HP_",
    "OAE": OBO + "OAE_",
    "NCIT": OBO + "NCIT_",
    "RO": OBO + "RO_",
    "NCBITaxon": OBO + "NCBITaxon_",
    "UBERON": OBO + "UBERON_",
}

# The kinds of controlled key records use: the namespace of their individuals and what to call one.
KEY_KINDS = {"drug": (DRUG, "drug"), "test": (TEST, "lab test"), "mechanism": (MECH, "mechanism")}
# Record fields whose values are keys, with the kind of key each takes; record fields whose values are CURIEs.
KEY_FIELDS = {"drug": "drug", "suspect_drugs": "drug", "drugs": "drug", "implicates_drugs": "drug",
              "measured_drug": "drug", "test": "test", "mechanism": "mechanism"}
CURIE_FIELDS = ("term", "feature_terms", "extra_terms", "event_term", "drug_class", "cause_of_death")
# The annotation on a lab test naming the kind of quantity records report for it (see graph/units.py).
QUANTITY_KIND = ADE + "quantityKind"

# Prefixes written into exported Turtle/TriG and used by queries/.
PREFIXES = {
    "ade": ADE, "drug": DRUG, "test": TEST, "mech": MECH, "data": DATA, "graph": GRAPH,
    "obo": OBO, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "prov": PROV,
    "dcterms": DCTERMS, "skos": SKOS, "rule": RULE, "inf": INFERRED,
}


@functools.lru_cache(maxsize=4096)
def ade(local: str) -> NamedNode:
    """Return the ontology term ade:<local>."""
    return NamedNode(ADE + local)


def expand_curie(curie: str) -> str | None:
    """Return the full IRI of a CURIE with a known prefix, or None."""
    prefix, _, local = curie.partition(":")
    namespace = CURIE_PREFIXES.get(prefix)
    return namespace + local if namespace and local else None


def source_graph(document_id: str) -> str:
    """Return the IRI of the named graph holding one source document's facts."""
    return f"{GRAPH}source/{document_id}"


class Term(NamedTuple):
    """A term a record may use: its key or CURIE, label, IRI and (for lab tests) kind of quantity."""

    key: str
    label: str
    iri: str
    quantity_kind: str = ""


def term_kinds() -> list[str]:
    """The kinds `adekg terms` lists: the key kinds, then the CURIE prefixes."""
    return [*KEY_KINDS, *CURIE_PREFIXES]


def resolve_kind(name: str) -> str | None:
    """The kind a user means by a name, ignoring case (`hp` is HP), or None."""
    return next((kind for kind in term_kinds() if kind.lower() == name.lower()), None)


def record_terms(ontology: rdflib.Graph, kind: str) -> list[Term]:
    """Every term of one kind a record may use, read from the ontology and its imports, by key."""
    import rdflib  # here: the commands that only need the namespaces above do not load rdflib

    if kind in KEY_KINDS:
        namespace, node_type, prefix = KEY_KINDS[kind][0], rdflib.OWL.NamedIndividual, ""
    else:
        namespace, node_type, prefix = CURIE_PREFIXES[kind], rdflib.OWL.Class, kind + ":"
    terms = []
    for node in set(ontology.subjects(rdflib.RDF.type, node_type)):
        iri = str(node)
        if isinstance(node, rdflib.URIRef) and iri.startswith(namespace) and len(iri) > len(namespace):
            quantity = ontology.value(node, rdflib.URIRef(QUANTITY_KIND))
            terms.append(Term(prefix + iri[len(namespace):], label_of(ontology, node), iri,
                              str(quantity) if quantity is not None else ""))
    return sorted(terms)


def label_of(ontology: rdflib.Graph, node: rdflib.URIRef) -> str:
    """The English (or else any) rdfs:label of a node, or '' when it has none."""
    import rdflib

    labels = sorted(ontology.objects(node, rdflib.RDFS.label), key=lambda label: (label.language not in ("en", None), label))
    return str(labels[0]) if labels else ""
