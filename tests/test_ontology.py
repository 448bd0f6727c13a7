"""graph/ontology.py and ontology/: the edit file survives a Protégé save, the release is the OWL API's,
in sync, OWL 2 DL, consistent, checked, and complete."""
from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import owlready2
import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

import graph.ontology
from graph.hermit import classify
from graph.errors import AdekgError
from graph.ontology import (CATALOG_FILE, CHECKS_DIR, EDIT_FILE, ONTOLOGY_FILE, OWLAPI_SAVE, canonicalise,
                            declared_terms, in_sync, isomorphic, load_ontology_graph, owlapi_classpath, owlapi_save, read_catalog,
                            release, run_checks)
from graph.terms import ADE, DRUG, MECH, TEST, expand_curie

from .conftest import ONTOLOGY, ROOT

ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/adekg/ontology")
VERSION_IRI = rdflib.URIRef("https://w3id.org/adekg/ontology/0.1.0")
LICENSE = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
DATA_MODEL = ROOT / "docs" / "data-model.md"
HERMIT_JAR = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
OWLAPI_CHECK = (OWLAPI_SAVE, ROOT / "tests" / "owlapi" / "OwlApiCheck.java")
HERMIT_CHECK = (ROOT / "tests" / "owlapi" / "HermitCheck.java",)
# The acceptance tolerance of issue 13: a Protégé save may change at most this share of the edit file's lines.
PROTEGE_SAVE_TOLERANCE = 0.05
EMPTY_CATALOG = '<?xml version="1.0"?>\n<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog"/>\n'
# The acceptance bound of issue 13 on writing the release from a Protégé-saved edit file.
RELEASE_SECONDS = 60
PROTEASOME_INHIBITORS = {DRUG + "bortezomib", DRUG + "carfilzomib", DRUG + "ixazomib"}


@pytest.fixture(scope="module")
def merged() -> rdflib.Graph:
    """The release and its import modules in one graph."""
    return load_ontology_graph(ONTOLOGY)


@pytest.fixture(scope="module")
def declared(merged) -> set[str]:
    return declared_terms(merged)


def data_model_section(start: str, end: str) -> str:
    """The text of docs/data-model.md between two markers (a blank line ends the file)."""
    text = DATA_MODEL.read_text(encoding="utf-8") + "\n\n"
    return text[text.index(start) + len(start):text.index(end, text.index(start))]


def without_parentheses(text: str) -> str:
    """Text with every (...) group removed, innermost first."""
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return text


def keys(start: str, end: str) -> list[str]:
    """The comma-separated controlled keys of one paragraph of docs/data-model.md."""
    body = without_parentheses(data_model_section(start, end)).split(":", 1)[1]
    return [key.strip(" .\n") for key in body.replace("\n", " ").split(",") if key.strip(" .\n")]


def test_release_parses_with_rdflib():
    graph = rdflib.Graph().parse(ONTOLOGY / ONTOLOGY_FILE, format="xml")
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    assert len(graph) > 1000


@pytest.fixture(scope="module")
def owlapi_jars() -> str:
    """The class path of the OWL API 5 that writes the edit file and the release (skips without one, but in CI)."""
    missing = pytest.fail if os.environ.get("CI") else pytest.skip
    if shutil.which("java") is None:
        missing("java missing: the OWL API needs a Java runtime (.ci/run installs one)")
    try:
        return owlapi_classpath(os.environ.get("ADEKG_OWLAPI_CLASSPATH"))
    except AdekgError as error:
        missing(f"{error} (.ci/run installs libowlapi-java)")


@pytest.fixture(scope="module")
def owlapi(owlapi_jars, javac) -> Iterator[str]:
    """The class path the tests here give graph.ontology to load and save through the OWL API.

    With a JDK, graph/owlapi/OwlApiSave.java runs as the class javac writes for the OWL API check (which includes
    it), not from source: java's source launcher compiles it again on every run (1.5 s of CPU, ten runs here).
    The source launch itself runs in the ontology README's `canonical` and `release` lines (test_doc_examples).
    """
    if shutil.which("javac") is None:
        yield owlapi_jars
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph.ontology, "OWLAPI_SAVE", OWLAPI_SAVE.stem)  # java runs the class of that name
        yield f"{javac(OWLAPI_CHECK, owlapi_jars)}{os.pathsep}{owlapi_jars}"


