"""Content negotiation: one table from media type to pyoxigraph serializer, and Accept matching with q-values."""
from __future__ import annotations

from functools import lru_cache

from pyoxigraph import QueryResultsFormat, RdfFormat

# kind -> {media type: serializer}; the first entry of each kind is the default for */*.
# Aliases (application/json, application/xml) answer with the canonical type named in ALIASES.
FORMATS = {
    "solutions": {"application/sparql-results+json": QueryResultsFormat.JSON,
                  "application/sparql-results+xml": QueryResultsFormat.XML,
                  "text/csv": QueryResultsFormat.CSV,
                  "text/tab-separated-values": QueryResultsFormat.TSV,
                  "application/json": QueryResultsFormat.JSON,
                  "application/xml": QueryResultsFormat.XML},
    "graph": {"text/turtle": RdfFormat.TURTLE, "application/n-triples": RdfFormat.N_TRIPLES,
              "application/rdf+xml": RdfFormat.RDF_XML, "application/ld+json": RdfFormat.JSON_LD,
              "application/trig": RdfFormat.TRIG, "application/n-quads": RdfFormat.N_QUADS,
              "text/plain": RdfFormat.N_TRIPLES, "application/xml": RdfFormat.RDF_XML,
              "application/json": RdfFormat.JSON_LD},
}
ALIASES = {("solutions", "application/json"): "application/sparql-results+json",
           ("solutions", "application/xml"): "application/sparql-results+xml",
           ("graph", "text/plain"): "application/n-triples", ("graph", "application/xml"): "application/rdf+xml",
           ("graph", "application/json"): "application/ld+json"}
# format= parameter values -> media type per kind (a full media type is accepted too).
FORMAT_NAMES = {"json": ("application/sparql-results+json", "application/ld+json"),
                "xml": ("application/sparql-results+xml", "application/rdf+xml"),
                "csv": ("text/csv", None), "tsv": ("text/tab-separated-values", None),
                "turtle": (None, "text/turtle"), "ttl": (None, "text/turtle"),
                "nt": (None, "application/n-triples"), "ntriples": (None, "application/n-triples"),
                "rdfxml": (None, "application/rdf+xml"), "jsonld": (None, "application/ld+json"),
                "trig": (None, "application/trig"), "nq": (None, "application/n-quads"),
                "nquads": (None, "application/n-quads")}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Parse an Accept header into (media range, q) pairs; a missing header accepts anything."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [field.strip() for field in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for parameter in fields[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((fields[0].lower(), quality))
    return ranges


def quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """The q-value the most specific matching range gives a media type (0 if none matches)."""
    main, _, sub = media_type.partition("/")
    best, best_specificity = 0.0, -1
    for media_range, q in ranges:
        range_main, _, range_sub = media_range.partition("/")
        if media_range == media_type:
            specificity = 2
        elif range_main == main and range_sub == "*":
            specificity = 1
        elif media_range == "*/*" or media_range == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best, best_specificity = q, specificity
    return best


@lru_cache(maxsize=512)  # a handful of Accept headers make up nearly all requests
def choose(kind: str, accept: str | None, format_param: str | None = None) -> str | None:
    """The offered media type of a kind the client likes best (format= wins), or None if nothing fits."""
    table = FORMATS[kind]
    if format_param:
        name = format_param.strip().lower()
        if name in FORMAT_NAMES:
            wanted = FORMAT_NAMES[name][0 if kind == "solutions" else 1]
        else:
            wanted = name.split(";")[0].strip()
        return ALIASES.get((kind, wanted), wanted) if wanted in table else None
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for media_type in table:  # table order breaks ties
        q = quality(media_type, ranges)
        if q > best_q:
            best, best_q = media_type, q
    return ALIASES.get((kind, best), best) if best else None


def serializer(kind: str, media_type: str):
    """The pyoxigraph format for a chosen media type."""
    return FORMATS[kind][media_type]


def offered(kind: str) -> str:
    """The media types offered for a kind, for a 406 message."""
    return ", ".join(FORMATS[kind])
