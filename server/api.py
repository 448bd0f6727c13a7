"""Documents for apps (/api/): plain JSON that is also JSON-LD, one object per fact with its quotes embedded.

Shape (docs/api.schema.json): every node is an object with `id` (string), `type` (list of strings), `label`
(string, when it has one) and one key per property, named without prefixes. A key holds a single value if its
property is an owl:FunctionalProperty in the ontology, else always a list. Literals are JSON numbers, booleans
or strings; links are objects (the node embedded where it is first reached, later `{"id": ...}`); every evidence
quote is embedded in full wherever a fact cites it. The document is {"@context": ..., "graph": [root, ...]}:
the root first, then the facts no link from the root reaches (claims known only by their quote). It carries
its own @context inline, so a JSON-LD processor expands it with no network at all.
"""
from __future__ import annotations

from collections import defaultdict

from pyoxigraph import BlankNode, Literal, NamedNode

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {XSD + name for name in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt",
                                    "unsignedLong", "unsignedShort", "unsignedByte")}
NUMBERS = {XSD + "decimal", XSD + "double", XSD + "float"}
NUMERIC = frozenset(INTEGERS | NUMBERS)
# Datatypes JSON represents natively (or as a plain string); any other is kept by a coercion in the context.
NATIVE = INTEGERS | NUMBERS | {XSD + "boolean", XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
EVIDENCE = "https://w3id.org/adekg/ontology/hasEvidence"
SOURCE_TEXT = "https://w3id.org/adekg/ontology/inSourceText"
FACT, QUOTE, SOURCE = 0, 1, 2  # how a node is embedded: with its links; as evidence; as the quoted text


def term_names(context: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Forward and reverse key names by property IRI, from the published context's terms."""
    terms = context["@context"]
    prefixes = {key: value for key, value in terms.items() if isinstance(value, str) and value[-1:] in "/#_"}

    def expand(value: str) -> str:
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else value

    forward, reverse = {}, {}
    for key, value in terms.items():
        if key.startswith("@") or key in prefixes or key[:1].isupper():
            continue
        if isinstance(value, str) and not value.startswith("@"):
            forward.setdefault(expand(value), key)
        elif isinstance(value, dict) and "@id" in value:
            forward.setdefault(expand(value["@id"]), key)
        elif isinstance(value, dict) and "@reverse" in value:
            reverse.setdefault(expand(value["@reverse"]), key)
    return forward, reverse


def class_names(context: dict) -> dict[str, str]:
    """Short names of classes by IRI (the context's capitalised terms)."""
    terms = context["@context"]
    ade = terms["ade"]
    return {ade + value.split(":", 1)[1]: key for key, value in terms.items()
            if key[:1].isupper() and isinstance(value, str) and value.startswith("ade:")}


def local_name(iri: str) -> str:
    """The part of an IRI after its last '#' or '/'."""
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class Namer:
    """Plain, stable key names for property IRIs: the context's term, else namespace prefix + local name."""

    def __init__(self, context: dict, prefixes: dict[str, str]):
        self.forward, self.reverse = term_names(context)
        self.forward.update({RDF_TYPE: "type", LABEL: "label"})
        self.namespaces = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self.taken = set(self.forward.values()) | set(self.reverse.values()) | {"id", "graph"}

    def key(self, iri: str) -> str:
        """The key of a property."""
        if iri not in self.forward:
            local = local_name(iri).replace("-", "_")
            if local in self.taken:  # another vocabulary's property already has the name: say whose this one is
                prefix = next((name for name, namespace in self.namespaces if iri.startswith(namespace)), "x")
                local = prefix + local[:1].upper() + local[1:]
            self.forward[iri] = local
            self.taken.add(local)
        return self.forward[iri]

    def reverse_key(self, iri: str) -> str:
        """The key of a property read backwards (a link into the node)."""
        return self.reverse.get(iri) or self.key(iri) + "Of"


def literal_value(literal: Literal):
    """A literal as JSON: numbers for numeric datatypes, booleans, else its lexical form."""
    datatype = literal.datatype.value if literal.datatype is not None else XSD + "string"
    try:
        if datatype in INTEGERS:
            return int(literal.value)
        if datatype in NUMBERS:
            number = float(literal.value)
            return int(number) if number.is_integer() and datatype == XSD + "decimal" else number
    except ValueError:
        return literal.value
    if datatype == XSD + "boolean":
        return literal.value in ("true", "1")
    return literal.value


def value_order(link: tuple[str, object]) -> tuple:
    """Sort key of a (property, value) pair: by property, then numbers by value and anything else by its text."""
    predicate, value = link
    if isinstance(value, Literal) and value.datatype is not None and value.datatype.value in NUMERIC:
        try:
            return predicate, 0, float(value.value), ""
        except ValueError:
            pass
    return predicate, 1, 0.0, str(value)


def node_id(term) -> str:
    """The id of a node: its IRI, or _:label for a blank node."""
    return "_:" + term.value if isinstance(term, BlankNode) else term.value


class Builder:
    """Builds the tree of one document from its triples."""

    def __init__(self, triples, namer: Namer, classes: dict[str, str], functional: frozenset[str]):
        self.namer, self.classes, self.functional = namer, classes, functional
        self.outgoing: dict = defaultdict(list)
        self.incoming: dict = defaultdict(list)
        for subject, predicate, value in ((t.subject, t.predicate.value, t.object) for t in triples):
            self.outgoing[subject].append((predicate, value))
            if predicate != RDF_TYPE and not isinstance(value, Literal):
                self.incoming[value].append((predicate, subject))
        for links in self.outgoing.values():
            links.sort(key=value_order)  # the same document whatever order the store returns statements in
        self.placed: set = set()
        self.quoted = {o for links in self.outgoing.values() for p, o in links if p in (EVIDENCE, SOURCE_TEXT)}
        self.context: dict = {"id": "@id", "type": "@type", "graph": "@graph"}
        self.datatypes: dict = defaultdict(set)

    def document(self, root) -> dict:
        """The root node first, then any node no link from it reaches, each with what it reaches embedded."""
        nodes = []
        for start in [root, *self.outgoing]:
            if start in self.placed or (start != root and start in self.quoted):
                continue
            self.placed.add(start)
            nodes.append({"id": node_id(start)})
            queue = [(start, nodes[-1], FACT)]
            while queue:
                queue += self.fill(*queue.pop(0))
        for key, datatypes in self.datatypes.items():
            if len(datatypes) == 1 and (datatype := next(iter(datatypes))) not in NATIVE:
                self.context[key]["@type"] = datatype
        return {"@context": self.context, "graph": nodes}

    def fill(self, node, body: dict, mode: int) -> list:
        """Put a node's own statements (and, for a fact, the links into it) on its object; return what to fill next."""
        pending = []
        body["type"] = sorted({self.class_name(o.value) for p, o in self.outgoing[node] if p == RDF_TYPE})
        for predicate, value in self.outgoing[node]:
            if predicate == RDF_TYPE:
                continue
            key = self.namer.key(predicate)
            self.context.setdefault(key, {"@id": predicate})
            if predicate == LABEL:
                body.setdefault("label", value.value)
                continue
            item = self.value(predicate, value, key, mode, pending)
            if predicate in self.functional:
                body[key] = item
            else:
                body.setdefault(key, []).append(item)
        if mode != FACT:
            return pending
        for predicate, source in self.incoming[node]:
            if source in self.placed or predicate in (EVIDENCE, SOURCE_TEXT):
                continue
            self.placed.add(source)
            key = self.namer.reverse_key(predicate)
            self.context.setdefault(key, {"@reverse": predicate})
            child = {"id": node_id(source)}
            body.setdefault(key, []).append(child)
            pending.append((source, child, FACT))
        return pending

    def class_name(self, iri: str) -> str:
        """A class's short name (declared in the document's context), or its IRI."""
        name = self.classes.get(iri)
        if name is None:
            return iri
        self.context.setdefault(name, iri)
        return name

    def value(self, predicate: str, value, key: str, mode: int, pending: list):
        """A JSON literal, an embedded node (a quote at each citing fact, a fact where first reached), or a reference."""
        if isinstance(value, Literal):
            self.datatypes[key].add(value.datatype.value if value.datatype else XSD + "string")
            return literal_value(value)
        child = {"id": node_id(value)}
        if mode == FACT and predicate == EVIDENCE:
            pending.append((value, child, QUOTE))
        elif mode == QUOTE and predicate == SOURCE_TEXT:
            pending.append((value, child, SOURCE))
        elif mode == FACT and value not in self.placed and self.outgoing.get(value):
            self.placed.add(value)
            pending.append((value, child, FACT))
        return child


def api_document(triples, root: str, context: dict, prefixes: dict[str, str], functional: frozenset[str]) -> dict:
    """The /api/ document of a root IRI from the triples that describe it."""
    builder = Builder(triples, Namer(context, prefixes), class_names(context), functional)
    return builder.document(NamedNode(root))
