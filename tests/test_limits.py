"""The row cap on SELECT queries: lexical LIMIT rewriting, checked by running the rewritten queries."""
from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from server.limits import cap_rows

EX = "http://example.org/"
PREFIXES = f"PREFIX ex: <{EX}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
ITEMS = 24


@pytest.fixture(scope="module")
def store() -> Store:
    """Twenty-four items, each with an integer value, a group of three and a label: 72 triples."""
    store = Store()
    label = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for i in range(ITEMS):
        item = NamedNode(f"{EX}item{i:02d}")
        store.add(Quad(item, NamedNode(f"{EX}value"), Literal(i)))
        store.add(Quad(item, NamedNode(f"{EX}group"), Literal(f"g{i % 3}")))
        store.add(Quad(item, label, Literal(f"item {i}")))
    return store


def rows(store: Store, query: str) -> list[tuple]:
    """The solutions of a SELECT query as tuples of terms."""
    return [tuple(solution) for solution in store.query(query)]


def check(store: Store, query: str, cap: int, expected: str, changed: bool) -> None:
    """cap_rows gives exactly expected and changed, and expected runs in pyoxigraph."""
    assert cap_rows(query, cap) == (expected, changed)
    store.query(expected)


# (query, whether ORDER BY fixes the order of every row)
RUN = [
    (PREFIXES + "SELECT ?s ?v { ?s ex:value ?v } ORDER BY ?v", True),
    (PREFIXES + "SELECT ?s ?v { ?s ex:value ?v } ORDER BY DESC(?v) LIMIT 20 OFFSET 3", True),
    (PREFIXES + "SELECT ?s ?v { ?s ex:value ?v } ORDER BY ?v OFFSET 2 LIMIT 30", True),
    (PREFIXES + "SELECT ?s ?v { ?s ex:value ?v } ORDER BY ?v OFFSET 4", True),
    ("SELECT * { ?s ?p ?o }", False),
    (PREFIXES + 'SELECT ?s ?v { ?s ex:value ?v ; ex:group ?g } ORDER BY ?v VALUES ?g { "g0" "g2" }', True),
    (PREFIXES + "SELECT ?s ?v { { SELECT ?s ?v { ?s ex:value ?v } ORDER BY DESC(?v) LIMIT 12 } } ORDER BY ?v",
     True),
    (PREFIXES + "SELECT ?v (COUNT(*) AS ?n) { ?s ex:value ?v ; ex:group ?g } GROUP BY ?v HAVING (COUNT(?g) > 0)"
     " ORDER BY DESC(?v)", True),
    (PREFIXES + "SELECT ?s (EXISTS { ?s ex:group \"g1\" } AS ?in) { ?s ex:value ?v } ORDER BY ?v", True),
    (PREFIXES + "SELECT ?a ?b { ?x ex:value ?a . ?y ex:value ?b FILTER(?a < ?b && ?b<?a + 3) } ORDER BY ?a ?b",
     True),
    ("prefix ex: <http://example.org/> base <http://example.org/>\n"
     "select ?s ?v where { ?s <value> ?v } order by desc(?v) # no limit here", True),
]


@pytest.mark.parametrize("query, ordered", RUN)
@pytest.mark.parametrize("cap", [1, 2, 5])
def test_rewritten_query_returns_the_first_rows(store, query, ordered, cap):
    full = rows(store, query)
    assert len(full) > cap
    capped, changed = cap_rows(query, cap)
    assert changed
    answers = rows(store, capped)
    assert len(answers) == cap
    if ordered:
        assert answers == full[:cap]
    else:
        assert set(answers) <= set(full)


@pytest.mark.parametrize("query, _", RUN)
def test_a_cap_above_the_result_changes_nothing_in_the_answers(store, query, _):
    capped, _changed = cap_rows(query, 1000)
    assert rows(store, capped) == rows(store, query)


ALL = "SELECT * { ?s ?p ?o }"
VALUE = "<http://example.org/value>"


