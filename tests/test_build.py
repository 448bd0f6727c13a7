"""graph/build.py and graph/store.py: named graphs, provenance, atomic swap, CLI contract."""
import pytest

from graph.store import current_generation, open_store
from graph.terms import BUILD_GRAPH, IMPORTS_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, RULES_GRAPH, source_graph

from .conftest import DOCUMENTS, ONTOLOGY, adekg, adekg_in_process, edit_record, select, store_copy

LDH_QUERY = """SELECT ?value WHERE { ?o ade:labTest test:ldh ; ade:numericValue ?value }"""


def test_named_graphs_one_per_source_plus_ontology_imports_build_inferred_and_rules(store):
    graphs = {graph.value for graph in store.named_graphs()}
    assert graphs == ({ONTOLOGY_GRAPH, IMPORTS_GRAPH, BUILD_GRAPH, INFERRED_GRAPH, RULES_GRAPH}
                      | {source_graph(d) for d in DOCUMENTS})


def test_default_graph_is_the_union_of_the_named_graphs(store):
    rows = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    per_graph = select(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert 0 < int(rows[0]["n"]) <= int(per_graph[0]["n"])


def test_each_graph_has_provenance_from_its_files(store):
    rows = select(store, """
        SELECT ?graph ?file ?activity ?when WHERE { GRAPH graph:build {
          ?graph prov:wasGeneratedBy ?activity ; prov:generatedAtTime ?when ;
                 prov:wasDerivedFrom [ ade:fileName ?file ] .
          ?activity a prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ;
                    prov:wasAssociatedWith [ a prov:SoftwareAgent ] } }""")
    files = {(row["graph"], row["file"]) for row in rows}
    for document, text in (("000", "000_d2d347646c1aa5a0"), ("001", "001_15ee03019fee03ee"),
                           ("002", "002_10a858e93e19efa9")):
        assert (source_graph(document), text + ".txt") in files
        assert (source_graph(document), text + ".yaml") in files
    assert (ONTOLOGY_GRAPH, "adekg.owl") in files
    assert len({row["activity"] for row in rows}) == 1


def test_build_writes_a_generation_and_links_it(built_store):
    assert (built_store / "current").is_symlink()
    generation = current_generation(built_store)
    assert generation.parent == built_store / "generations" and (generation / "COMPLETE").is_file()


def test_changed_number_in_a_seed_text_fails_and_keeps_the_previous_store(plain_store, tmp_path, seeds_copy):
    store_path = store_copy(plain_store, tmp_path / "store")  # the seeds as they are, built without reasoning
    before = current_generation(store_path)
    text = next(seeds_copy.glob("000_*.txt"))
    text.write_text(text.read_text(encoding="utf-8").replace("(1366 units/L)", "(1367 units/L)"), encoding="utf-8")

    result = adekg_in_process("build", "--no-reason", "--store", str(store_path), "--seeds", str(seeds_copy))

    assert result.returncode != 0
    reason = result.stderr.strip().splitlines()[-1]
    assert "000_d2d347646c1aa5a0.yaml" in reason and "quote not found" in reason and "1366" in reason
    assert current_generation(store_path) == before
    rows = select(open_store(store_path), LDH_QUERY)
    assert [float(row["value"]) for row in rows] == [1366.0]


def test_quiet_builds_replace_the_store_prune_old_generations_and_print_nothing(plain_store, tmp_path):
    store_path = store_copy(plain_store, tmp_path / "store")  # the first build
    for _ in range(2):  # in a subprocess: --quiet must silence the real stderr, where progress goes
        assert adekg("build", "--no-reason", "--quiet", "--store", str(store_path), check=True).stderr == ""
    generations = list((store_path / "generations").iterdir())
    assert len(generations) == 2 and current_generation(store_path) in generations
    assert select(open_store(store_path), LDH_QUERY)


def test_validate_writes_nothing(tmp_path):
    result = adekg_in_process("validate")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stderr
    assert not (tmp_path / "store").exists()


def test_progress_per_stage(tmp_path):
    # (that --quiet prints nothing: test_quiet_builds_replace_the_store_prune_old_generations_and_print_nothing)
    loud = adekg("build", "--no-reason", "--store", str(tmp_path / "a"), check=True)
    for stage in ("[load", "[ontology", "[check", "[map", "[validate", "[store"):
        assert stage in loud.stderr
    assert " s)" in loud.stderr


def test_shacl_violation_fails_with_a_report(tmp_path):
    shapes_dir = tmp_path / "ontology"
    import shutil
    shutil.copytree(ONTOLOGY, shapes_dir)
    shapes = shapes_dir / "shapes.ttl"
    # A stricter shape that the data cannot meet: every patient must be 200+ years old.
    shapes.write_text(shapes.read_text(encoding="utf-8").replace("sh:maxInclusive 130", "sh:minInclusive 200"),
                      encoding="utf-8")
    result = adekg_in_process("build", "--no-reason", "--store", str(tmp_path / "store"), "--ontology", str(shapes_dir))
    assert result.returncode != 0
    assert "SHACL violation" in result.stderr.strip().splitlines()[-1]
    assert "ageInYears" in result.stderr
    assert not (tmp_path / "store").exists()


def test_query_on_a_missing_store_fails_with_one_line(tmp_path):
    result = adekg_in_process("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "adekg build" in result.stderr


def break_yaml(seeds):
    path = next(seeds.glob("001_*.yaml"))
    path.write_text(path.read_text(encoding="utf-8").replace("schema_version: 1", "schema_version: [1", 1), encoding="utf-8")


def remove_text(seeds):
    next(seeds.glob("002_*.txt")).unlink()


BAD_INPUTS = {
    "missing file": (remove_text, "002_10a858e93e19efa9.yaml", "not found"),
    "malformed YAML": (break_yaml, "001_15ee03019fee03ee.yaml", "malformed YAML"),
    "unknown field": (lambda s: edit_record(s, "000", lambda d: d["patient"].update(colour="blue")),
                      "000_d2d347646c1aa5a0.yaml", "unknown field 'colour'"),
    "unknown UCUM unit": (lambda s: edit_record(s, "002", lambda d: d["observations"][0].update(unit="gg/L")),
                          "002_10a858e93e19efa9.yaml", "not a valid UCUM code"),
    "wrong type": (lambda s: edit_record(s, "001", lambda d: d["patient"].update(age_years="70 years")),
                   "001_15ee03019fee03ee.yaml", "wrong type"),
    "identifier not in the imports": (
        lambda s: edit_record(s, "000", lambda d: d["adverse_events"][0].update(term="HP:9999999")),
        "000_d2d347646c1aa5a0.yaml", "'HP:9999999' is not declared"),
}


@pytest.fixture(scope="module")
def existing_store(plain_store, tmp_path_factory):
    """A copy of the seeds built without reasoning, which the failed builds must leave as it was."""
    return store_copy(plain_store, tmp_path_factory.mktemp("existing") / "store")


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_with_one_line_and_loses_nothing(existing_store, seeds_copy, case):
    breaker, file_name, problem = BAD_INPUTS[case]
    before = current_generation(existing_store)
    breaker(seeds_copy)
    result = adekg_in_process("build", "--no-reason", "--quiet", "--store", str(existing_store),
                              "--seeds", str(seeds_copy))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and file_name in lines[0] and problem in lines[0], result.stderr
    assert current_generation(existing_store) == before
    assert select(open_store(existing_store), LDH_QUERY)


def test_no_shape_targets_an_ontology_term():
    # The SHACL stage mixes only the ontology's class memberships into the data (graph/validate.py), which holds
    # as long as no term of the ontology is a focus node of a shape.
    from rdflib import RDF, RDFS, URIRef
    from rdflib.namespace import SH

    from graph.ontology import load_ontology_graph
    from graph.validate import load_shapes

    ontology, shapes = load_ontology_graph(ONTOLOGY), load_shapes(ONTOLOGY)
    assert not set(shapes.predicates()) & {SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf}
    targeted = set(shapes.objects(None, SH.targetClass))
    assert URIRef("https://w3id.org/adekg/ontology/Patient") in targeted
    while more := {s for s, o in ontology.subject_objects(RDFS.subClassOf) if o in targeted} - targeted:
        targeted |= more
    assert [s for s, c in ontology.subject_objects(RDF.type) if c in targeted] == []
