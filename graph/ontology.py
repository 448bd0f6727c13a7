"""The ontology: canonical edit file and RDF/XML release through the OWL API, imports, checks."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph
import rdflib
import rdflib.collection
import rdflib.util
from rdflib import BNode, URIRef
from rdflib.namespace import OWL, RDF

from .catalog import CATALOG_FILE, read_catalog  # noqa: F401 - in graph/catalog.py, which needs no rdflib
from .errors import AdekgError

EDIT_FILE = "adekg-edit.ofn"
ONTOLOGY_FILE = "adekg.owl"
CHECKS_DIR = "checks"
DECLARATION_TYPES = (OWL.Class, OWL.NamedIndividual, OWL.ObjectProperty, OWL.DatatypeProperty,
                     OWL.AnnotationProperty)
# The Java program that loads and saves through the OWL API; run from source (java 11+ compiles it in memory).
OWLAPI_SAVE = Path(__file__).resolve().parent / "owlapi" / "OwlApiSave.java"
# Debian's libowlapi-java (OWL API 5.1) and the jars of its dependencies that loading and saving need.
DEBIAN_JAVA_DIR = Path("/usr/share/java")
DEBIAN_OWLAPI_JARS = ("owlapi-distribution", "guava", "caffeine", "commons-io", "commons-rdf-api", "hppcrt",
                      "jsr305", "atinject-jsr330-api", "xz", "slf4j-api", "slf4j-nop", "rdf4j-model-api",
                      "rdf4j-model", "rdf4j-model-vocabulary", "rdf4j-rio-api", "rdf4j-rio-datatypes",
                      "rdf4j-rio-languages", "rdf4j-util")
SYNTAXES = ("same", "ofn", "rdfxml")
# Predicates the OWL 2 RDF mapping allows either of; the OWL API writes the second.
SAME_PREDICATES = {OWL.members: OWL.distinctMembers}
# A short run: the client compiler and the serial collector halve the CPU time of a load and save.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def ontology_dir() -> Path:
    """The project's ontology folder (ontology/ next to graph/)."""
    return Path(__file__).resolve().parent.parent / "ontology"


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


def owlapi_classpath(setting: str | None = None) -> str:
    """The class path of the OWL API 5 jars: the setting if given, else Debian's libowlapi-java."""
    if setting:
        return setting
    jars = [DEBIAN_JAVA_DIR / f"{name}.jar" for name in DEBIAN_OWLAPI_JARS]
    missing = [jar.name for jar in jars if not jar.is_file()]
    if missing:
        raise AdekgError(f"the OWL API is not installed ({', '.join(missing)} missing): apt-get install "
                         "libowlapi-java, or set ADEKG_OWLAPI_CLASSPATH to the jars of an OWL API 5")
    return os.pathsep.join(str(jar) for jar in jars)


def owlapi_save(source: Path, catalog: Path, target: Path, syntax: str, classpath: str, timeout: float = 300) -> Path:
    """Load source with the OWL API (imports through the catalog) and save it to target; return target.

    syntax is "same" (the format source is in, as Protégé's Save writes it), "ofn" (functional syntax)
    or "rdfxml" (the release).
    """
    if syntax not in SYNTAXES:
        raise ValueError(f"syntax must be one of {SYNTAXES}")
    if not source.is_file():
        raise AdekgError("ontology file not found", file=str(source))
    command = ["java", *JAVA_OPTIONS, "-cp", classpath, str(OWLAPI_SAVE), str(source), str(catalog), str(target),
               syntax]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise AdekgError("java not found: the OWL API needs a Java 11+ runtime") from None
    except subprocess.TimeoutExpired:
        raise AdekgError(f"the OWL API did not finish within {timeout:g} s", file=str(source)) from None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or [f"exit status {result.returncode}"]
        raise AdekgError(f"OWL API: {lines[-1] if result.returncode == 1 else ' '.join(lines)}", file=str(source))
    return target


def canonicalise(folder: Path, classpath: str, source: Path | None = None) -> Path:
    """Rewrite the edit file (from source, by default itself) as the OWL API writes functional syntax.

    An RDF source (a Turtle edit file, say) must come out with the same triples, up to the order of
    OWL's set-valued lists: the OWL API drops some triples it cannot read as OWL without saying so.
    """
    target = folder / EDIT_FILE
    source = source or target
    with tempfile.TemporaryDirectory() as scratch:
        converted = owlapi_save(source, folder / CATALOG_FILE, Path(scratch) / EDIT_FILE, "ofn", classpath)
        syntax = rdflib.util.guess_format(str(source))
        if syntax is not None:
            before, after = rdflib.Graph(), rdflib.Graph()
            parse_file(before, source, syntax)
            parse_file(after, owlapi_save(converted, folder / CATALOG_FILE, Path(scratch) / ONTOLOGY_FILE, "rdfxml",
                                          classpath), "xml")
            expected, written = owl_statements(before), owl_statements(after)
            lost, added = expected - written, written - expected
            if lost or added:
                raise AdekgError(f"the OWL API would drop {len(lost)} and add {len(added)} statement(s), "
                                 f"e.g. {sorted(lost or added)[0]}; fix the source", file=str(source))
        os.replace(converted, target)
    return target


