"""The reasoning stage in batches of case reports: memory bounded by a batch plus what the global rules read.

The rules that read across case reports (GLOBAL_RULES: they gather the claims, events and summaries of every
report) run once, in order, over a store holding the ontology and a projection of every report onto what
those rules read. Every other rule and every consistency check reads one report (and the global rules'
summaries) and runs over one batch of reports at a time: before the global rules if they read its output,
after them if it reads theirs. The plan follows the rules' reads and writes (rdflib's algebra of each rule)
and refuses a rule set it cannot split this way. The output is the whole-store route's
(tests/test_reasoning_batches.py); the difference is memory: the reports are never all in one store.

Assumes what the build checks: a report's data nodes (under data:<document>/) are its own; nodes outside
that namespace (drugs, tests, classes) may be shared and go to the global store whole.
"""
from __future__ import annotations

import dataclasses
import datetime
import time
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, serialize

from .hermit import ReasoningError
from .reason import (ReasoningOutput, classification_quads, input_graphs, provenance_quads, realisation_quads,
                     terminology)
from .rules import (RuleError, apply_rule, check_inconsistencies, consistency_files, rule_files, rule_output,
                    rule_quads)
from .terms import BUILD_GRAPH, DATA, GRAPH, INFERRED_GRAPH, RDF, source_graph

# Rules whose premises may come from any case report (claims of the literature, all events of a drug class).
GLOBAL_RULES = frozenset({
    "20-class-risk-case-support", "21-class-risk-literature-support", "22-class-risk-mechanisms",
    "23-class-risk-counter-evidence", "24-class-risk-caveats", "24-class-risk-refusals", "25-class-risk",
    "26-class-risk-grade", "30-mechanism-reconciliation", "31-mechanism-conflict",
    "40-thresholds-met-by-drug-claims", "60-naranjo-item-1-literature"})
ANY = "*"
OUTPUT_PIECE = 50_000  # quads of a global rule's output handed on at a time
TYPE = RDF + "type"

Loader = Callable[[Store], None]


@dataclasses.dataclass(frozen=True)
class RuleUse:
    """What a rule reads (IRIs of its WHERE clause, classes it reads by rdf:type) and writes (predicates, classes)."""

    path: Path
    reads: frozenset
    read_types: frozenset
    any_predicate: bool
    writes: frozenset
    written_types: frozenset  # classes given to nodes the rule matched (ANY: any class)
    created_types: frozenset  # classes of the nodes the rule makes (BIND(IRI(...)))


def walk(node, iris: set, triples: list, created: set | None = None) -> None:
    """Collect the IRIs, the basic graph pattern triples and the variables bound to a new IRI
    (BIND(IRI(...) AS ?v)) of an rdflib SPARQL algebra node."""
    from rdflib import URIRef
    from rdflib.paths import Path as PropertyPath
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "BGP":
            triples.extend(node["triples"])
        if node.name == "Extend" and created is not None and getattr(node["expr"], "name", "") == "Builtin_IRI":
            created.add(node["var"])
        for value in node.values():
            walk(value, iris, triples, created)
    elif isinstance(node, dict):
        for value in node.values():
            walk(value, iris, triples, created)
    elif isinstance(node, (list, tuple, set, frozenset)):
        for value in node:
            walk(value, iris, triples, created)
    elif isinstance(node, PropertyPath):
        for value in vars(node).values():
            walk(value, iris, triples, created)
    elif isinstance(node, URIRef):
        iris.add(str(node))


@lru_cache(maxsize=256)
def rule_use(path: Path) -> RuleUse:
    """Read a rule or check with rdflib and say what it reads and writes."""
    from rdflib import URIRef, Variable
    from rdflib.paths import Path as PropertyPath
    from rdflib.plugins.sparql import prepareQuery

    from .terms import PREFIXES

    try:
        algebra = prepareQuery(path.read_text(encoding="utf-8"), initNs=PREFIXES).algebra
    except Exception as error:  # rdflib raises pyparsing's and its own errors
        raise RuleError(f"rdflib cannot read the rule ({error})", file=str(path)) from None
    reads, triples, created = set(), [], set()
    walk(algebra["p"], reads, triples, created)
    read_types, any_predicate = set(), False
    for _, predicate, obj in triples:
        if isinstance(predicate, Variable):
            any_predicate = True
        elif isinstance(predicate, PropertyPath) and TYPE in {str(i) for i in _iris(predicate)}:
            read_types.add(ANY)
        elif str(predicate) == TYPE:
            read_types.add(str(obj) if isinstance(obj, URIRef) else ANY)
    template = list(algebra.get("template") or [])
    writes = {str(p) for _, p, _ in template if isinstance(p, URIRef)}
    typed = [(s, o) for s, p, o in template if str(p) == TYPE]
    written_types = {str(o) if isinstance(o, URIRef) else ANY for s, o in typed if s not in created}
    created_types = {str(o) for s, o in typed if s in created and isinstance(o, URIRef)}
    return RuleUse(path, frozenset(reads), frozenset(read_types), any_predicate, frozenset(writes - {TYPE}),
                   frozenset(written_types), frozenset(created_types))


