"""Bad arguments and headers are refused with one line naming the problem, not a traceback."""
from __future__ import annotations

import pytest
from pyoxigraph import Store

from graph.rdf_load import LoadError, load_files


@pytest.mark.parametrize("graph", ["my-graph", "http://example.org/a graph"])
def test_load_refuses_a_graph_name_that_is_not_an_absolute_iri(tmp_path, graph):
    data = tmp_path / "mine.ttl"
    data.write_text("<http://example.org/a> <http://example.org/b> <http://example.org/c> .", encoding="utf-8")
    store = Store()
    with pytest.raises(LoadError, match="--graph .* is not an absolute IRI"):
        load_files(store, [data], graph)
    assert len(store) == 0


def test_a_drug_table_without_the_drugname_column_is_refused_with_file_and_line(tmp_path):
    from graph.faers import ExtractError, read_header

    drug = tmp_path / "DRUG24Q1.txt"
    drug.write_text("primaryid$caseid$drug_seq$role_cod$drug_name$prod_ai\n10011$1001$1$PS$NINLARO$IXAZOMIB\n",
                    encoding="ascii")
    with pytest.raises(ExtractError, match=r"DRUG24Q1.txt: line 1: header lacks drugname"):
        read_header(drug, "DRUG")


@pytest.mark.parametrize("active_ingredient, drug",
                         [("SUNITINIB MALATE", "sunitinib"), ("QUINIDINE GLUCONATE", "quinidine")])
def test_salt_forms_of_table_1_agents_match_their_drug(active_ingredient, drug):
    # How FAERS writes these two DTMA agents of seed 000's Table 1 (Sutent; quinidine gluconate injection).
    from graph.drug_names import DrugIndex

    index = DrugIndex({"sunitinib": "drug/sunitinib", "quinidine": "drug/quinidine"})
    assert index.match(active_ingredient, "") == [f"drug/{drug}"]
    assert not index.unmatched


def test_importing_a_quarter_again_leaves_one_provenance_for_its_graph(plain_store, tmp_path):
    # The second import replaces the quarter graph; graph:build must then say which import made it, not both.
    from graph.faers_import import import_faers
    from graph.store import open_store

    from .conftest import ONTOLOGY, select, store_copy
    from .test_faers import TINY

    store_path = store_copy(plain_store, tmp_path / "store")
    for _ in range(2):
        import_faers(store_path, TINY, ONTOLOGY, max_bad_fraction=0.5, signals=False, tallies=None)
    rows = select(open_store(store_path), """SELECT ?activity ?time WHERE { GRAPH <https://w3id.org/adekg/graph/build> {
        <https://w3id.org/adekg/graph/faers/2024Q1> prov:wasGeneratedBy ?activity ; prov:generatedAtTime ?time } }""")
    assert len(rows) == 1


@pytest.mark.parametrize("active_ingredient, drug_name, drug",
                         [("", "Velcade (bortezomib)", "bortezomib"), ("", "NINLARO [IXAZOMIB CITRATE]", "ixazomib"),
                          ("BEVACIZUMAB-AWWB", "MVASI", "bevacizumab"), ("", "bevacizumab-bvzr", "bevacizumab")])
def test_a_brand_name_with_its_ingredient_in_brackets_or_a_biosimilar_suffix_matches(active_ingredient, drug_name,
                                                                                      drug):
    from graph.drug_names import DrugIndex

    index = DrugIndex({"bortezomib": "drug/bortezomib", "ixazomib": "drug/ixazomib", "bevacizumab": "drug/bevacizumab"})
    assert index.match(active_ingredient, drug_name) == [f"drug/{drug}"]
    assert not index.unmatched


def test_a_name_in_brackets_does_not_hide_the_name_outside_them():
    from graph.drug_names import DrugIndex

    index = DrugIndex({"lenalidomide": "drug/lenalidomide", "dexamethasone": "drug/dexamethasone"})
    assert index.match("", "LENALIDOMIDE (DEXAMETHASONE KIT)") == ["drug/lenalidomide"]  # brackets only as a fallback
    assert index.match("", "HERBAL (UNKNOWN)") == [] and index.unmatched == {"HERBAL (UNKNOWN)": 1}


