"""IRIs of the adekg namespaces and the CURIE prefixes records may use."""
import functools

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
