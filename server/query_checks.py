"""Checks on a query's text before it is evaluated: nesting depth, updates, and the SERVICE allow-list.

Pure functions of the text and the settings; the request-reading code calls `check_query` and turns a
`Refused` into its HTTP status. No parser sees a query before `check_depth` has passed it: Oxigraph's parser
recurses on the machine stack and ends the process (SIGSEGV) on ~2,200 nested braces or ~950 nested calls.
"""
from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

from .results import syntax_message

__all__ = ["Refused", "check_query", "check_depth", "check_form_encoding", "is_update", "refusal_of_malformed",
           "service_targets", "decoded"]

MAX_DEPTH = 128  # the default of ADEKG_MAX_DEPTH; a hand-written query rarely nests 20 deep
# A chain of n members (A UNION B UNION ..., a || b || ..., p/q/..., triple patterns, a collection) becomes a tree
# n levels deep in the engine, which recurses on it: ~2,500 MINUS, ~4,000 collection items, ~6,400 UNION or
# BIND, ~9,200 `!` or `||` end the process (pyoxigraph 0.5.13, 8 MiB stack). Chains may hold this many times
# the bracket limit (a chain link costs the engine far less stack than a bracket level).
CHAIN_PER_DEPTH = 8
# rdflib's parser is slow (~30 ms for a short query) and recursive; past this length a query naming SERVICE is refused.
SERVICE_CHECK_MAX_CHARS = 20_000
# \uXXXX and \UXXXXXXXX are replaced before parsing, anywhere in the text (SPARQL 1.1 section 19.2), as Oxigraph does.
CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# What rdflib's parser would expand again (it also reads \u with 8 digits): left after decoding, it is ambiguous.
RDFLIB_CODEPOINT = re.compile(r"\\u[0-9a-f]{4}", re.IGNORECASE)
# Strings, comments and local-name escapes, scanned left to right (whichever starts first hides the rest).
# IRIs are not skipped: '<' is also less-than, so what looks like an IRI may be code.
STRINGS_COMMENTS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                              r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|#[^\n\r]*|\\[^\n\r]', re.DOTALL)
IRI_LIKE = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
OPENERS = re.compile(r"[{(\[]")
# What joins two members of a chain: the keywords that combine groups, and every operator and separator.
CHAIN_LINKS = re.compile(r"(?<![\w:?$])(?:UNION|MINUS|OPTIONAL|FILTER|BIND|GRAPH|SERVICE|EXISTS)(?![\w:\-])"
                         r"|\|\||&&|[!<>]=?|[=+*/|^.;,]|(?<![\w:])-", re.IGNORECASE)
CHAIN_CHARACTERS = b"|&!<>=+*/^.;,- \t\r\n"  # operators, and whitespace (at most one per list item)
CHAIN_KEYWORDS = ("union", "minus", "optional", "filter", "bind", "graph", "service", "exists")
# The items of a parenthesised list without commas (an RDF collection, or a VALUES row): each one a link.
COLLECTION = re.compile(r"\(([^(),{}\[\]]*)\)")
BRACKETS = re.compile(r"[{}()\[\]]")
# The prologue (PREFIX/BASE/VERSION declarations, comments, whitespace) and then an update's first keyword.
# A percent-escape of a byte above 0x7F: without one (and with no raw non-ASCII byte) the decoded text is ASCII.
HIGH_ESCAPE = re.compile(rb"%[89A-Fa-f][0-9A-Fa-f]")
UPDATE = re.compile(r'(?:\s+|#[^\n\r]*+|[Pp][Rr][Ee][Ff][Ii][Xx]\s*[^\s:<]*:\s*<[^<>"{}|^`\\\x00-\x20]*>'
                    r'|[Bb][Aa][Ss][Ee]\s*<[^<>"{}|^`\\\x00-\x20]*>'
                    r'|[Vv][Ee][Rr][Ss][Ii][Oo][Nn]\s*(?:"[^"]*"|\'[^\']*\'))*'
                    r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)(?![\w:\-])", re.IGNORECASE)


