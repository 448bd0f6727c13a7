"""The rules engine: runs ontology/rules/*.rq (SPARQL CONSTRUCT) in name order over a store (in memory or on disk)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, Variable, parse

from .errors import AdekgError
from .terms import ADE, INFERRED_GRAPH, PREFIXES, RDF, RDFS, RULE, RULES_GRAPH

RULES_DIR = "rules"
CONSISTENCY_DIR = "consistency"


class RuleError(AdekgError):
    """A rule file cannot be read, parsed or evaluated."""


def rule_files(ontology_dir: Path) -> list[Path]:
    """The rule files of an ontology folder, in the order they run."""
    return sorted((ontology_dir / RULES_DIR).glob("*.rq"))


def data_files(ontology_dir: Path) -> list[Path]:
    """The rule data files (thresholds, reference limits) of an ontology folder."""
    return sorted((ontology_dir / RULES_DIR).glob("*.ttl"))


def rule_iri(path: Path) -> NamedNode:
    """The IRI of the rule individual that stands for a rule file."""
    return NamedNode(RULE + path.stem)


def rule_statement(path: Path) -> str:
    """The rule in plain words: the leading comment lines of its file."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(line for line in lines if line)


def rule_quads(ontology_dir: Path) -> Iterator[Quad]:
    """Rule individuals (label, statement, file, SHA-256) and the rule data, all in the rules graph."""
    graph = NamedNode(RULES_GRAPH)
    for path in rule_files(ontology_dir):
        rule = rule_iri(path)
        yield Quad(rule, NamedNode(RDF + "type"), NamedNode(ADE + "InferenceRule"), graph)
        yield Quad(rule, NamedNode(RDFS + "label"), Literal(path.stem), graph)
        yield Quad(rule, NamedNode(RDFS + "comment"), Literal(rule_statement(path)), graph)
        yield Quad(rule, NamedNode(ADE + "fileName"), Literal(path.name), graph)
        yield Quad(rule, NamedNode(ADE + "sha256"), Literal(hashlib.sha256(path.read_bytes()).hexdigest()), graph)
    for path in data_files(ontology_dir):
        try:
            triples = list(parse(path.read_bytes(), RdfFormat.TURTLE))
        except SyntaxError as error:
            raise RuleError(f"malformed rule data ({error})", file=str(path)) from None
        yield from (Quad(t.subject, t.predicate, t.object, graph) for t in triples)


def rule_output(store: Store, path: Path) -> Iterator[Quad]:
    """One rule's output over the store, as quads of the inferred graph, one at a time as the query yields them.

    The store must not change until the iterator is exhausted.
    """
    try:
        triples = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True,
                              prefixes=PREFIXES, substitutions={Variable("rule"): rule_iri(path)})
    except SyntaxError as error:
        raise RuleError(f"malformed rule ({error})", file=str(path)) from None
    graph = NamedNode(INFERRED_GRAPH)
    return (Quad(t.subject, t.predicate, t.object, graph) for t in triples)


def apply_rule(store: Store, path: Path) -> list[Quad]:
    """One rule's output over the store, as quads of the inferred graph (not yet added to the store)."""
    return list(rule_output(store, path))


def run_rules(store: Store, ontology_dir: Path, tick=None, keep: bool = True) -> tuple[list[Quad], dict[str, int]]:
    """Apply each rule in order, adding its output to the store so later rules see it; tick(done, total) after each.

    keep=False returns no quads (the output is then only in the store): memory stays at one rule's output.
    """
    produced, counts = [], {}
    files = rule_files(ontology_dir)
    for done, path in enumerate(files, 1):
        quads = apply_rule(store, path)
        store.extend(quads)
        if keep:
            produced += quads
        counts[path.stem] = len(quads)
        if tick is not None:
            tick(done, len(files))
    return produced, counts


def consistency_files(ontology_dir: Path) -> list[Path]:
    """The data consistency checks: SELECT queries whose every row is an inconsistency of the case data."""
    return sorted((ontology_dir / RULES_DIR / CONSISTENCY_DIR).glob("*.rq"))


def check_inconsistencies(store: Store, path: Path) -> list[str]:
    """The inconsistencies one check finds: check, individual, values."""
    try:
        rows = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True, prefixes=PREFIXES)
    except SyntaxError as error:
        raise RuleError(f"malformed consistency check ({error})", file=str(path)) from None
    return [f"{path.stem}: " + " ".join(str(row[name]) if row[name] is not None else "-"
                                        for name in ("individual", "property", "first", "second")) for row in rows]


def inconsistencies(store: Store, ontology_dir: Path) -> list[str]:
    """One line per inconsistency the checks find in the case data (with the inferred types): check, individual, values."""
    return sorted(line for path in consistency_files(ontology_dir) for line in check_inconsistencies(store, path))
