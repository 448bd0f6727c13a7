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
# Names clients put in format= / output= / results= -> media type per kind (solutions, graph); a full media type,
# or a comma-separated list of them (SPARQLWrapper sends its Accept list there), is understood too.
FORMAT_NAMES = {"json": ("application/sparql-results+json", "application/ld+json"),
                "srj": ("application/sparql-results+json", None),
                "xml": ("application/sparql-results+xml", "application/rdf+xml"),
                "srx": ("application/sparql-results+xml", None),
                "csv": ("text/csv", None), "tsv": ("text/tab-separated-values", None),
                "turtle": (None, "text/turtle"), "ttl": (None, "text/turtle"),
                "n3": (None, "text/turtle"),  # Turtle is N3: what N3 clients read
                "nt": (None, "application/n-triples"), "ntriples": (None, "application/n-triples"),
                "n-triples": (None, "application/n-triples"),
                "rdf": (None, "application/rdf+xml"), "rdfxml": (None, "application/rdf+xml"),
                "rdf+xml": (None, "application/rdf+xml"), "rdf/xml": (None, "application/rdf+xml"),
                "jsonld": (None, "application/ld+json"), "json-ld": (None, "application/ld+json"),
                "trig": (None, "application/trig"), "nq": (None, "application/n-quads"),
                "nquads": (None, "application/n-quads"), "n-quads": (None, "application/n-quads")}


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


def named_format(kind: str, names: tuple[str, ...]) -> str | None:
    """The first offered media type of a kind that the format=/output=/results= values name, or None."""
    table = FORMATS[kind]
    for value in names:
        for name in value.split(","):
            name = name.strip().lower()
            wanted = FORMAT_NAMES[name][0 if kind == "solutions" else 1] if name in FORMAT_NAMES \
                else name.split(";")[0].strip()
            if wanted in table:
                return ALIASES.get((kind, wanted), wanted)
    return None


@lru_cache(maxsize=512)  # a handful of Accept headers make up nearly all requests
def choose(kind: str, accept: str | None, format_param: str | tuple[str, ...] | None = None) -> str | None:
    """The offered media type of a kind the client likes best, or None if nothing fits.

    A format=/output=/results= value naming an offered type wins; values naming nothing offered for this kind
    are ignored, so the Accept header decides (clients such as SPARQLWrapper send names for every kind).
    """
    if format_param:
        named = named_format(kind, (format_param,) if isinstance(format_param, str) else format_param)
        if named is not None:
            return named
    table = FORMATS[kind]
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for media_type in table:  # table order breaks ties
        q = quality(media_type, ranges)
        if q > best_q:
            best, best_q = media_type, q
    return ALIASES.get((kind, best), best) if best else None


def refusal(kind: str, accept: str | None, format_param: str | tuple[str, ...] | None = None) -> str:
    """The 406 reason: what the client asked for (format names, then Accept) and what is offered."""
    names = (format_param,) if isinstance(format_param, str) else tuple(format_param or ())
    asked = f"format {', '.join(names)!r} is not offered for this query and " if names else ""
    return f"{asked}nothing offered fits Accept {accept!r}; offered: {offered(kind)}"


def serializer(kind: str, media_type: str):
    """The pyoxigraph format for a chosen media type."""
    return FORMATS[kind][media_type]


def offered(kind: str) -> str:
    """The media types offered for a kind, for a 406 message."""
    return ", ".join(FORMATS[kind])
