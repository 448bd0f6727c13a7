"""The reasoning stage: HermiT's cached verdict on the ontology, then the SPARQL rules over the case data."""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, serialize

from . import __version__
from .hermit import ReasoningError, Realisation, Terminology, axiom_text, classify, load_ontology_world
from .rules import data_files, inconsistencies, rule_files, rule_quads, run_rules
from .terms import (ADE, BASE, BUILD, BUILD_GRAPH, GRAPH, INFERRED, INFERRED_GRAPH, OWL, PROV, RDF, RDFS, RULE,
                    RULES_GRAPH, XSD)

SOFTWARE = "https://w3id.org/adekg/software/"
REASONING_ACTIVITY = BUILD + "reasoning-"
# Only in the rules' working store: HermiT's classification, used to tell a new type from an implied one.
CLASSIFICATION_GRAPH = GRAPH + "classification"


@dataclasses.dataclass(frozen=True)
class ConsistencyResult:
    """What HermiT said: whether the whole is consistent and which classes are unsatisfiable."""

    consistent: bool
    unsatisfiable: list[str]
    message: str = ""


def check_consistency(ontology_dir: Path, data_ntriples: bytes | None = None) -> ConsistencyResult:
    """Run HermiT (owlready2's own call) over the ontology, its imports and optional N-Triples data; tests only."""
    import owlready2

    world, ontology = load_ontology_world(ontology_dir)
    with tempfile.TemporaryDirectory() as folder:
        if data_ntriples:
            data_file = Path(folder) / "data.nt"
            data_file.write_bytes(data_ntriples)
            data = world.get_ontology(data_file.as_uri()).load(format="ntriples")
            ontology.imported_ontologies.append(data)
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            return ConsistencyResult(False, [], str(error).splitlines()[0] if str(error) else "inconsistent")
    unsatisfiable = sorted(cls.iri for cls in world.inconsistent_classes())
    return ConsistencyResult(True, unsatisfiable)


def realise_with_data(ontology_dir: Path, data_ntriples: bytes, namespace: str = BASE) -> list[Realisation]:
    """The former route, kept to check the rules against it: HermiT realises the case data with the ontology."""
    import owlready2

    world, ontology = load_ontology_world(ontology_dir)
    with tempfile.TemporaryDirectory() as folder:
        data_file = Path(folder) / "data.nt"
        data_file.write_bytes(data_ntriples)
        ontology.imported_ontologies.append(world.get_ontology(data_file.as_uri()).load(format="ntriples"))
        individuals = [i for i in world.individuals() if i.iri.startswith(namespace)]
        before = {i.iri: classes_of(i) for i in individuals}
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            raise ReasoningError(f"HermiT finds ontology and data inconsistent ({str(error).splitlines()[0]})") from None
    found = []
    for individual in individuals:
        asserted = before[individual.iri]
        after = set(individual.INDIRECT_is_a) - set(asserted)
        for cls in most_specific({c for c in after if isinstance(c, owlready2.ThingClass)}):
            if cls.iri in {a.iri for a in asserted} or any(cls in a.ancestors() for a in asserted):
                continue
            found.append(Realisation(individual.iri, cls.iri, tuple(sorted(a.iri for a in asserted)),
                                     axiom_text(world, cls.iri)))
    return sorted(found, key=lambda r: (r.individual, r.inferred_class))


def classes_of(individual) -> list:
    """The named classes an individual is asserted to belong to."""
    import owlready2
    return [c for c in individual.is_a if isinstance(c, owlready2.ThingClass)]


def most_specific(classes: set) -> list:
    """Drop every class that is an ancestor of another class in the set."""
    return sorted((c for c in classes if not any(c is not o and c in o.ancestors() for o in classes)),
                  key=lambda c: c.iri)


@dataclasses.dataclass
class ReasoningOutput:
    """The reasoning stage's quads (inferred graph, rules graph, provenance) and its figures."""

    quads: list
    hermit_quads: list
    realised: int
    rule_counts: dict
    hermit_seconds: float
    rules_seconds: float
    hermit_cached: bool = False
    checks_seconds: float = 0.0
    produced: int = 0  # how many quads the stage made, also when it kept none in `quads`


