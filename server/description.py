"""The SPARQL 1.1 Service Description of /sparql and the VoID description of the served dataset."""
from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Store, Triple

from .negotiation import FORMATS

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
FORMAT_IRIS = {"application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
               "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
               "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
               "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
               "text/turtle": "http://www.w3.org/ns/formats/Turtle",
               "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
               "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
               "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
               "application/trig": "http://www.w3.org/ns/formats/TriG",
               "application/n-quads": "http://www.w3.org/ns/formats/N-Quads"}
PREFIXES = {"sd": SD, "void": VOID, "dcterms": DCT, "prov": PROV, "xsd": XSD}


def n(iri: str) -> NamedNode:
    """A NamedNode."""
    return NamedNode(iri)


def integer(value: int) -> Literal:
    """An xsd:integer literal."""
    return Literal(str(value), datatype=n(XSD + "integer"))


def graph_names(store: Store) -> list[NamedNode]:
    """The store's named graphs, sorted."""
    return sorted((g for g in store.named_graphs() if isinstance(g, NamedNode)), key=lambda g: g.value)


def service_description(store: Store, endpoint: str, void_iri: str) -> list[Triple]:
    """Triples describing the endpoint: languages, formats, features and the default dataset."""
    service, dataset, default = n(endpoint), BlankNode(), BlankNode()
    triples = [Triple(service, n(RDF + "type"), n(SD + "Service")),
               Triple(service, n(SD + "endpoint"), service),
               Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
               Triple(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
               Triple(service, n(SD + "feature"), n(SD + "BasicFederatedQuery")),
               Triple(service, n(SD + "defaultDataset"), dataset),
               Triple(dataset, n(RDF + "type"), n(SD + "Dataset")),
               Triple(dataset, n(SD + "defaultGraph"), default),
               Triple(service, n(DCT + "relation"), n(void_iri)),
               Triple(default, n(RDF + "type"), n(SD + "Graph"))]
    for media_type in list(FORMATS["solutions"]) + list(FORMATS["graph"]):
        if media_type in FORMAT_IRIS:
            triples.append(Triple(service, n(SD + "resultFormat"), n(FORMAT_IRIS[media_type])))
    for graph in graph_names(store):
        named = BlankNode()
        triples += [Triple(dataset, n(SD + "namedGraph"), named),
                    Triple(named, n(RDF + "type"), n(SD + "NamedGraph")),
                    Triple(named, n(SD + "name"), graph)]
    return triples


def count(store: Store, query: str, **options) -> int:
    """The single integer a COUNT query returns."""
    return int(next(iter(store.query(query, **options)))[0].value)


def void_description(store: Store, void_iri: str, endpoint: str, licence: str) -> list[Triple]:
    """Triples of a VoID description: sizes, classes, properties, named graphs, licence, provenance."""
    dataset = n(void_iri + "#dataset")
    union = {"use_default_graph_as_union": True}
    triples = [Triple(dataset, n(RDF + "type"), n(VOID + "Dataset")),
               Triple(dataset, n(VOID + "sparqlEndpoint"), n(endpoint)),
               Triple(dataset, n(DCT + "license"), n(licence)),
               Triple(dataset, n(VOID + "triples"), integer(count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", **union))),
               Triple(dataset, n(VOID + "classes"),
                      integer(count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }", **union))),
               Triple(dataset, n(VOID + "properties"),
                      integer(count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }", **union))),
               Triple(dataset, n(VOID + "distinctSubjects"),
                      integer(count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }", **union)))]
    for graph in graph_names(store):
        size = count(store, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
        subset = n(void_iri + "#graph-" + str(len(triples)))
        triples += [Triple(dataset, n(VOID + "subset"), subset),
                    Triple(subset, n(RDF + "type"), n(VOID + "Dataset")),
                    Triple(subset, n(SD + "name"), graph),
                    Triple(subset, n(VOID + "triples"), integer(size))]
        for solution in store.query(f"SELECT DISTINCT ?activity ?source {{ GRAPH ?g {{ <{graph.value}> <{PROV}wasGeneratedBy> ?activity "
                                    f"OPTIONAL {{ <{graph.value}> <{PROV}wasDerivedFrom> ?source }} }} }}"):
            triples.append(Triple(subset, n(PROV + "wasGeneratedBy"), solution["activity"]))
            if solution["source"] is not None:
                triples.append(Triple(subset, n(PROV + "wasDerivedFrom"), solution["source"]))
    for solution in store.query("SELECT ?c (COUNT(?s) AS ?n) {{ ?s a ?c FILTER(isIRI(?c)) }} GROUP BY ?c ORDER BY ?c", **union):
        partition = BlankNode()
        triples += [Triple(dataset, n(VOID + "classPartition"), partition),
                    Triple(partition, n(VOID + "class"), solution["c"]),
                    Triple(partition, n(VOID + "entities"), integer(int(solution["n"].value)))]
    for solution in store.query("SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p ORDER BY ?p", **union):
        partition = BlankNode()
        triples += [Triple(dataset, n(VOID + "propertyPartition"), partition),
                    Triple(partition, n(VOID + "property"), solution["p"]),
                    Triple(partition, n(VOID + "triples"), integer(int(solution["n"].value)))]
    return triples