def test_unmatched_names_are_counted_once_whatever_their_spacing():
    from graph.drug_names import DrugIndex

    index = DrugIndex({})
    for name in ("MYSTERY  HERB", " mystery herb ", "MYSTERY HERB"):
        index.match("", name)
    assert index.unmatched == {"MYSTERY HERB": 3}


@pytest.mark.parametrize("arguments, message", [
    (["--reports", "-5"], "'-5' is not a whole number of at least 1"),
    (["--reports", "10", "--quarter", "2025Q5"], "'2025Q5' is not a quarter such as 2025Q1"),
    (["--reports", "10", "--quarter", "foo"], "'foo' is not a quarter such as 2025Q1")])
def test_synth_faers_refuses_a_bad_count_or_quarter_before_writing(tmp_path, capsys, arguments, message):
    from graph.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["synth-faers", *arguments, "--out", str(tmp_path / "extract")])
    assert stopped.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "extract").exists()


def test_synth_faers_refuses_a_file_or_a_folder_that_holds_something(tmp_path, capsys):
    from graph.cli import main

    (tmp_path / "a-file").write_text("mine")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "DEMO25Q1.txt").write_text("mine")
    for out, problem in (("a-file", "is a file"), ("full", "is not empty")):
        assert main(["-q", "synth-faers", "--reports", "10", "--out", str(tmp_path / out)]) != 0
        assert problem in capsys.readouterr().err
    assert (tmp_path / "a-file").read_text() == "mine" and (tmp_path / "full" / "DEMO25Q1.txt").read_text() == "mine"


def test_faers_mitomycin_matches_the_ontologys_mitomycin_c(plain_store):
    # FAERS names it by its INN, MITOMYCIN; the ontology's label is "mitomycin C", its skos:altLabel "mitomycin".
    from graph.faers_import import drug_index
    from graph.store import open_store

    index = drug_index(open_store(plain_store))
    assert index.match("MITOMYCIN", "MUTAMYCIN") == ["https://w3id.org/adekg/drug/mitomycin"]
    assert index.match("", "Mitomycin C") == ["https://w3id.org/adekg/drug/mitomycin"]


def test_load_takes_datasets_and_gzip_into_the_one_graph(tmp_path):
    # N-Quads and TriG (issue 12 lists them) go into --graph whatever graphs they name; the names are reported;
    # a .gz file (e.g. what `import-faers --to-file` writes) is read through gzip.
    import gzip

    from graph.rdf_load import provenance_quads

    quads = tmp_path / "mine.nq"
    quads.write_text("<http://example.org/a> <http://example.org/p> \"1\" <http://example.org/g1> .\n"
                     "<http://example.org/b> <http://example.org/p> \"2\" .\n", encoding="utf-8")
    trig = tmp_path / "mine.trig"
    trig.write_text("<http://example.org/g2> { <http://example.org/c> <http://example.org/p> _:x . }\n", encoding="utf-8")
    packed = tmp_path / "mine.nt.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as stream:
        stream.write("<http://example.org/d> <http://example.org/p> \"4\" .\n")
    store, merged, graph = Store(), set(), "http://example.org/loaded"
    assert load_files(store, [quads, trig, packed], graph, merged) == 4
    assert {quad.graph_name.value for quad in store} == {graph}
    assert merged == {"http://example.org/g1", "http://example.org/g2"}
    comment = [q.object.value for q in provenance_quads([quads], graph, 4, merged) if q.predicate.value.endswith("comment")]
    assert comment == [f"the files' datasets named these graphs, merged into {graph}: http://example.org/g1, "
                       "http://example.org/g2"]


@pytest.mark.parametrize("name, content, place", [
    ("broken.trig", "<http://example.org/g> { <http://example.org/a> <http://example.org/p> }\n", "line 1"),
    ("broken.nq", "<http://example.org/a> <http://example.org/p> \"1\" .\n<http://example.org/b> oops .\n", "line 2")])
def test_a_broken_dataset_is_refused_with_its_file_and_place(tmp_path, name, content, place):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoadError) as refused:
        load_files(Store(), [path], "http://example.org/loaded")
    assert refused.value.file == str(path) and f"Parser error at {place} " in str(refused.value)


def test_a_damaged_gzip_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "damaged.nt.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 this is not deflate data")
    with pytest.raises(LoadError, match="damaged.nt.gz"):
        load_files(Store(), [path], "http://example.org/loaded")