@pytest.fixture(scope="module")
def protege_saved(owlapi, tmp_path_factory) -> Path:
    """The edit file loaded and saved in its own format by the OWL API, as Protégé's File > Save does."""
    target = tmp_path_factory.mktemp("protege") / EDIT_FILE
    return owlapi_save(ONTOLOGY / EDIT_FILE, ONTOLOGY / CATALOG_FILE, target, "same", owlapi)


@pytest.fixture(scope="module")
def committed_release(owlapi, tmp_path_factory) -> Path:
    """The release the OWL API writes from the committed edit file (one java run for the tests that need it)."""
    return release(ONTOLOGY, owlapi, tmp_path_factory.mktemp("release") / ONTOLOGY_FILE, timeout=RELEASE_SECONDS)


def changed_lines(before: str, after: str) -> int:
    """How many lines a line diff from before to after deletes or inserts."""
    return sum(1 for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:2] in ("- ", "+ "))


def release_graph(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="xml")


def with_axioms(functional_syntax: str, *axioms: str) -> str:
    """An edit file in functional syntax with more axioms before the closing parenthesis of Ontology(...)."""
    body, closing = functional_syntax.rstrip().rsplit(")", 1)
    assert closing == "", "the edit file must end with the ) of Ontology("
    return body + "\n".join(axioms) + "\n)\n"


def test_edit_file_is_functional_syntax_with_no_hand_comments():
    text = (ONTOLOGY / EDIT_FILE).read_text(encoding="utf-8")
    assert EDIT_FILE.endswith(".ofn") and "\nOntology(<https://w3id.org/adekg/ontology>" in text
    # Only the banners the OWL API writes itself, which it regenerates on every save.
    banner = re.compile(r"#+|#   [A-Z][A-Za-z ]+|# [A-Z][A-Za-z ]+: \S+( \(.*\))?")
    hand_comments = [line for line in text.splitlines() if line.startswith("#") and not banner.fullmatch(line)]
    assert hand_comments == [], "explain in an rdfs:comment annotation, not a # comment"
    assert not (ONTOLOGY / "adekg-edit.ttl").exists(), "one edit file only"


def test_a_protege_save_changes_at_most_five_percent_of_the_edit_file(protege_saved):
    before = (ONTOLOGY / EDIT_FILE).read_text(encoding="utf-8")
    changed = changed_lines(before, protege_saved.read_text(encoding="utf-8"))
    assert changed <= PROTEGE_SAVE_TOLERANCE * len(before.splitlines()), \
        f"an OWL API save changes {changed} of {len(before.splitlines())} lines"


def test_edit_file_is_in_the_canonical_form_an_owl_api_save_writes(protege_saved):
    assert protege_saved.read_bytes() == (ONTOLOGY / EDIT_FILE).read_bytes(), \
        f"{EDIT_FILE} is not as the OWL API saves it: run .venv/bin/python -m graph.ontology canonical"


def test_release_from_the_protege_saved_file_is_quick_deterministic_and_the_committed_one(owlapi, protege_saved,
                                                                                          committed_release, tmp_path):
    folder = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, folder, ignore=shutil.ignore_patterns(EDIT_FILE, ONTOLOGY_FILE))
    shutil.copy(protege_saved, folder / EDIT_FILE)
    first = release(folder, owlapi, tmp_path / "first.owl", timeout=RELEASE_SECONDS).read_bytes()
    if protege_saved.read_bytes() == (ONTOLOGY / EDIT_FILE).read_bytes():  # the same input: the committed release ran it
        second = committed_release.read_bytes()
    else:
        second = release(folder, owlapi, tmp_path / "second.owl", timeout=RELEASE_SECONDS).read_bytes()
    assert first == second, "two runs of the release wrote different bytes"
    assert isomorphic(release_graph(tmp_path / "first.owl"), release_graph(ONTOLOGY / ONTOLOGY_FILE)), \
        f"{ONTOLOGY_FILE} is not what the release command writes: run .venv/bin/python -m graph.ontology release"


def test_committed_release_is_what_the_release_command_writes_from_the_committed_edit_file(committed_release):
    # What in_sync(ONTOLOGY) checks (test_release_catches_an_edit_that_was_not_released runs in_sync itself).
    assert isomorphic(release_graph(committed_release), release_graph(ONTOLOGY / ONTOLOGY_FILE)), \
        f"{ONTOLOGY_FILE} differs from {EDIT_FILE}: run .venv/bin/python -m graph.ontology release"


