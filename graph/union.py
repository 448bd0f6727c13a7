"""The dataset `adekg query` evaluates a query over, as the endpoint does: its FROM/FROM NAMED, else the set union.

SPARQL's default graph is an RDF merge, a set: a triple held by two named graphs (the ontology graph and the
import modules both declare `dcterms:title`) is one triple. pyoxigraph's `use_default_graph_as_union` answers it
once per graph holding it, and ignores a query's FROM. server/results.py chooses the dataset of each query by
the same rules (the server never imports graph/, so the rules are written twice; keep them in step).
"""
from __future__ import annotations

import itertools
import re

from pyoxigraph import DefaultGraph, RdfFormat, Store

# Strings, IRIs and comments, so that a keyword inside them (`"from"`, <http://e/graph>) is not one.
LEXICAL = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|#[^\n\r]*'
                     r'|<[^<>"{}|^`\\\x00-\x20]*>')
# The keyword, never part of a variable (?from), prefixed name (ex:graph, graph:build) or longer word.
FROM_KEYWORD = re.compile(r"(?<![\w:?$.\-])FROM(?![\w:\-])", re.IGNORECASE)
GRAPH_KEYWORD = re.compile(r"(?<![\w:?$.\-])GRAPH(?![\w:\-])", re.IGNORECASE)
# Above this many quads (a store with imported FAERS quarters) the union is not copied: the same bound as the
# endpoint's (server/results.py UNION_VIEW_MAX_QUADS); such stores get pyoxigraph's union (docs/endpoint.md).
UNION_VIEW_MAX_QUADS = 300_000


def blank_out(query: str) -> str:
    """The query with its strings, IRIs and comments replaced by spaces."""
    return LEXICAL.sub(lambda match: " " * len(match.group()), query)


def dataset(store: Store, query: str) -> tuple[Store, bool]:
    """The store to evaluate a query on, and whether to pass pyoxigraph's union flag.

    A query with FROM / FROM NAMED gets the dataset it names. One that uses GRAPH runs on the store with
    pyoxigraph's union, to see the named graphs (the endpoint's known limit: its patterns outside GRAPH may
    match a triple once per graph). Any other gets an in-memory copy whose default graph is the union as a set.
    """
    blank = blank_out(query)
    if FROM_KEYWORD.search(blank):
        return store, False
    if GRAPH_KEYWORD.search(blank):
        return store, True
    view = union_view(store)
    return (view, False) if view is not None else (store, True)


def union_view(store: Store) -> Store | None:
    """An in-memory store whose default graph is the set union of the store's named graphs; None if too big."""
    if sum(1 for _ in itertools.islice(store.quads_for_pattern(None, None, None), UNION_VIEW_MAX_QUADS + 1)) \
            > UNION_VIEW_MAX_QUADS:
        return None
    view = Store()
    triples = b"".join(store.dump(format=RdfFormat.N_TRIPLES, from_graph=graph) for graph in store.named_graphs())
    view.bulk_load(triples, RdfFormat.N_TRIPLES, to_graph=DefaultGraph())  # a store is a set: duplicates merge
    view.bulk_extend(store.quads_for_pattern(None, None, None, DefaultGraph()))
    return view
