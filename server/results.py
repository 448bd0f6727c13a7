"""Evaluate a query and serialise its results, in the negotiated format, into a size-capped spool."""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from itertools import islice

from pyoxigraph import QueryBoolean, QuerySolutions, serialize

from . import negotiation
from .jsonld import compacted_graph


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


def evaluate(store, query: str, options: dict, accept: str | None, format_param: str | None,
             limits: Limits) -> tuple[str, Spool]:
    """Run the query and write its results in the media type the client prefers; (media type, spool)."""
    results = store.query(query, **options)
    kind = "solutions" if isinstance(results, (QuerySolutions, QueryBoolean)) else "graph"
    media_type = negotiation.choose(kind, accept, format_param)
    if media_type is None:
        raise NotAcceptable(f"nothing acceptable for Accept {accept!r}; offered: {negotiation.offered(kind)}")
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