@pytest.mark.parametrize("query, expected, changed", [
    pytest.param(ALL, ALL + " LIMIT 10", True, id="no LIMIT gets one"),
    pytest.param(ALL + " LIMIT 500", ALL + " LIMIT 10", True, id="LIMIT above the cap is lowered"),
    *[pytest.param(f"{ALL} LIMIT {limit}", f"{ALL} LIMIT {limit}", False, id=f"LIMIT {limit} is kept")
      for limit in ("0", "3", "10", "010")],
    pytest.param(ALL + " LIMIT 50 OFFSET 7", ALL + " LIMIT 10 OFFSET 7", True, id="LIMIT before OFFSET"),
    pytest.param(ALL + " OFFSET 7 LIMIT 50", ALL + " OFFSET 7 LIMIT 10", True, id="OFFSET before LIMIT"),
    pytest.param(ALL + "\nOFFSET 7\n", ALL + "\nOFFSET 7 LIMIT 10\n", True, id="OFFSET without LIMIT"),
    pytest.param(f"{ALL} ORDER BY ?s\nVALUES ?p {{ {VALUE} }}", f"{ALL} ORDER BY ?s LIMIT 10\nVALUES ?p {{ {VALUE} }}",
                 True, id="before a trailing VALUES block"),
    pytest.param(ALL + " VALUES (?p ?o) { (UNDEF 1) }", ALL + " LIMIT 10 VALUES (?p ?o) { (UNDEF 1) }", True,
                 id="before a trailing VALUES block of several variables"),
    pytest.param(ALL + " LIMIT 99 VALUES ?o { 1 2 }", ALL + " LIMIT 10 VALUES ?o { 1 2 }", True,
                 id="LIMIT before a trailing VALUES block is lowered"),
    pytest.param("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 500 } }",
                 "SELECT * { { SELECT * { ?s ?p ?o } LIMIT 500 } } LIMIT 10", True, id="subquery LIMIT left alone"),
    pytest.param("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 500 } } LIMIT 5",
                 "SELECT * { { SELECT * { ?s ?p ?o } LIMIT 500 } } LIMIT 5", False, id="outer LIMIT within the cap"),
])
def test_limit_rewrites(store, query, expected, changed):
    check(store, query, 10, expected, changed)


def test_words_and_braces_inside_strings_comments_and_iris_are_ignored(store):
    body = (PREFIXES + "SELECT ?s ?label # VALUES { LIMIT 1 }\n"
            "WHERE { ?s rdfs:label ?label\n"
            '  FILTER(?label != "LIMIT 2 } VALUES {" && ?label != \'x } { # \' && ?label != "say \\"LIMIT 3 }\\""\n'
            '         && ?label != """multi "quoted" line\nLIMIT 4 }""" && ?label != \'\'\'it\'s { LIMIT 5\'\'\')\n'
            "  FILTER(?s != <http://example.org/LIMIT/%7B/VALUES#x> && ?s != <http://example.org/\\u0041#LIMIT>) }\n"
            "ORDER BY ?label")
    check(store, body + " # LIMIT 6 }", 10, body + " LIMIT 10 # LIMIT 6 }", True)
    check(store, body + " LIMIT 20 # LIMIT 6 }", 10, body + " LIMIT 10 # LIMIT 6 }", True)
    assert len(rows(store, body + " LIMIT 10 # LIMIT 6 }")) == 10


def test_variables_and_prefixed_names_are_not_keywords(store):
    query = ("PREFIX limit: <http://example.org/> PREFIX LIMIT: <http://www.w3.org/2001/XMLSchema#>\n"
             "SELECT ?limit $values ?offset { ?limit limit:value $values ; limit:group ?offset }\n"
             "GROUP BY ?limit $values ?offset ORDER BY ?offset LIMIT:string(?limit) $values")
    check(store, query, 10, query + " LIMIT 10", True)


def test_exists_in_the_projection_is_not_the_where_group(store):
    query = PREFIXES + ("SELECT ?s (EXISTS { ?s ex:value 1 } AS ?one) (NOT EXISTS { ?s ex:group 'g1' } AS ?no)"
                        " { ?s ex:value ?v }")
    check(store, query, 10, query + " LIMIT 10", True)


@pytest.mark.parametrize("filter_", ["?a < ?b", "?a<?b", "?a < ?b && ?b > ?a", "?a<?b&&?b>?a", "(?a<?b)"])
def test_less_than_is_not_an_iri(store, filter_):
    query = f"SELECT ?a ?b {{ ?x ?p ?a . ?y ?p ?b FILTER({filter_}) }} ORDER BY ?a"
    check(store, query, 10, query + " LIMIT 10", True)
    query = f"SELECT ?a ?b (?a < ?b AS ?lt) {{ ?x ?p ?a . ?y ?p ?b }} ORDER BY ({filter_}) LIMIT 11"
    check(store, query, 10, query[:-2] + "10", True)