def realisation_quads(found: list[Realisation]) -> Iterator[Quad]:
    """Each HermiT type as an inferred triple plus an ade:Inference node naming its axiom and premises."""
    graph = NamedNode(INFERRED_GRAPH)
    for item in found:
        subject, cls = NamedNode(item.individual), NamedNode(item.inferred_class)
        rule = NamedNode(f"{RULE}owl/{local_name(item.inferred_class)}")
        inference = NamedNode(f"{INFERRED}type/{hashlib.sha1((item.individual + ' ' + item.inferred_class).encode()).hexdigest()[:16]}")
        yield Quad(subject, NamedNode(RDF + "type"), cls, graph)
        yield Quad(inference, NamedNode(RDF + "type"), NamedNode(ADE + "Inference"), graph)
        yield Quad(inference, NamedNode(ADE + "inferredSubject"), subject, graph)
        yield Quad(inference, NamedNode(ADE + "inferredPredicate"), NamedNode(RDF + "type"), graph)
        yield Quad(inference, NamedNode(ADE + "inferredObject"), cls, graph)
        yield Quad(inference, NamedNode(ADE + "derivedBy"), rule, graph)
        yield Quad(inference, NamedNode(ADE + "premise"), subject, graph)
        for asserted in item.asserted:
            yield Quad(inference, NamedNode(ADE + "premise"), NamedNode(asserted), graph)
        yield Quad(rule, NamedNode(RDF + "type"), NamedNode(ADE + "InferenceRule"), graph)
        yield Quad(rule, NamedNode(RDFS + "label"), Literal(f"OWL axiom of {local_name(item.inferred_class)} (HermiT)"), graph)
        yield Quad(rule, NamedNode(RDFS + "comment"), Literal(item.axiom), graph)
        yield Quad(rule, NamedNode(ADE + "axiomClass"), cls, graph)


def local_name(iri: str) -> str:
    """The last path segment of an IRI."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def asserted_ntriples(store: Store) -> bytes:
    """The case data (every source graph) as N-Triples, for the former HermiT-with-data route."""
    quads = [q for q in store.quads_for_pattern(None, None, None)
             if isinstance(q.graph_name, NamedNode) and q.graph_name.value.startswith(GRAPH + "source/")]
    return serialize((q.triple for q in quads), format=RdfFormat.N_TRIPLES)


def terminology(ontology_dir: Path, cache_dir: Path | None = None, tick=None) -> Terminology:
    """HermiT's verdict on the ontology alone (cached); an inconsistency or unsatisfiable class stops the build."""
    result = classify(ontology_dir, cache_dir, tick)
    if not result.consistent:
        raise ReasoningError(f"HermiT finds the ontology inconsistent ({result.message})")
    if result.unsatisfiable:
        raise ReasoningError(f"HermiT finds {len(result.unsatisfiable)} unsatisfiable class(es): "
                             + ", ".join(result.unsatisfiable[:5]))
    return result


def classification_quads(result: Terminology) -> Iterator[Quad]:
    """HermiT's class hierarchy as rdfs:subClassOf in a scratch graph the rules read and the store never keeps."""
    graph = NamedNode(CLASSIFICATION_GRAPH)
    for sub, sup in result.subsumptions:
        yield Quad(NamedNode(sub), NamedNode(RDFS + "subClassOf"), NamedNode(sup), graph)


def reason(store: Store, ontology_dir: Path, cache_dir: Path | None = None, hermit_tick=None,
           rule_tick=None, keep: bool = True) -> ReasoningOutput:
    """HermiT's types of the terminology individuals, then the rules; add the new quads to store and return them.

    keep=False leaves the rules' output only in the store (for a large on-disk store: memory stays bounded).
    """
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    result = terminology(ontology_dir, cache_dir, hermit_tick)
    hermit_seconds = time.perf_counter() - clock
    inferred = list(realisation_quads(list(result.realisations)))
    rules = list(rule_quads(ontology_dir))
    store.extend(inferred + rules + list(classification_quads(result)))
    clock = time.perf_counter()
    produced, counts = run_rules(store, ontology_dir, rule_tick, keep)
    checks_clock = time.perf_counter()
    problems = inconsistencies(store, ontology_dir)
    checks_seconds = time.perf_counter() - checks_clock
    store.remove_graph(NamedNode(CLASSIFICATION_GRAPH))
    if problems:
        raise ReasoningError(f"the case data is inconsistent with the ontology ({len(problems)} problem(s), first: "
                             f"{problems[0]})")
    rules_seconds = time.perf_counter() - clock
    ended = datetime.datetime.now(datetime.timezone.utc)
    provenance = list(provenance_quads(input_graphs(store), ontology_dir, result.hermit_version, started, ended))
    if not keep:
        store.extend(provenance)
    return ReasoningOutput(inferred + rules + produced + provenance, inferred, len(result.realisations), counts,
                           hermit_seconds, rules_seconds, result.cached, checks_seconds,
                           len(inferred) + len(rules) + sum(counts.values()) + len(provenance))