def test_release_catches_an_edit_that_was_not_released(owlapi, tmp_path):
    folder = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, folder)
    edit = folder / EDIT_FILE
    edit.write_text(with_axioms(edit.read_text(encoding="utf-8"),
                                'AnnotationAssertion(rdfs:comment ade:Patient "an unreleased edit")'), encoding="utf-8")
    assert not in_sync(folder, owlapi)


def test_release_writes_deeply_nested_class_expressions_in_seconds(owlapi, tmp_path):
    # The hand-written writer this replaced took time exponential in the nesting of anonymous classes.
    depth = 40
    expression = "ade:Leaf"
    for level in range(depth):
        expression = f"ObjectUnionOf(ade:Leaf{level} ObjectSomeValuesFrom(ade:next {expression}))"
    declarations = ["Declaration(Class(ade:Nested))", "Declaration(Class(ade:Leaf))",
                    "Declaration(ObjectProperty(ade:next))"] + [f"Declaration(Class(ade:Leaf{level}))"
                                                                 for level in range(depth)]
    folder = tmp_path / "ontology"
    folder.mkdir()
    (folder / CATALOG_FILE).write_text(EMPTY_CATALOG, encoding="utf-8")
    (folder / EDIT_FILE).write_text(f"""Prefix(ade:=<{ADE}>)
Ontology(<https://example.org/nested>
{chr(10).join(declarations)}
EquivalentClasses(ade:Nested {expression})
)
""", encoding="utf-8")
    graph = release_graph(release(folder, owlapi, timeout=RELEASE_SECONDS))
    assert len(list(graph.subjects(OWL.someValuesFrom, None))) == depth
    assert len(list(graph.subjects(OWL.unionOf, None))) == depth


def test_canonical_converts_a_turtle_edit_file_and_refuses_to_drop_triples(owlapi, tmp_path):
    folder = tmp_path / "ontology"
    folder.mkdir()
    (folder / CATALOG_FILE).write_text(EMPTY_CATALOG, encoding="utf-8")
    source = tmp_path / "edit.ttl"
    source.write_text(f"""@prefix ade: <{ADE}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/small> a owl:Ontology .
ade:Small a owl:Class ; rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ade:part ; owl:someValuesFrom ade:Small ] ;
    rdfs:comment "was a # comment"@en .
ade:part a owl:ObjectProperty .
""", encoding="utf-8")
    text = canonicalise(folder, owlapi, source).read_text(encoding="utf-8")
    assert "SubClassOf(ade:Small ObjectSomeValuesFrom(ade:part ade:Small))" in text
    assert 'AnnotationAssertion(rdfs:comment ade:Small "was a # comment"@en)' in text
    assert text.startswith("Prefix(:=<https://example.org/small#>)\n"), "the default prefix is the ontology's"
    source.write_text(source.read_text(encoding="utf-8") + "[] a owl:Restriction ; owl:onProperty ade:part .\n",
                      encoding="utf-8")
    with pytest.raises(AdekgError, match=r"would drop 2 and add 0 statement"):
        canonicalise(folder, owlapi, source)


def test_header_iri_version_license_description_and_imports():
    graph = rdflib.Graph().parse(ONTOLOGY / ONTOLOGY_FILE, format="xml")
    assert graph.value(ONTOLOGY_IRI, OWL.versionIRI) == VERSION_IRI
    assert graph.value(ONTOLOGY_IRI, DCTERMS.license) == LICENSE
    assert len(str(graph.value(ONTOLOGY_IRI, DCTERMS.description) or "")) > 100
    assert graph.value(ONTOLOGY_IRI, DCTERMS.title) is not None
    assert str(graph.value(ONTOLOGY_IRI, OWL.versionInfo)) == "0.1.0"
    imports = {str(iri) for iri in graph.objects(ONTOLOGY_IRI, OWL.imports)}
    expected = {f"https://w3id.org/adekg/ontology/imports/{path.name}" for path in (ONTOLOGY / "imports").glob("*.owl")}
    assert imports == expected