def owl_statements(graph: rdflib.Graph) -> set[str]:
    """The graph's triples, blank nodes written out as nested terms, lists sorted but property chains."""
    written: dict[BNode, str] = {}

    def term(node, trail=()) -> str:
        if not isinstance(node, BNode):
            return node.n3()
        if node not in written:
            if node in trail:
                raise AdekgError(f"blank node cycle through {node.n3()}")
            members = list(rdflib.collection.Collection(graph, node)) if (node, RDF.first, None) in graph else None
            if members is not None:
                items = [term(item, trail + (node,)) for item in members]
                ordered = (None, OWL.propertyChainAxiom, node) in graph
                written[node] = "(" + " ".join(items if ordered else sorted(items)) + ")"
            else:
                written[node] = "[" + "; ".join(sorted(f"{SAME_PREDICATES.get(p, p).n3()} {term(o, trail + (node,))}"
                                                        for p, o in graph.predicate_objects(node))) + "]"
        return written[node]

    return {f"{term(s)} {SAME_PREDICATES.get(p, p).n3()} {term(o)}" for s, p, o in graph
            if not isinstance(s, BNode) or next(graph.subjects(None, s), None) is None}


def release(folder: Path, classpath: str, target: Path | None = None, timeout: float = 300) -> Path:
    """Write the RDF/XML release (by default adekg.owl) from the edit file through the OWL API; return its path."""
    return owlapi_save(folder / EDIT_FILE, folder / CATALOG_FILE, target or folder / ONTOLOGY_FILE, "rdfxml",
                       classpath, timeout)


def in_sync(folder: Path, classpath: str) -> bool:
    """True when adekg.owl states, up to blank nodes, what the release command writes from the edit file."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh, committed = rdflib.Graph(), rdflib.Graph()
        parse_file(fresh, release(folder, classpath, Path(scratch) / ONTOLOGY_FILE), "xml")
        parse_file(committed, folder / ONTOLOGY_FILE, "xml")
    return isomorphic(fresh, committed)


def isomorphic(first: rdflib.Graph, second: rdflib.Graph) -> bool:
    """Whether two graphs are the same up to blank node labels, by pyoxigraph's RDFC-1.0 canonical forms.

    rdflib.compare.isomorphic takes 6.5 s of CPU on the ontology's blank-node lists; this 0.2 s.
    """
    def canonical(graph: rdflib.Graph) -> set:
        dataset = pyoxigraph.Dataset(pyoxigraph.parse(graph.serialize(format="nt", encoding="utf-8"),
                                                      pyoxigraph.RdfFormat.N_TRIPLES))
        dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
        return set(dataset)

    return len(first) == len(second) and canonical(first) == canonical(second)


def declared_terms(graph: rdflib.Graph) -> set[str]:
    """IRIs declared as classes, individuals or properties in an ontology graph."""
    return {str(subject) for kind in DECLARATION_TYPES
            for subject in graph.subjects(RDF.type, kind) if isinstance(subject, URIRef)}


def run_checks(graph: rdflib.Graph, checks_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Run every *-violation.rq SELECT over a graph; map each check's name to its rows."""
    # pyoxigraph's SPARQL engine, not rdflib's: the undeclared-term check takes 15 s of CPU in rdflib, 0.06 s here.
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    results = {}
    for path in sorted(checks_dir.glob("*-violation.rq")):
        try:
            answer = store.query(path.read_text(encoding="utf-8"))
        except Exception as error:  # a broken query is the check's fault, named as such
            raise AdekgError(f"cannot run the check: {error}", file=str(path)) from error
        names = [variable.value for variable in answer.variables]
        results[path.stem] = [{name: row[name].value for name in names if row[name] is not None} for row in answer]
    return results


def main(argv: list[str] | None = None) -> int:
    """python -m graph.ontology canonical|release: the curator's two steps after an edit."""
    parser = argparse.ArgumentParser(prog="python -m graph.ontology", description=(
        f"canonical rewrites {EDIT_FILE} as the OWL API writes functional syntax (what Protégé saves); "
        f"release writes {ONTOLOGY_FILE} (RDF/XML) from it. Both run the OWL API 5 under java."))
    parser.add_argument("command", nargs="?", default="release", choices=["canonical", "release"],
                        help="default: release")
    parser.add_argument("--ontology", type=Path, default=Path(os.environ.get("ADEKG_ONTOLOGY") or ontology_dir()),
                        help="ontology folder (env ADEKG_ONTOLOGY)")
    parser.add_argument("--owlapi", default=os.environ.get("ADEKG_OWLAPI_CLASSPATH"),
                        help="class path of the OWL API 5 jars (env ADEKG_OWLAPI_CLASSPATH; default: Debian's "
                             "libowlapi-java in /usr/share/java)")
    parser.add_argument("--from", dest="source", type=Path,
                        help=f"canonical only: read this file (any OWL syntax, e.g. a Turtle edit file) "
                             f"instead of {EDIT_FILE}")
    args = parser.parse_args(argv)
    try:
        classpath = owlapi_classpath(args.owlapi)
        if args.command == "canonical":
            written = canonicalise(args.ontology, classpath, args.source)
        else:
            written = release(args.ontology, classpath)
    except AdekgError as error:
        print(f"graph.ontology: {error.one_line()}", file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
