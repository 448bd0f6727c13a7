"""ORDER BY over xsd:dateTime values with and without a time zone panics in pyoxigraph 0.5.13 (SIGABRT).

Run: python pyoxigraph_order_by_panic.py  (needs only `pip install pyoxigraph==0.5.13`).
Expected: 21 rows in some order. Actual: the process aborts with
"user-provided comparison function does not correctly implement a total order".
"""
import pyoxigraph

# Found by shrinking random dateTimes; 21 values (Rust's sort checks the order from 21 elements on).
VALUES = ["2020-01-03T21:00:00Z", "2020-01-02T02:00:00-14:00", "2020-01-02T17:00:00+14:00", "2020-01-03T14:00:00-14:00",
          "2020-01-01T12:00:00+14:00", "2020-01-01T08:00:00-14:00", "2020-01-01T20:00:00-14:00", "2020-01-03T00:00:00",
          "2020-01-03T11:00:00Z", "2020-01-01T16:00:00+14:00", "2020-01-01T16:00:00Z", "2020-01-02T09:00:00+14:00",
          "2020-01-03T11:00:00Z", "2020-01-03T22:00:00-14:00", "2020-01-03T02:00:00", "2020-01-03T23:00:00",
          "2020-01-03T02:00:00+14:00", "2020-01-03T03:00:00+14:00", "2020-01-03T02:00:00Z", "2020-01-03T21:00:00",
          "2020-01-02T07:00:00-14:00"]
QUERY = ("SELECT ?o WHERE { VALUES ?o { "
         + " ".join(f'"{value}"^^<http://www.w3.org/2001/XMLSchema#dateTime>' for value in VALUES)
         + " } } ORDER BY ?o")

if __name__ == "__main__":
    print(pyoxigraph.__version__, len(list(pyoxigraph.Store().query(QUERY))))