def test_catalog_maps_every_import_to_the_module_with_that_iri():
    catalog = read_catalog(ONTOLOGY)
    graph = rdflib.Graph().parse(ONTOLOGY / ONTOLOGY_FILE, format="xml")
    for iri in graph.objects(ONTOLOGY_IRI, OWL.imports):
        assert str(iri) in catalog, f"{iri} is missing from {CATALOG_FILE}"
        module = rdflib.Graph().parse(catalog[str(iri)], format="xml")
        assert (iri, RDF.type, OWL.Ontology) in module, f"{catalog[str(iri)]} does not have the ontology IRI {iri}"


def test_load_resolves_the_imports_offline(merged):
    assert (rdflib.URIRef("http://purl.obolibrary.org/obo/CHEBI_52726"), RDFS.label,
            rdflib.Literal("proteasome inhibitor")) in merged
    assert (rdflib.URIRef("http://purl.obolibrary.org/obo/RO_0000087"), RDF.type, OWL.ObjectProperty) in merged


@pytest.fixture(scope="module")
def check_results(merged) -> dict[str, list[dict[str, str]]]:
    return run_checks(merged, ONTOLOGY / CHECKS_DIR)


@pytest.mark.parametrize("check", sorted(path.stem for path in (ONTOLOGY / CHECKS_DIR).glob("*-violation.rq")))
def test_quality_check_finds_nothing(check_results, check):
    rows = check_results[check]
    assert rows == [], f"{check}: {len(rows)} row(s):\n" + "\n".join(map(str, rows))


def test_quality_checks_each_start_with_a_comment_and_catch_their_problem():
    names = {path.stem for path in (ONTOLOGY / CHECKS_DIR).glob("*-violation.rq")}
    assert {"missing-label-violation", "missing-definition-violation", "undeclared-term-violation",
            "multiple-labels-violation"} <= names
    for path in (ONTOLOGY / CHECKS_DIR).glob("*-violation.rq"):
        assert path.read_text(encoding="utf-8").startswith("# "), f"{path.name} must start with a # comment"
    broken = rdflib.Graph().parse(data=f"""
        @prefix ade: <{ADE}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ade:Unlabelled a owl:Class ; rdfs:subClassOf ade:Undeclared .
        ade:Twice a owl:Class ; rdfs:label "one"@en, "two"@en .
    """, format="turtle")
    results = run_checks(broken, ONTOLOGY / CHECKS_DIR)
    assert {row["entity"] for row in results["missing-label-violation"]} == {ADE + "Unlabelled"}
    assert {row["entity"] for row in results["missing-definition-violation"]} == {ADE + "Unlabelled", ADE + "Twice"}
    assert {row["term"] for row in results["undeclared-term-violation"]} == {ADE + "Undeclared"}
    assert {row["entity"] for row in results["multiple-labels-violation"]} == {ADE + "Twice"}


@pytest.fixture(scope="module")
def hermit_verdict(reasoner_cache):
    """HermiT's classification and realisation of the release with its imports (the suite's shared cache)."""
    return classify(ONTOLOGY, reasoner_cache)


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java (.ci/run installs a JDK)")
def test_owlready2_hermit_finds_it_consistent_with_no_unsatisfiable_class(hermit_verdict):
    assert hermit_verdict.consistent, hermit_verdict.message
    assert hermit_verdict.unsatisfiable == ()


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java (.ci/run installs a JDK)")
def test_hermit_infers_the_proteasome_inhibitors_from_chebi_roles(hermit_verdict):
    inhibitors = {r.individual for r in hermit_verdict.realisations if r.inferred_class == ADE + "ProteasomeInhibitor"}
    assert inhibitors == PROTEASOME_INHIBITORS