def _iris(node) -> set:
    """The IRIs inside a property path."""
    found: set = set()
    walk(node, found, [])
    return found


def depends(later: RuleUse, earlier: RuleUse) -> bool:
    """Whether `later` may read what `earlier` writes (a pattern `?x a ?class` reads the classes of nodes a rule
    matched, not those of the nodes it makes: a new node matches the pattern's other triples only if they
    name what the rule wrote)."""
    if not (earlier.writes or earlier.written_types or earlier.created_types):
        return False
    if later.any_predicate or earlier.writes & later.reads:
        return True
    if (earlier.written_types | earlier.created_types) & later.read_types:
        return True
    return bool(earlier.written_types) and (ANY in earlier.written_types or ANY in later.read_types)


@dataclasses.dataclass(frozen=True)
class Plan:
    """The rules in the order the batched route runs them."""

    before: list  # case rules, per batch, before the global rules
    global_: list  # global rules, once over the projection
    after: list  # case rules and checks, per batch, after the global rules


def plan(ontology_dir: Path) -> Plan:
    """Split the rules into case rules before, global rules, case rules after; RuleError if they cannot be split."""
    files = rule_files(ontology_dir)
    uses = [rule_use(path) for path in files]
    reached = [set() for _ in files]  # reached[i]: the later rules that read i's output, directly or not
    for i in reversed(range(len(files))):
        for j in range(i + 1, len(files)):
            if depends(uses[j], uses[i]):
                reached[i] |= {j} | reached[j]
    is_global = [path.stem in GLOBAL_RULES for path in files]
    before, after = [], []
    for i, path in enumerate(files):
        if is_global[i]:
            continue
        feeds = any(is_global[j] for j in reached[i])
        fed = any(is_global[g] and i in reached[g] for g in range(i))
        if feeds and fed:
            raise RuleError("the rule reads a global rule's output and a later global rule reads its own, so it "
                            "cannot run per batch", file=str(path))
        (before if feeds else after).append(path)
    return Plan(before, [path for i, path in enumerate(files) if is_global[i]], after)


def projection_reads(paths: list[Path]) -> frozenset:
    """Every IRI the given rules' WHERE clauses name (the predicates the global store must hold)."""
    return frozenset().union(*(rule_use(path).reads for path in paths)) if paths else frozenset()


def is_case_graph(graph) -> bool:
    """Whether a graph holds case data (a source graph or the build's provenance) rather than shared context."""
    return isinstance(graph, NamedNode) and (graph.value.startswith(GRAPH + "source/") or graph.value == BUILD_GRAPH)


def projection(store: Store, reads: frozenset) -> Iterator[Quad]:
    """The case quads a global rule may read: those with a predicate it names, every rdf:type of a node of a class
    it names (a rule reads the other classes of such a node with `?node a ?class`), and every quad about a node
    outside the data namespace (a node reports may share)."""
    rdf_type = NamedNode(TYPE)
    for predicate in sorted(reads - {TYPE}):
        yield from (quad for quad in store.quads_for_pattern(None, NamedNode(predicate), None)
                    if is_case_graph(quad.graph_name))
    named = {quad.subject for cls in sorted(reads) for quad in store.quads_for_pattern(None, rdf_type, NamedNode(cls))
             if is_case_graph(quad.graph_name)}
    yield from (quad for quad in store.quads_for_pattern(None, rdf_type, None)
                if quad.subject in named and is_case_graph(quad.graph_name))
    yield from (quad for quad in store.quads_for_pattern(None, None, None)
                if is_case_graph(quad.graph_name) and isinstance(quad.subject, NamedNode)
                and not quad.subject.value.startswith(DATA))


