"""Explanations: print how an inferred statement was derived, rule by rule, down to the seed-text quotes."""
from __future__ import annotations

from pathlib import Path

from pyoxigraph import NamedNode, Store, Variable

from .errors import StoreError
from .store import shorten
from .terms import PREFIXES

SPARQL = Path(__file__).resolve().parent / "sparql"
MAX_DEPTH = 6  # rule chains are short; the limit only guards against a cycle in bad data


def query(store: Store, name: str, **bindings: NamedNode):
    """Run one of graph/sparql/*.rq with variables bound."""
    text = (SPARQL / f"{name}.rq").read_text(encoding="utf-8")
    return store.query(text, use_default_graph_as_union=True, prefixes=PREFIXES,
                       substitutions={Variable(key): value for key, value in bindings.items()})


def resolve(iri: str) -> NamedNode:
    """Accept a full IRI, <IRI> or a CURIE with a known prefix."""
    iri = iri.strip().strip("<>")
    prefix, _, local = iri.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return NamedNode(PREFIXES[prefix] + local)
    return NamedNode(iri)


def explain(store: Store, iri: str) -> str:
    """The explanation tree of a node or inference as indented text."""
    node = resolve(iri)
    lines: list[str] = []
    write_node(store, node, 0, lines, set())
    if len(lines) <= 1:
        raise StoreError(f"nothing inferred about <{node.value}>")
    return "\n".join(lines) + "\n"


def write_node(store: Store, node: NamedNode, depth: int, lines: list[str], seen: set[str]) -> None:
    """Write the inferences about a node, their rules and premises, recursively."""
    indent = "  " * depth
    lines.append(f"{indent}{shorten(node)}")
    if node.value in seen or depth > MAX_DEPTH:
        return
    seen.add(node.value)
    for row in query(store, "inferences-about", node=node):
        lines.append(f"{indent}  inferred: {shorten(row['subject'])} {shorten(row['predicate'])} {shorten(row['object'])}")
        lines.append(f"{indent}  by rule {shorten(row['rule'])}: {row['ruleComment'].value if row['ruleComment'] else ''}")
        for premise in query(store, "premises", inference=row["inference"]):
            target = premise["premise"]
            if not isinstance(target, NamedNode):
                continue
            if premise["inferred"] is not None and target.value != row["subject"].value:
                lines.append(f"{indent}  premise (inferred):")
                write_node(store, target, depth + 2, lines, seen)
            else:
                name = f" ({premise['name'].value})" if premise["name"] else ""
                lines.append(f"{indent}  premise {shorten(target)}{name}")
                write_quotes(store, target, depth + 2, lines)


def write_quotes(store: Store, fact: NamedNode, depth: int, lines: list[str]) -> None:
    """Write the quotes that support an asserted fact."""
    for row in query(store, "quotes-of", fact=fact):
        file = row["file"].value if row["file"] else ""
        lines.append(f"{'  ' * depth}quote {file}[{row['start'].value}:{row['end'].value}] \"{row['text'].value}\"")


