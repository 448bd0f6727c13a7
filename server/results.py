"""Evaluate a query and serialise its results, in the negotiated format, into a size-capped spool."""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from pyoxigraph import DefaultGraph, QueryBoolean, QuerySolutions, RdfFormat, Store, serialize

from . import negotiation
from .jsonld import compacted_graph
from .limits import blank_out

# FROM / FROM NAMED as a keyword (strings, IRIs and comments blanked first; never ?from or ex:from).
DATASET_CLAUSE = re.compile(r"(?<![\w:?$.\-])FROM(?![\w:\-])", re.IGNORECASE)
GRAPH_KEYWORD = re.compile(r"(?<![\w:?$.\-])GRAPH(?![\w:\-])", re.IGNORECASE)
# PREFIX / BASE declarations and comments before the query form: they hold no FROM or GRAPH keyword.
DECLARATIONS = re.compile(r"(?:\s+|#[^\n]*|PREFIX\s*[^\s:<>]*:\s*<[^<>\s]*>|BASE\s*<[^<>\s]*>)*", re.IGNORECASE)
PARSER_POSITION = re.compile(r"error at (\d+):(\d+)")
# A prefixed name ending where the parser stopped: its prefix (possibly empty) and its local part so far.
PREFIXED_NAME_END = re.compile(r"(?:(?<=[\s{}()\[\],;.^/|])|^)([A-Za-z\u00C0-\uFFFD][\w.\-]*)?:([\w.\-%\\:]*)$")


class ResultTooLarge(Exception):
    """The serialised result went over the configured size."""


class NotAcceptable(Exception):
    """No offered media type of the result's kind fits the Accept header."""