@pytest.fixture(scope="module")
def javac(tmp_path_factory) -> Callable[[tuple[Path, ...], str], Path]:
    """The folder of the classes javac writes from some sources against a class path, compiled once per module
    (javac takes seconds)."""
    compiled: dict[tuple[tuple[Path, ...], str], Path] = {}

    def classes(sources: tuple[Path, ...], classpath: str) -> Path:
        if (sources, classpath) not in compiled:
            folder = tmp_path_factory.mktemp(sources[-1].stem)
            result = subprocess.run(["javac", "-nowarn", "-d", str(folder), "-cp", classpath, *map(str, sources)],
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr
            compiled[sources, classpath] = folder
        return compiled[sources, classpath]
    return classes


@pytest.fixture(scope="module")
def java_check(javac):
    """Runs a check of tests/owlapi/ (the last source) against a class path on a release and its catalog."""
    def run(sources: tuple[Path, ...], classpath: str, ontology: Path) -> subprocess.CompletedProcess:
        return subprocess.run(["java", "-cp", f"{javac(sources, classpath)}{os.pathsep}{classpath}",
                               sources[-1].stem, str(ontology / ONTOLOGY_FILE), str(ontology / CATALOG_FILE)],
                              capture_output=True, text=True, timeout=300)
    return run


needs_javac = pytest.mark.skipif(shutil.which("javac") is None,
                                 reason="javac missing: the OWL API checks need a JDK (.ci/run installs one)")


@needs_javac
def test_owl_api_check_passes(owlapi_jars, java_check):
    result = java_check(OWLAPI_CHECK, owlapi_jars, ONTOLOGY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OWL 2 DL profile violations: 0" in result.stdout


@needs_javac
def test_hermit_check_passes(java_check):
    result = java_check(HERMIT_CHECK, str(HERMIT_JAR), ONTOLOGY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HermiT consistent: true, unsatisfiable classes: 0" in result.stdout
    for drug in PROTEASOME_INHIBITORS:
        assert drug in result.stdout


@needs_javac
def test_checks_fail_on_an_undeclared_class_and_an_unsatisfiable_one(owlapi, owlapi_jars, java_check, tmp_path):
    folder = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, folder)
    edit = folder / EDIT_FILE
    edit.write_text(with_axioms(edit.read_text(encoding="utf-8"), "Declaration(Class(ade:Broken))",
                                "SubClassOf(ade:Broken ade:NeverDeclared)",
                                "SubClassOf(ade:Broken ade:ProteasomeInhibitor)", "DisjointClasses(ade:Broken ade:Drug)",
                                'AnnotationAssertion(rdfs:label ade:Broken "broken"@en)'), encoding="utf-8")
    release(folder, owlapi)
    profile = java_check(OWLAPI_CHECK, owlapi_jars, folder)
    assert profile.returncode == 1
    assert "Use of undeclared class: <https://w3id.org/adekg/ontology/NeverDeclared>" in profile.stdout
    reasoning = java_check(HERMIT_CHECK, str(HERMIT_JAR), folder)
    assert reasoning.returncode == 1
    assert "unsatisfiable class https://w3id.org/adekg/ontology/Broken" in reasoning.stdout


@pytest.mark.parametrize("namespace, kind, start, end", [
    (DRUG, "Drug", "**Drugs**", "**Lab tests**"),
    (TEST, "LabTest", "**Lab tests**", "**Mechanisms**"),
    (MECH, "Mechanism", "**Mechanisms**", "**Local event/condition classes**"),
])
def test_every_controlled_key_of_the_data_model_is_declared(merged, namespace, kind, start, end):
    listed = keys(start, end)
    assert len(listed) >= 8
    for key in listed:
        individual = rdflib.URIRef(namespace + key)
        assert (individual, RDF.type, OWL.NamedIndividual) in merged, f"{namespace}{key} is not declared"
        assert (individual, RDF.type, rdflib.URIRef(ADE + kind)) in merged, f"{namespace}{key} is not an ade:{kind}"


def test_drug_individuals_carry_atc_chebi_and_drugbank(merged):
    for key in keys("**Drugs**", "**Lab tests**"):
        drug = rdflib.URIRef(DRUG + key)
        assert re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", str(merged.value(drug, rdflib.URIRef(ADE + "atcCode")))), key
        assert merged.value(drug, rdflib.URIRef(ADE + "atcGroup")) is not None, key
        chebi = [str(c) for c in merged.objects(drug, RDF.type) if "CHEBI_" in str(c)]
        assert chebi == [str(c) for c in merged.objects(drug, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"))
                         if "CHEBI_" in str(c)], key
        assert (key in ("bevacizumab", "natalizumab")) == (chebi == []), key
    assert (rdflib.URIRef(DRUG + "mitomycin"), RDF.type, rdflib.URIRef("http://purl.obolibrary.org/obo/CHEBI_27504")) in merged


def test_every_class_and_controlled_individual_of_the_data_model_is_declared(merged):
    table = data_model_section("## Classes", "Controlled individuals")
    classes = set()
    for row in table.splitlines()[3:]:
        classes |= set(re.findall(r"`(\w+)`", row.split("|")[1] if row.startswith("|") else ""))
    classes |= {name.strip() for name in without_parentheses(
        data_model_section("**Local event/condition classes** (`ade:`):", "\n\n")).replace("\n", " ").split(",")}
    classes = {name.strip(" .") for name in classes if name.strip(" .")}
    assert {"SourceText", "ProteasomeInhibitor", "CausalityConclusion", "IgMMultipleMyeloma"} <= classes
    for name in classes:
        assert (rdflib.URIRef(ADE + name), RDF.type, OWL.Class) in merged, f"ade:{name} is not a declared class"
    individuals = set(re.findall(r"`(\w+)`", data_model_section("Controlled individuals (`ade:`):", "## Properties")))
    assert len(individuals) >= 40
    for name in individuals:
        assert (rdflib.URIRef(ADE + name), RDF.type, OWL.NamedIndividual) in merged, f"ade:{name} is not declared"


def test_every_property_of_the_data_model_is_declared_with_its_kind(merged):
    sections = {OWL.ObjectProperty: ("Object properties", "Annotation properties"),
                OWL.AnnotationProperty: ("Annotation properties", "Data properties"),
                OWL.DatatypeProperty: ("Data properties:", "## Controlled keys")}
    for kind, (start, end) in sections.items():
        text = without_parentheses(data_model_section(start, end))
        names = re.findall(r"`((?:\w+:)?\w+)`", text)
        assert len(names) >= 8
        for name in names:
            iri = expand_curie(name) if ":" in name and not name.startswith(("skos:", "dcterms:", "rdfs:")) else None
            iri = iri or {"skos": "http://www.w3.org/2004/02/skos/core#", "dcterms": str(DCTERMS),
                          "rdfs": str(RDFS)}.get(name.split(":")[0], ADE) + name.split(":")[-1]
            if name == "rdfs:label":
                continue
            expected = OWL.ObjectProperty if name in ("defaultRoute", "RO:0000087") else kind
            assert (rdflib.URIRef(iri), RDF.type, expected) in merged, f"{name} is not declared as {expected}"


def test_object_property_domains_and_ranges_follow_the_data_model(merged):
    text = data_model_section("Object properties (domain → range):", "Annotation properties")
    checked = 0
    for name, domain, range_ in re.findall(r"`(\w+)` \(?([\w|]+)\)?→\(?([\w|]+)\)?[;.]", text.replace("\n", " ")):
        if not domain[0].isupper():
            continue
        prop = rdflib.URIRef(ADE + name)
        for axis, expected in ((RDFS.domain, domain), (RDFS.range, range_)):
            value = merged.value(prop, axis)
            members = ({str(m) for m in rdflib.collection.Collection(merged, merged.value(value, OWL.unionOf))}
                       if isinstance(value, rdflib.BNode) else {str(value)})
            wanted = {ADE + part for part in expected.split("|")}
            assert wanted <= members, f"ade:{name} {axis}: {members} does not include {wanted}"
        checked += 1
    assert checked >= 25


def test_every_term_requested_by_curators_is_declared(declared):
    requests = sorted((ROOT / "docs").glob("requested-terms-*.md"))
    curies = {curie for path in requests
              for curie in re.findall(r"\b(?:ade|CHEBI|MONDO|HP|OAE|NCIT|RO|NCBITaxon|UBERON):[A-Za-z0-9_]+",
                                      path.read_text(encoding="utf-8"))}
    missing = sorted(curie for curie in curies if expand_curie(curie) not in declared)
    assert missing == [], f"requested but not declared in ontology + imports: {missing}"


def test_verified_identifiers_of_the_seed_records_are_declared(declared):
    for curie in ("MONDO:0019737", "MONDO:0009693", "HP:0031048", "HP:0040189", "OAE:0001450", "OAE:0005053",
                  "NCIT:C62605", "NCBITaxon:10632", "CHEBI:52726", "CHEBI:27504", "RO:0000087"):
        assert expand_curie(curie) in declared, curie
    assert expand_curie("MONDO:0008556") not in declared, "the hereditary cyclic thrombocytopenia must not be offered"
    assert expand_curie("CHEBI:25357") not in declared, "CHEBI:25357 is the mitomycin class, not the drug"