class Refused(Exception):
    """A request the endpoint will not run, with its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def decoded(query: str) -> str:
    """The query with its \\u/\\U code-point escapes replaced (invalid code points are left as written)."""
    if "\\" not in query:
        return query

    def replace(match: re.Match) -> str:
        point = int(match.group(1) or match.group(2), 16)
        return match.group() if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF else chr(point)
    return CODEPOINT.sub(replace, query)


def bracket_depth(text: str) -> int:
    """The deepest nesting of (, { and [ in text, each closer ending the innermost bracket (never below 0)."""
    depth = deepest = 0
    for match in BRACKETS.finditer(text):
        if match.group() in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


def nesting_depth(text: str) -> int:
    """An upper bound of how deep the query's groups, expressions and lists nest, outside strings and comments.

    Read twice, with what looks like an IRI taken as an IRI and as code, since a hand-written lexer cannot
    always tell '<' (less-than) from an IRI's start; a text that hides a quote in an IRI-like run is measured
    by its count of openers alone.
    """
    if any("'" in iri.group() for iri in IRI_LIKE.finditer(text)):
        return len(OPENERS.findall(text))
    code = STRINGS_COMMENTS.sub(" ", text)
    with_iris = STRINGS_COMMENTS.sub(" ", IRI_LIKE.sub(" ", text))
    return max(bracket_depth(code), bracket_depth(with_iris))


def most_chain_links(text: str) -> int:
    """A quick upper bound of chain_length (~10 us for 2,000 characters): operator and space characters, keywords."""
    data = text.encode("utf-8", "replace")
    lowered = text.lower()
    return len(data) - len(data.translate(None, CHAIN_CHARACTERS)) + sum(map(lowered.count, CHAIN_KEYWORDS)) + 1


def chain_length(text: str) -> int:
    """An upper bound of how many members the query's chains hold together, outside strings and comments.

    Counted on the reading where what looks like an IRI is an IRI, plus the links inside the longest such run
    (read as code it could hide a chain; runs do not nest, so only one of them can lie on a path of the tree).
    """
    code = STRINGS_COMMENTS.sub(" ", IRI_LIKE.sub(" ", text))
    links = len(CHAIN_LINKS.findall(code))
    for group in COLLECTION.findall(code):  # items beyond those an expression's operators already counted
        links += max(0, len(group.split()) - 2 * len(CHAIN_LINKS.findall(group)) - 1)
    hidden = max((len(CHAIN_LINKS.findall(iri.group()[1:-1])) for iri in IRI_LIKE.finditer(text)), default=0)
    return links + hidden


def check_depth(query: str, limit: int) -> None:
    """Refuse (400) a query nested deeper than limit brackets, or chaining more than CHAIN_PER_DEPTH times limit
    members, before any parser recurses into it."""
    if limit <= 0:
        return
    text = None
    if query.count("{") + query.count("(") + query.count("[") > limit:  # else too few to nest deeper
        text = decoded(query)
        depth = nesting_depth(text)
        if depth > limit:
            raise Refused(400, f"the query nests {depth} levels of brackets ({{ }}, ( ), [ ]); the limit is "
                               f"{limit} (ADEKG_MAX_DEPTH)")
    chain_limit = CHAIN_PER_DEPTH * limit
    text = text if text is not None else decoded(query)
    if len(text) > chain_limit and most_chain_links(text) > chain_limit:  # else too short to hold a longer chain
        chain = chain_length(text)
        if chain > chain_limit:
            raise Refused(400, f"the query chains {chain} operators, separators or list items (UNION, MINUS, "
                               f"||, /, ., ...); the limit is {chain_limit} ({CHAIN_PER_DEPTH} x ADEKG_MAX_DEPTH); "
                               "use VALUES for long lists of terms")


def is_update(query: str) -> bool:
    """True if the text is a SPARQL Update (its first keyword after the prologue and comments is an update's)."""
    return UPDATE.match(decoded(query)) is not None


def service_nodes(node, found: list) -> list:
    """The SERVICE endpoints (IRIs or variables) named anywhere in an rdflib algebra or parse tree."""
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(node.get("term"))
        for value in node.values():
            service_nodes(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            service_nodes(value, found)
    return found


def service_targets(query: str, base: str) -> list | None:
    """The SERVICE endpoints the query calls (IRIs resolved against base, or variables); None if it names none.

    A query whose text never says 'service' (after code-point escapes, in any case) has none and is not parsed.
    """
    text = decoded(query)
    if "service" not in text.casefold():
        return None
    if len(text) > SERVICE_CHECK_MAX_CHARS:
        raise Refused(400, f"a query that mentions SERVICE is checked by a parser that reads at most "
                           f"{SERVICE_CHECK_MAX_CHARS} characters; this one has {len(text)}")
    if RDFLIB_CODEPOINT.search(text):
        raise Refused(400, "a query that mentions SERVICE may not contain escaped code-point escapes (\\u after "
                           "decoding): the SERVICE check cannot read it as the engine does")
    if is_update(query):
        raise Refused(403, "this endpoint is read-only: SPARQL Update is not accepted")
    try:
        algebra = translateQuery(parseQuery(text), base=base)
    except RecursionError:
        raise Refused(400, "a query that mentions SERVICE must be simple enough for the SERVICE check to parse; "
                           "this one nests or chains too deeply") from None
    except Exception as error:  # noqa: BLE001 - pyparsing and rdflib raise many types; all mean 'not read'
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise Refused(400, f"the query mentions SERVICE but the SERVICE check cannot parse it ({reason[:200]}); "
                           "federated queries must be plain SPARQL 1.1") from None
    targets = service_nodes(algebra.algebra, [])
    return targets or None


def allowed_endpoint(iri: str, allowed) -> bool:
    """True if an endpoint IRI is on the allow-list, or below one of its entries."""
    return any(iri == entry or iri.startswith(entry.rstrip("/") + "/") for entry in allowed)


def check_services(query: str, allowed, base: str) -> bool:
    """Refuse (403) SERVICE calls to endpoints off the allow-list or given by a variable; True if any remain."""
    targets = service_targets(query, base)
    if targets is None:
        return False
    for target in targets:
        if isinstance(target, Variable) or not isinstance(target, URIRef):
            raise Refused(403, f"SERVICE ?{target} refused: the endpoint of a SERVICE call must be an IRI on the "
                               "allow-list (ADEKG_SERVICE_ALLOW), not a variable")
        if not allowed_endpoint(str(target), allowed):
            raise Refused(403, f"SERVICE {target} refused: federated queries go only to endpoints on the "
                               "allow-list (ADEKG_SERVICE_ALLOW)")
    return True


def check_query(query: str, settings: dict, base: str) -> bool:
    """The checks before evaluation, depth first so that no parser recurses too deep; True if it calls SERVICE.

    Updates are recognised (`refusal_of_malformed`) only once the engine has found the text not to be a
    query, which costs ordinary queries nothing.
    """
    check_depth(query, settings.get("ADEKG_MAX_DEPTH", MAX_DEPTH))
    return check_services(query, settings.get("ADEKG_SERVICE_ALLOW", ()), base)


def refusal_of_malformed(query: str, error: SyntaxError) -> Refused:
    """What to answer for a text the engine could not parse as a query: 403 for an update, else 400."""
    if is_update(query):
        return Refused(403, "this endpoint is read-only: SPARQL Update is not accepted")
    return Refused(400, f"malformed query: {syntax_message(query, error)}")


def check_form_encoding(raw: bytes, where: str) -> None:
    """Refuse (400) URL-encoded parameters whose percent-decoded bytes are not UTF-8, naming the parameter."""
    if raw.isascii() and HIGH_ESCAPE.search(raw) is None:
        return
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        for part in (name, value):
            data = unquote_to_bytes(part.replace(b"+", b" "))
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                label = unquote_to_bytes(name).decode("utf-8", "replace")
                raise Refused(400, f"invalid encoding in the {where}, parameter {label!r}: byte "
                                   f"0x{data[error.start]:02X} at offset {error.start} of its percent-decoded value "
                                   "is not UTF-8") from None
