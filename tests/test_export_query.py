"""adekg export and adekg query: every format parses and says the same thing."""
import csv
import io
import json

import pytest
import rdflib
from pyoxigraph import RdfFormat, parse

from graph.ontology import isomorphic
from graph.terms import ONTOLOGY_GRAPH, source_graph

from .conftest import ONTOLOGY, adekg_in_process


def export(store_path, *args) -> bytes:
    result = adekg_in_process("export", "--store", str(store_path), *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.encode("utf-8")


def test_nquads_export_holds_every_named_graph(built_store):
    quads = list(parse(export(built_store, "--format", "nq", "-o", "-"), format=RdfFormat.N_QUADS))
    graphs = {quad.graph_name.value for quad in quads}
    assert {source_graph("000"), source_graph("001"), source_graph("002"), ONTOLOGY_GRAPH} <= graphs
    assert len(quads) > 3000


@pytest.mark.parametrize("name,rdf_format", [("ttl", RdfFormat.TURTLE), ("nt", RdfFormat.N_TRIPLES),
                                             ("trig", RdfFormat.TRIG), ("jsonld", RdfFormat.JSON_LD)])
def test_every_export_format_parses(built_store, name, rdf_format):
    assert len(list(parse(export(built_store, "--format", name), format=rdf_format))) > 3000


def test_one_named_graph_export(built_store, tmp_path):
    target = tmp_path / "one.ttl"
    export(built_store, "--format", "ttl", "--graph", source_graph("002"), "-o", str(target))
    graph = rdflib.Graph().parse(target, format="turtle")
    assert (None, rdflib.URIRef("https://w3id.org/adekg/ontology/ageInYears"), rdflib.Literal(59)) in graph
    assert (None, rdflib.URIRef("https://w3id.org/adekg/ontology/ageInYears"), rdflib.Literal(71)) not in graph


def test_owl_export_is_the_ontology_file(built_store):
    exported = rdflib.Graph().parse(data=export(built_store, "--format", "owl"), format="xml")
    committed = rdflib.Graph().parse(ONTOLOGY / "adekg.owl", format="xml")
    assert isomorphic(exported, committed)


def test_unknown_graph_is_an_error(built_store):
    result = adekg_in_process("export", "--store", str(built_store), "--format", "nq", "--graph",
                              "https://example.org/none")
    assert result.returncode == 1 and "no named graph" in result.stderr


QUERY = "SELECT ?age WHERE { ?p a ade:Patient ; ade:ageInYears ?age } ORDER BY ?age"


def test_query_formats(built_store, tmp_path):
    as_json = json.loads(adekg_in_process("query", "--store", str(built_store), QUERY, "--format", "json",
                                          check=True).stdout)
    ages = [int(b["age"]["value"]) for b in as_json["results"]["bindings"]]
    assert ages == [59, 70, 71]
    as_csv = list(csv.DictReader(io.StringIO(adekg_in_process("query", "--store", str(built_store), QUERY,
                                                              "--format", "csv", check=True).stdout)))
    assert [row["age"] for row in as_csv] == ["59", "70", "71"]
    as_tsv = adekg_in_process("query", "--store", str(built_store), QUERY, "--format", "tsv", check=True).stdout
    assert as_tsv.splitlines()[0] == "?age"
    table = adekg_in_process("query", "--store", str(built_store), QUERY, check=True).stdout
    assert "(3 rows)" in table


def test_query_from_file_and_malformed_query(built_store, tmp_path):
    query_file = tmp_path / "q.rq"
    query_file.write_text(QUERY, encoding="utf-8")
    from_file = adekg_in_process("query", "--store", str(built_store), "@" + str(query_file), check=True)
    assert "(3 rows)" in from_file.stdout
    bad = adekg_in_process("query", "--store", str(built_store), "SELECT ?x WHERE { ?x ")
    assert bad.returncode == 1 and "malformed query" in bad.stderr
    missing = adekg_in_process("query", "--store", str(built_store), "@" + str(tmp_path / "none.rq"))
    assert missing.returncode == 1 and "none.rq" in missing.stderr