def test_lower_case_keywords(store):
    check(store, "select * where { ?s ?p ?o } order by ?s limit 50 offset 1", 10,
          "select * where { ?s ?p ?o } order by ?s limit 10 offset 1", True)
    check(store, "select distinct ?s { ?s ?p ?o } values ?p { <http://example.org/value> }", 10,
          "select distinct ?s { ?s ?p ?o } LIMIT 10 values ?p { <http://example.org/value> }", True)


def test_prologue_with_prefix_base_version_and_comments(store):
    query = ('# a comment { LIMIT 1 }\nVERSION "1.2"\nBASE <http://example.org/>\nprefix : <http://example.org/>\n'
             'PREFIX ex:<http://example.org/LIMIT#VALUES> # SELECT * { } LIMIT 2\n'
             "SELECT * FROM <data> FROM NAMED <other> WHERE { ?s :value ?v }")
    check(store, query, 10, query + " LIMIT 10", True)


@pytest.mark.parametrize("query", [
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * { ?s ?p ?o } } }",
    "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 500",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
    "DESCRIBE <http://example.org/item01>",
    PREFIXES + "# SELECT * { }\nASK { ?s ex:value ?v }",
])
def test_other_query_forms_are_untouched(store, query):
    check(store, query, 10, query, False)


@pytest.mark.parametrize("query", [
    "SELECT * { ?s ?p ?o",
    "SELECT * { ?s ?p ?o } }",
    "SELECT * ?s ?p ?o",
    "SELECT (EXISTS { ?s ?p ?o } AS ?e { }",
    'SELECT * { ?s ?p "unterminated }',
    "SELECT * { ?s ?p ?o } LIMIT",
    "SELECT * { ?s ?p ?o } LIMIT ten",
    "SELECT * { ?s ?p ?o } LIMIT 1 LIMIT 2",
    "SELECT * { ?s ?p ?o } ORDER BY ?s GROUP BY ?s",
    "SELECT * { ?s ?p ?o } ORDER ?s",
    "SELECT * { ?s ?p ?o } VALUES ?s { <http://example.org/x> } LIMIT 20",
    "SELECT * { ?s ?p ?o } LIMIT 5 junk",
    "SELECT * { ?s ?p ?o } LIMIT 99999999999999999999999",  # over 2^64 - 1: pyoxigraph's error, not a cap
    "SELECT * { ?s ?p ?o } { }",
    "SELECT * { ?s ?p ?o } ORDER BY (?s",
    "PREFIX ex <http://example.org/> SELECT * { }",
    "SELEC * { ?s ?p ?o }",
    "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
    "",
])
def test_malformed_queries_come_back_unchanged(store, query):
    assert cap_rows(query, 10) == (query, False)
    with pytest.raises(SyntaxError):
        store.query(query)


@pytest.mark.parametrize("tail, expected", [
    ("GROUP BY ?g", "GROUP BY ?g LIMIT 2"),
    ("GROUP BY ?g HAVING (COUNT(*) > 1)", "GROUP BY ?g HAVING (COUNT(*) > 1) LIMIT 2"),
    ("GROUP BY ?g HAVING (COUNT(*) > 1) ORDER BY DESC(?n) ?g",
     "GROUP BY ?g HAVING (COUNT(*) > 1) ORDER BY DESC(?n) ?g LIMIT 2"),
    ("GROUP BY (STR(?g) AS ?k) ?g ORDER BY ?k LIMIT 3", "GROUP BY (STR(?g) AS ?k) ?g ORDER BY ?k LIMIT 2"),
    ("GROUP BY ?g ORDER BY ?g OFFSET 1", "GROUP BY ?g ORDER BY ?g OFFSET 1 LIMIT 2"),
    ("group by ?g having(count(*)>1)order by(?g)limit 9", "group by ?g having(count(*)>1)order by(?g)limit 2"),
])
def test_group_having_order_tails(store, tail, expected):
    head = PREFIXES + "SELECT ?g (COUNT(*) AS ?n) { ?s ex:group ?g } "
    check(store, head + tail, 2, head + expected, True)
    assert len(rows(store, head + expected)) == 2


def test_no_cap(store):
    query = "SELECT * { ?s ?p ?o }"
    assert cap_rows(query, 0) == (query, False)
    assert cap_rows(query, -1) == (query, False)