def readable(quads: list[Quad], reads: frozenset) -> list[Quad]:
    """The quads with a predicate (for rdf:type, a class) that `reads` names: what a later rule may match."""
    return [quad for quad in quads if quad.predicate.value in reads
            and (quad.predicate.value != TYPE or quad.object.value in reads)]


def summaries_for(store: Store, after: list[Path]) -> list[Quad]:
    """What the later case rules may read of the inferred graph of the global store: every quad about a node of a
    class they read by type, and quads with a predicate they name about a node of no class."""
    uses = [rule_use(path) for path in after]
    types = frozenset().union(*(use.read_types for use in uses)) - {ANY} if uses else frozenset()
    inferred, rdf_type = NamedNode(INFERRED_GRAPH), NamedNode(TYPE)
    wanted = {quad.subject for cls in sorted(types)
              for quad in store.quads_for_pattern(None, rdf_type, NamedNode(cls), inferred)}
    summaries = [quad for subject in wanted for quad in store.quads_for_pattern(subject, None, None, inferred)]
    for predicate in sorted(projection_reads(after) - {TYPE}):
        summaries += [quad for quad in store.quads_for_pattern(None, NamedNode(predicate), None, inferred)
                      if quad.subject not in wanted and next(store.quads_for_pattern(quad.subject, rdf_type, None),
                                                             None) is None]
    return summaries


def document_of(term) -> str | None:
    """The case report a data node belongs to (data:<document>/...), or None for any other term."""
    if isinstance(term, NamedNode) and term.value.startswith(DATA):
        return term.value[len(DATA):].split("/", 1)[0]
    return None


def documents_in(store: Store) -> set[str]:
    """The case reports whose source graphs the store holds."""
    prefix = source_graph("")
    return {graph.value[len(prefix):] for graph in store.named_graphs()
            if isinstance(graph, NamedNode) and graph.value.startswith(prefix)}


def summaries_by_report(summaries: list[Quad], known: set[str]) -> tuple[list[Quad], dict[str, list[Quad]]]:
    """The summaries split by the nodes they are about: a node whose quads name data nodes of known reports goes to
    those reports (a patient's renal finding, say); any other node is shared (a drug's threshold assessment)."""
    about: dict = {}
    for quad in summaries:
        about.setdefault(quad.subject, []).append(quad)
    shared, by_report = [], {}
    for subject, quads in about.items():
        reports = {document_of(term) for quad in quads for term in (quad.subject, quad.object)} - {None}
        if reports and reports <= known:
            for report in reports:
                by_report.setdefault(report, []).extend(quads)
        else:
            shared += quads
    return shared, by_report


@dataclasses.dataclass
class Context:
    """What every store of the route holds: the ontology documents and HermiT's verdict with the rule data."""

    documents: list
    quads: list

    def store(self) -> Store:
        """A new in-memory store holding the context."""
        store = Store()
        for content, rdf_format, graph in self.documents:
            store.load(content, rdf_format, to_graph=NamedNode(graph))
        store.extend(self.quads)
        return store


def run_in_order(store: Store, paths: list[Path], counts: dict) -> dict[Path, list[Quad]]:
    """Apply the rules in order over the store (each seeing the earlier ones' output); count their output."""
    produced = {}
    for path in paths:
        produced[path] = apply_rule(store, path)
        store.extend(produced[path])
        counts[path.stem] = counts.get(path.stem, 0) + len(produced[path])
    return produced


def run_global(store: Store, steps: Plan, early: list[dict], ontology_dir: Path, counts: dict, emit) -> None:
    """The global rules in order over the global store, each case rule's output of the first pass added where
    that rule stands in the order (so each global rule sees what it would over the whole store); emit their output.
    The store keeps of it only what a later rule names (not the ade:Inference nodes, say)."""
    reads = projection_reads(steps.global_ + steps.after)
    for path in rule_files(ontology_dir):
        if path in steps.global_:
            # In pieces: a global rule's whole output (10^6 quads at 10^4 reports) as Python objects was the
            # route's peak of memory; the store keeps only the readable part, added once the query is done.
            kept = []
            for piece in pieces(rule_output(store, path), OUTPUT_PIECE):
                kept += readable(piece, reads)
                counts[path.stem] = counts.get(path.stem, 0) + len(piece)
                emit(piece)
            store.extend(kept)
        elif path in steps.before:
            for batch in early:
                store.extend(batch[path])


