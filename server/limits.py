"""Cap the rows of a SELECT query by rewriting its top-level LIMIT before evaluation."""
from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from typing import NamedTuple

__all__ = ["cap_rows"]

# Scanned left to right so that whichever of these starts first hides the others' delimiters
# (a '#' inside an IRI, a '"' inside a comment, ...). An IRIREF has no spaces, so '?a < ?b' stays.
LEXICAL = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|#[^\n\r]*'
                     r'|<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>'
                     r'|(?P<escape>\\[_~.\-!$&\'()*+,;=/?#@%])')
# The PREFIX/BASE declarations and comments before the query form, read on the raw text: blanking the
# IRIs of a long prologue one by one cost ~12 us per request. It may stop early; blank_out handles the rest.
# Spelled-out cases, since re.IGNORECASE makes this match several times slower.
RAW_PROLOGUE = re.compile(r'(?:\s+|#[^\n\r]*|(?:[Pp][Rr][Ee][Ff][Ii][Xx]\s*[\w.\-]*:\s*|[Bb][Aa][Ss][Ee]\s*)'
                          r'<[^<>"{}|^`\\\x00-\x20]*>)*')
PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s*[\w.\-]*:|BASE|VERSION)\s*)*SELECT(?![\w:.\-])", re.IGNORECASE)
BRACKET = re.compile(r"[(){}]")
# A variable, prefixed name, keyword or number is one run, so '?limit' and 'ex:LIMIT' are never the keyword.
TOKEN = re.compile(r"[?$]?[\w.:%\-\u00B7\u0300-\u036F\u203F\u2040]+|\S")
NESTING = {"(": 1, "{": 1, ")": -1, "}": -1}
# The grammar's order of solution modifiers; LIMIT and OFFSET may come either way round.
CLAUSES = {"GROUP": 0, "HAVING": 1, "ORDER": 2, "LIMIT": 3, "OFFSET": 3, "VALUES": 4}
INTEGER = re.compile(r"[0-9]+")
LARGEST_LIMIT = 2**64 - 1  # pyoxigraph refuses a larger LIMIT as a syntax error; leave that error to it
CACHE_BYTES = 4 * 2**20  # memory the rewrite cache of one process may hold (query texts and their rewrites)


class Clause(NamedTuple):
    """One solution modifier (or the trailing VALUES) of the tail: its keyword and the tokens after it."""

    keyword: str
    tokens: list[re.Match]


def blank_out(query: str) -> str:
    """The query with strings, IRIs and comments replaced by spaces of the same length."""
    def blank(match: re.Match) -> str:
        # A local-name escape such as ex:a\'b stays part of its name, so it becomes name characters.
        return "__" if match.group("escape") else " " * len(match.group())
    return LEXICAL.sub(blank, query)


def select_start(blank: str, start: int = 0) -> int | None:
    """The offset just after a top-level SELECT keyword (looking from start), or None for any other form of query."""
    match = PROLOGUE.match(blank, start)
    return match.end() if match else None


def where_group_end(blank: str, start: int) -> int | None:
    """The offset just after the '}' closing the main WHERE group that follows start, or None."""
    parens = braces = 0
    opened = False
    for match in BRACKET.finditer(blank, start):
        char = match.group()
        if char in "()":
            # Only the projection's parentheses matter: EXISTS { } there is not the WHERE group.
            parens += 0 if opened else NESTING[char]
        elif char == "{":
            opened = opened or parens == braces == 0
            braces += 1
        else:
            braces -= 1
        if parens < 0 or braces < 0:
            return None
        if opened and braces == 0:
            return match.end()
    return None


def modifier_clauses(blank: str, start: int) -> list[Clause] | None:
    """The tail after the WHERE group split into clauses, or None if it does not follow the grammar."""
    clauses: list[Clause] = []
    depth = 0
    for token in TOKEN.finditer(blank, start):
        keyword = token.group().upper()
        if depth == 0 and keyword in CLAUSES and not (clauses and clauses[-1].keyword == "VALUES"):
            clauses.append(Clause(keyword, []))
            continue
        depth += NESTING.get(token.group(), 0)
        if not clauses or depth < 0:
            return None
        clauses[-1].tokens.append(token)
    return clauses if depth == 0 and well_formed(clauses) else None


def well_formed(clauses: list[Clause]) -> bool:
    """True if the clauses come in the grammar's order, once each, with plausible contents."""
    keywords = [clause.keyword for clause in clauses]
    ranks = [CLAUSES[keyword] for keyword in keywords]
    if ranks != sorted(ranks) or len(set(keywords)) != len(keywords):
        return False
    for keyword, tokens in clauses:
        texts = [token.group() for token in tokens]
        if keyword in ("GROUP", "ORDER") and (len(texts) < 2 or texts[0].upper() != "BY"):
            return False
        if keyword in ("LIMIT", "OFFSET") and (len(texts) != 1 or not INTEGER.fullmatch(texts[0])):
            return False
        if keyword == "HAVING" and not texts or keyword == "VALUES" and texts[-1:] != ["}"]:
            return False
    return True


class TextCache:
    """A least-recently-used map from (text, number) to (text, flag), bounded by the memory of its texts."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size = max_bytes, 0
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def cost(key: tuple, value: tuple) -> int:
        """The bytes an entry holds: its query text, and the rewritten text if that is another string."""
        return sys.getsizeof(key[0]) + (0 if value[0] is key[0] else sys.getsizeof(value[0]))

    def get(self, key: tuple):
        """The value for key (now the most recently used), or None."""
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: tuple, value: tuple) -> None:
        """Keep an entry unless it alone would take more than an eighth of the budget; drop the oldest past it."""
        cost = self.cost(key, value)
        if cost > self.max_bytes // 8:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = value
            self.size += cost
            while self.size > self.max_bytes:
                old_key, old_value = self.entries.popitem(last=False)
                self.size -= self.cost(old_key, old_value)


REWRITES = TextCache(CACHE_BYTES)  # ~12 us per query with a long prologue saved; repeated queries are common


def cap_rows(query: str, max_rows: int) -> tuple[str, bool]:
    """The query to evaluate with at most max_rows SELECT results, and whether its LIMIT was lowered or added."""
    if max_rows <= 0:
        return query, False
    key = (query, max_rows)
    cached = REWRITES.get(key)
    if cached is None:
        cached = rewrite_limit(query, max_rows)
        REWRITES.put(key, cached)
    return cached


def rewrite_limit(query: str, max_rows: int) -> tuple[str, bool]:
    """cap_rows without the cache."""
    skip = RAW_PROLOGUE.match(query).end()
    blank = " " * skip + blank_out(query[skip:])
    if '"' in blank or "'" in blank:  # an unterminated string: leave the error to the engine
        return query, False
    start = select_start(blank, skip)
    group_end = where_group_end(blank, start) if start is not None else None
    clauses = modifier_clauses(blank, group_end) if group_end is not None else None
    if clauses is None:
        return query, False
    for keyword, tokens in clauses:
        if keyword == "LIMIT":
            number = tokens[0]
            if int(number.group()) <= max_rows or int(number.group()) > LARGEST_LIMIT:
                return query, False
            return query[:number.start()] + str(max_rows) + query[number.end():], True
    # After the last modifier, so that neither a trailing comment nor the VALUES block swallows the LIMIT.
    at = max([group_end] + [clause.tokens[-1].end() for clause in clauses if clause.keyword != "VALUES"])
    return query[:at] + f" LIMIT {max_rows}" + query[at:], True