class Spool:
    """Serialised output, kept in memory up to a size and in an anonymous temporary file beyond it."""

    def __init__(self, in_memory: int, limit: int):
        self.in_memory, self.limit, self.size = in_memory, limit, 0
        self.chunks: list[bytes] = []
        self.file = None

    def write(self, data: bytes) -> int:
        """Append bytes; move to a temporary file past the in-memory size; refuse to grow past the limit."""
        self.size += len(data)
        if self.size > self.limit:
            raise ResultTooLarge(f"the result exceeds the limit of {self.limit} bytes; add a LIMIT")
        if self.file is not None:
            return self.file.write(data)
        self.chunks.append(data)
        if self.size > self.in_memory:
            self.file = tempfile.TemporaryFile()
            self.file.writelines(self.chunks)
            self.chunks.clear()
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the spool is read back in this process (pyoxigraph calls this when it finishes)."""

    def small(self) -> bytes | None:
        """The whole output if it stayed in memory, else None (stream it with `opened`)."""
        return None if self.file is not None else b"".join(self.chunks)

    def opened(self):
        """The output as a binary file positioned at its start (the caller closes it)."""
        self.file.seek(0)
        return self.file


@dataclass(frozen=True)
class Limits:
    """What one evaluation may produce, and how graph results are written as JSON-LD."""

    max_triples: int
    max_bytes: int
    in_memory: int
    context: dict
    context_url: str
    inline_context: bool = True
    # The deduplicated union of the store last queried (see union_view); per process, never shared.
    union: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


def names_its_dataset(query: str) -> bool:
    """Whether the query has a FROM or FROM NAMED clause of its own."""
    return has_keyword(query, "from", DATASET_CLAUSE)


def has_keyword(query: str, word: str, keyword: re.Pattern) -> bool:
    """Whether the keyword occurs outside strings, IRIs and comments (the declarations skipped: they cost most)."""
    if word not in query.lower():  # the common case, at C speed: no such word anywhere
        return False
    body = query[DECLARATIONS.match(query).end():]
    return word in body.lower() and keyword.search(blank_out(body)) is not None


def union_view(store, cache: dict) -> Store | None:
    """An in-memory store whose default graph is the set union of the store's named graphs (None if too large).

    pyoxigraph's `use_default_graph_as_union` answers a triple once per graph holding it, but SPARQL's default
    graph is an RDF merge (a set). Made once per store (about 0.3 s of CPU for 16,000 quads): under `adekg serve`
    the fork server makes it once per generation and every worker shares it (server/worker.py, `adopt_union`).
    """
    if cache.get("store") is not store:
        data = union_ntriples(store)
        cache.update(store=store, view=None if data is None else union_store(data))
    return cache["view"]


UNION_VIEW_MAX_QUADS = 300_000
QUERIES = Path(__file__).resolve().parent / "queries"


def union_ntriples(store) -> bytes | None:
    """The deduplicated union of the store's graphs as N-Triples, or None for a store too large to copy.

    A store with imported spontaneous reports holds millions of quads: copying them into every worker would
    exhaust its memory limit, so such stores are queried with pyoxigraph's own union (docs/endpoint.md).
    An external store (server/remote.py) answers with its own union.
    """
    if getattr(store, "answers_its_own_union", False):
        return None
    count = (QUERIES / "union-size.rq").read_text(encoding="utf-8").replace("BOUND", str(UNION_VIEW_MAX_QUADS + 1))
    if int(next(iter(store.query(count)))["quads"].value) > UNION_VIEW_MAX_QUADS:
        return None
    union = store.query((QUERIES / "union-copy.rq").read_text(encoding="utf-8"), use_default_graph_as_union=True)
    return serialize(union, format=RdfFormat.N_TRIPLES)


def union_store(ntriples: bytes) -> Store:
    """An in-memory store holding these N-Triples in its default graph."""
    view = Store()
    view.bulk_load(ntriples, RdfFormat.N_TRIPLES, to_graph=DefaultGraph())
    return view


def prepare(store, limits: Limits) -> None:
    """Make the union view of a freshly opened store now, so that its first query does not wait for it."""
    union_view(store, limits.union)


def dataset_of(store, query: str, options: dict, cache: dict) -> tuple[object, dict]:
    """The store and options that give the query its dataset: the protocol's, else its FROM, else the union.

    A query that uses GRAPH runs on the store itself with pyoxigraph's union, so that it sees the named graphs
    (copying them into the view as well cost seconds per worker): its default-graph patterns may still match a
    triple once per graph holding it.
    """
    if not options.get("use_default_graph_as_union"):
        return store, options  # default-graph-uri / named-graph-uri given: they define the dataset
    rest = {name: value for name, value in options.items() if name != "use_default_graph_as_union"}
    if names_its_dataset(query):
        return store, rest
    view = union_view(store, cache)
    if view is None or has_keyword(query, "graph", GRAPH_KEYWORD):
        return store, options
    return view, rest


def syntax_message(query: str, error: SyntaxError) -> str:
    """A parse error in words (undeclared prefix, '/' in a prefixed name, or where it stopped), then the parser's."""
    detail = str(error).replace("\n", " ")
    position = PARSER_POSITION.search(detail)
    if position is None:
        return detail
    line_number, column = int(position.group(1)), int(position.group(2))
    lines = query.splitlines() or [""]
    line = lines[min(line_number, len(lines)) - 1]
    before, after = line[:column - 1], line[column - 1:]
    name = PREFIXED_NAME_END.search(before)
    problems = []
    if name is not None and "Prefix not found" in detail:
        start = name.start() + 1
        problems.append(f"prefix `{name.group(1) or ''}:` is not declared (line {line_number}, column {start}); "
                        f"add PREFIX {name.group(1) or ''}: <…>")
    if name is not None and after.startswith("/"):
        whole = name.group(0) + re.match(r"[^\s{}()<>,;]*", after).group(0)
        problems.append(f"`/` is not allowed in the prefixed name `{whole}` (line {line_number}, column {column}); "
                        f"write the full <IRI> or escape it as `{whole.replace('/', chr(92) + '/')}`")
    if not problems:
        near = after.strip()[:20] or "the end of the line"
        problems.append(f"syntax error at line {line_number}, column {column}, near `{near}`")
    return "; ".join(problems) + f" (parser: {detail})"


def evaluate(store, query: str, options: dict, accept: str | None, format_param: str | tuple[str, ...] | None,
             limits: Limits) -> tuple[str, Spool]:
    """Run the query over its dataset and write its results in the media type the client prefers; (type, spool).

    With `use_default_graph_as_union` in options (no protocol dataset), a query with FROM / FROM NAMED gets the
    dataset it names, and any other the set union of all named graphs as its default graph.
    """
    target, options = dataset_of(store, query, options, limits.union)
    try:
        results = target.query(query, **options)
    except SyntaxError as error:
        raise SyntaxError(syntax_message(query, error)) from None
    kind = "solutions" if isinstance(results, (QuerySolutions, QueryBoolean)) else "graph"
    media_type = negotiation.choose(kind, accept, format_param)
    if media_type is None:
        raise NotAcceptable(negotiation.refusal(kind, accept, format_param))
    spool = Spool(limits.in_memory, limits.max_bytes)
    if kind == "solutions":
        results.serialize(spool, negotiation.serializer(kind, media_type))
    elif media_type == "application/ld+json":
        document = compacted_graph(islice(results, limits.max_triples), limits.context, limits.context_url,
                                   limits.inline_context)
        spool.write(json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"))
    else:
        serialize(islice(results, limits.max_triples), spool, negotiation.serializer(kind, media_type))
    return media_type, spool