def pieces(items: Iterable, size: int) -> Iterator[list]:
    """The items in lists of `size` (the last may be shorter)."""
    iterator = iter(items)
    while piece := list(islice(iterator, size)):
        yield piece


def reason_in_batches(batches: Callable[[], Iterable[Loader]], documents: list, ontology_dir: Path,
                      emit: Callable[[list[Quad]], None], cache_dir: Path | None = None,
                      tick=None) -> ReasoningOutput:
    """Reason over the case reports that `batches()` loads, batch by batch (called twice: it must load the same
    batches each time); hand every output quad to emit. The output's `quads` are the shared ones only."""
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    verdict = terminology(ontology_dir, cache_dir)
    hermit_seconds = time.perf_counter() - clock
    inferred, rules = list(realisation_quads(list(verdict.realisations))), list(rule_quads(ontology_dir))
    context = Context(documents, inferred + rules + list(classification_quads(verdict)))
    steps = plan(ontology_dir)
    reads = projection_reads(steps.global_)
    counts: dict = {}
    clock = time.perf_counter()
    overall = context.store()
    early: list[dict] = []
    inputs: set = set()
    owned: list[set] = []  # owned[i]: the case reports of batch i
    for done, load in enumerate(batches(), 1):
        store = context.store()
        load(store)
        early.append(run_in_order(store, steps.before, counts))
        overall.extend(projection(store, reads))
        inputs |= input_graphs(store)
        owned.append(documents_in(store))
        if tick is not None:
            tick(done, "first pass")
    run_global(overall, steps, early, ontology_dir, counts, emit)
    checks_clock = time.perf_counter()
    problems = set(problems_in(overall, ontology_dir))
    checks = time.perf_counter() - checks_clock
    # Each batch gets the shared summaries and those about its own reports: its work stays flat in the reports.
    shared, by_report = summaries_by_report(summaries_for(overall, steps.after), set().union(*owned))
    del overall
    for number, load in enumerate(batches()):
        store = context.store()
        load(store)
        for quads in early[number].values():
            store.extend(quads)
            emit(quads)
        store.extend(shared)
        for report in sorted(owned[number]):
            store.extend(by_report.get(report, []))
        for quads in run_in_order(store, steps.after, counts).values():
            emit(quads)
        checks_clock = time.perf_counter()
        problems |= set(problems_in(store, ontology_dir))
        checks += time.perf_counter() - checks_clock
        if tick is not None:
            tick(number + 1, "second pass")
    if problems:
        problems = sorted(problems)
        raise ReasoningError(f"the case data is inconsistent with the ontology ({len(problems)} problem(s), first: "
                             f"{problems[0]})")
    rules_seconds = time.perf_counter() - clock
    provenance = list(provenance_quads(inputs, ontology_dir, verdict.hermit_version, started,
                                       datetime.datetime.now(datetime.timezone.utc)))
    emit(inferred + rules + provenance)
    ordered = {path.stem: counts.get(path.stem, 0) for path in rule_files(ontology_dir)}
    return ReasoningOutput(inferred + rules + provenance, inferred, len(verdict.realisations), ordered,
                           hermit_seconds, rules_seconds, verdict.cached, checks,
                           len(inferred) + len(rules) + sum(ordered.values()) + len(provenance))


def problems_in(store: Store, ontology_dir: Path) -> list[str]:
    """The inconsistencies the checks find in one store."""
    return [line for path in consistency_files(ontology_dir) for line in check_inconsistencies(store, path)]


def replicated_reports(cases: dict[str, list[Quad]], reports: int) -> Iterator[bytes]:
    """`reports` synthetic case reports as N-Quads texts: the documents replicated round-robin under new IRIs
    (000, 001, 002, 000-r1, 001-r1, ...), for benchmarks and tests.

    A copy renames the document's data IRIs and its source graph (IRIs equal to them or under them + "/") in
    the document's N-Quads text: far quicker than renaming term by term, and a store parses the text in Rust.
    """
    documents = sorted(cases)
    texts = {document: serialize(cases[document], format=RdfFormat.N_QUADS) for document in documents}
    for number in range(reports):
        document = documents[number % len(documents)]
        text = texts[document]
        if number >= len(documents):
            copy = f"{document}-r{number // len(documents)}"
            for old in (DATA + document, source_graph(document)):
                new = old[:-len(document)] + copy
                for end in (">", "/"):
                    text = text.replace(f"<{old}{end}".encode(), f"<{new}{end}".encode())
        yield text
