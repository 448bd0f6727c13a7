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
    write_signals(store, node, depth, lines)


def write_signals(store: Store, node: NamedNode, depth: int, lines: list[str]) -> None:
    """Write the FAERS signals a class-level risk is linked to, or the signal the node is, with how it was computed."""
    indent = "  " * depth
    for row in query(store, "linked-signals", node=node):
        lines.append(f"{indent}  linked by graph/sparql/link-signals.rq (the same drug class; the same event type, "
                     "or a class above or below it) to the FAERS signal:")
        write_signal(store, row["signal"], depth + 2, lines)
    write_signal(store, node, depth + 1, lines, named=False)


def write_signal(store: Store, signal: NamedNode, depth: int, lines: list[str], named: bool = True) -> None:
    """Write one disproportionality signal: counts, figures, flag, method, thresholds and the quarters it counted."""
    indent = "  " * depth
    for row in query(store, "signal-figures", signal=signal):
        def figure(name: str, lower: str, upper: str) -> str:
            value = row[name].value if row[name] else "-"
            bounds = [row[key].value if row[key] else "unbounded" for key in (lower, upper)]
            return f"{name.upper()} {value} [{bounds[0]}, {bounds[1]}]"

        if named:
            lines.append(f"{indent}{shorten(signal)}")
        lines.append(f"{indent}  disproportionality of {shorten(row['product'])} x \"{row['reaction'].value}\": "
                     f"{row['a'].value} reports with both, {row['withDrug'].value} with the drug, "
                     f"{row['withEvent'].value} with the event, of {row['total'].value}")
        ebgm = f", EBGM {row['ebgm'].value} (EB05 {row['eb05'].value})" if row["ebgm"] and row["eb05"] else ""
        lines.append(f"{indent}  {figure('prr', 'prrLower', 'prrUpper')}, {figure('ror', 'rorLower', 'rorUpper')}, "
                     f"{figure('ic', 'icLower', 'icUpper')}{ebgm}; flagged: "
                     f"{'yes' if row['flagged'].value == 'true' else 'no'}")
        if row["activity"] is not None:
            lines.append(f"{indent}  computed by {shorten(row['activity'])}: "
                         f"{row['method'].value if row['method'] else ''}")
            if row["thresholds"]:
                lines.append(f"{indent}  thresholds: {row['thresholds'].value}")
            for source in query(store, "signal-sources", activity=row["activity"]):
                made_by = f" (imported by {shorten(source['import'])})" if source["import"] else ""
                lines.append(f"{indent}  counted over the reports of {shorten(source['graph'])}{made_by}")
        return


def write_quotes(store: Store, fact: NamedNode, depth: int, lines: list[str]) -> None:
    """Write the quotes that support an asserted fact."""
    for row in query(store, "quotes-of", fact=fact):
        file = row["file"].value if row["file"] else ""
        lines.append(f"{'  ' * depth}quote {file}[{row['start'].value}:{row['end'].value}] \"{row['text'].value}\"")


