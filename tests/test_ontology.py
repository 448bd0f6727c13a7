"""graph/ontology.py and ontology/: the release is in sync, OWL 2 DL, consistent, checked, and complete."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import owlready2
import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from graph.hermit import classify
from graph.ontology import (CATALOG_FILE, CHECKS_DIR, EDIT_FILE, ONTOLOGY_FILE, declared_terms, in_sync,
                            load_ontology_graph, read_catalog, release, run_checks)
from graph.terms import ADE, DRUG, MECH, TEST, expand_curie

from .conftest import ONTOLOGY, ROOT

ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/adekg/ontology")
VERSION_IRI = rdflib.URIRef("https://w3id.org/adekg/ontology/0.1.0")
LICENSE = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
DATA_MODEL = ROOT / "docs" / "data-model.md"
HERMIT_JAR = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
OWLAPI_CHECK = ROOT / "tests" / "owlapi" / "OwlApiCheck.java"
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


def test_release_is_in_sync_with_the_edit_file():
    assert in_sync(ONTOLOGY), f"{ONTOLOGY_FILE} differs from {EDIT_FILE}: run .venv/bin/python -m graph.ontology"


def test_release_is_byte_for_byte_what_release_writes(tmp_path):
    shutil.copy(ONTOLOGY / EDIT_FILE, tmp_path / EDIT_FILE)
    first = release(tmp_path).read_bytes()
    assert release(tmp_path).read_bytes() == first, "release() is not deterministic"
    assert (ONTOLOGY / ONTOLOGY_FILE).read_bytes() == first, \
        f"{ONTOLOGY_FILE} was not written by graph.ontology.release(): run .venv/bin/python -m graph.ontology"


def test_release_catches_an_edit_that_was_not_released(tmp_path):
    shutil.copy(ONTOLOGY / EDIT_FILE, tmp_path / EDIT_FILE)
    release(tmp_path)
    assert in_sync(tmp_path)
    with open(tmp_path / EDIT_FILE, "a", encoding="utf-8") as edit:
        edit.write('\nade:Patient rdfs:comment "an unreleased edit" .\n')
    assert not in_sync(tmp_path)


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


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac missing: the OWL API check needs a JDK (.ci/run installs one)")
def test_owl_api_check_compiles_and_passes(tmp_path):
    compiled = subprocess.run(["javac", "-nowarn", "-d", str(tmp_path), "-cp", str(HERMIT_JAR), str(OWLAPI_CHECK)],
                              capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
    result = subprocess.run(["java", "-cp", f"{tmp_path}:{HERMIT_JAR}", "OwlApiCheck",
                             str(ONTOLOGY / ONTOLOGY_FILE), str(ONTOLOGY / CATALOG_FILE)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OWL 2 DL profile violations: 0" in result.stdout
    assert "HermiT consistent: true, unsatisfiable classes: 0" in result.stdout
    for drug in PROTEASOME_INHIBITORS:
        assert drug in result.stdout


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac missing: the OWL API check needs a JDK (.ci/run installs one)")
def test_owl_api_check_fails_on_an_undeclared_class_and_an_unsatisfiable_one(tmp_path):
    folder = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, folder)
    with open(folder / EDIT_FILE, "a", encoding="utf-8") as edit:
        edit.write("\nade:Broken a owl:Class ; rdfs:subClassOf ade:NeverDeclared ; owl:disjointWith ade:Drug ;\n"
                   '    rdfs:subClassOf ade:ProteasomeInhibitor ; rdfs:label "broken"@en .\n')
    release(folder)
    subprocess.run(["javac", "-nowarn", "-d", str(tmp_path), "-cp", str(HERMIT_JAR), str(OWLAPI_CHECK)], check=True)
    result = subprocess.run(["java", "-cp", f"{tmp_path}:{HERMIT_JAR}", "OwlApiCheck",
                             str(folder / ONTOLOGY_FILE), str(folder / CATALOG_FILE)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Use of undeclared class: <https://w3id.org/adekg/ontology/NeverDeclared>" in result.stdout
    assert "unsatisfiable class https://w3id.org/adekg/ontology/Broken" in result.stdout


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