def input_graphs(store: Store) -> set[str]:
    """The named graphs the reasoning read: all but its own output graphs and the scratch classification."""
    return ({graph.value for graph in store.named_graphs() if isinstance(graph, NamedNode)}
            - {INFERRED_GRAPH, RULES_GRAPH, BUILD_GRAPH, CLASSIFICATION_GRAPH})


def provenance_quads(inputs: set[str], ontology_dir: Path, version: str, started: datetime.datetime,
                     ended: datetime.datetime) -> Iterator[Quad]:
    """PROV-O for the inferred and rules graphs: the reasoning activity, its agents, times and inputs."""
    graph = NamedNode(BUILD_GRAPH)
    activity = NamedNode(f"{REASONING_ACTIVITY}{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}")
    hermit = NamedNode(f"{SOFTWARE}hermit/{version.replace(' ', '-')}")
    engine = NamedNode(f"{SOFTWARE}adekg-rules/{__version__}")

    def quad(subject, predicate: str, obj) -> Quad:
        return Quad(subject, NamedNode(predicate), obj, graph)

    def timestamp(moment: datetime.datetime) -> Literal:
        return Literal(moment.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime"))

    yield quad(activity, RDF + "type", NamedNode(PROV + "Activity"))
    yield quad(activity, RDFS + "label", Literal(f"adekg reasoning {started.isoformat(timespec='seconds')}"))
    yield quad(activity, PROV + "startedAtTime", timestamp(started))
    yield quad(activity, PROV + "endedAtTime", timestamp(ended))
    for agent, label in ((hermit, f"HermiT {version} via owlready2"), (engine, f"adekg SPARQL rules engine {__version__} (pyoxigraph)")):
        yield quad(activity, PROV + "wasAssociatedWith", agent)
        yield quad(agent, RDF + "type", NamedNode(PROV + "SoftwareAgent"))
        yield quad(agent, RDFS + "label", Literal(label))
    yield quad(hermit, OWL + "versionInfo", Literal(version))
    for iri in sorted(inputs):
        yield quad(activity, PROV + "used", NamedNode(iri))
    for path in rule_files(ontology_dir) + data_files(ontology_dir):
        entity = NamedNode(f"{activity.value}/file/{path.name}")
        yield quad(entity, RDF + "type", NamedNode(PROV + "Entity"))
        yield quad(entity, ADE + "fileName", Literal(path.name))
        yield quad(entity, ADE + "sha256", Literal(hashlib.sha256(path.read_bytes()).hexdigest()))
        yield quad(activity, PROV + "used", entity)
    for iri, label in ((INFERRED_GRAPH, "statements inferred by HermiT and the rules, with their explanations"),
                       (RULES_GRAPH, "the rules and the thresholds they use")):
        yield quad(NamedNode(iri), RDF + "type", NamedNode(PROV + "Entity"))
        yield quad(NamedNode(iri), RDFS + "label", Literal(label))
        yield quad(NamedNode(iri), PROV + "wasGeneratedBy", activity)
        yield quad(NamedNode(iri), PROV + "generatedAtTime", timestamp(ended))


def is_reasoning_quad(quad: Quad) -> bool:
    """Whether a quad belongs to an earlier reasoning run (its graphs or its provenance)."""
    graph = quad.graph_name.value if isinstance(quad.graph_name, NamedNode) else ""
    if graph in (INFERRED_GRAPH, RULES_GRAPH):
        return True
    subject = quad.subject.value if isinstance(quad.subject, NamedNode) else ""
    return graph == BUILD_GRAPH and (subject in (INFERRED_GRAPH, RULES_GRAPH) or subject.startswith(REASONING_ACTIVITY)
                                     or subject.startswith(SOFTWARE + "hermit/") or subject.startswith(SOFTWARE + "adekg-rules/"))
