"""What the checks and SHACL read of the ontology, derived once per ontology content and kept in the cache folder."""
from __future__ import annotations

import dataclasses
import importlib.metadata
from pathlib import Path

from typing import TYPE_CHECKING

from .catalog import CATALOG_FILE, read_catalog
from .content_cache import content_digest, read_result, source_of, write_result

if TYPE_CHECKING:  # loaded only to derive the facts: a build that finds them cached does without rdflib
    import rdflib

KIND = "ontology-facts"
ONTOLOGY_FILE = "adekg.owl"
# The modules whose code derives the facts (part of the key).
DERIVING_MODULES = ("graph.content_cache", "graph.catalog", "graph.ontology", "graph.terms", "graph.units",
                    "graph.validate", __name__)


@dataclasses.dataclass(frozen=True)
class OntologyFacts:
    """The ontology's size, declared terms, lab-test quantity kinds and class memberships (all SHACL reads of it)."""

    triples: int
    declared: frozenset[str]
    test_kinds: dict[str, str | None]
    memberships: tuple[tuple[str, str, str], ...]
    digest: str | None = None

    def membership_graph(self) -> rdflib.Graph:
        """The class memberships as an rdflib graph (for pySHACL's ont_graph)."""
        import rdflib

        graph = rdflib.Graph()
        for subject, predicate, value in self.memberships:
            graph.add((rdflib.URIRef(subject), rdflib.URIRef(predicate), rdflib.URIRef(value)))
        return graph


def ontology_inputs(folder: Path) -> list[bytes | str]:
    """Everything ontology.load_ontology_graph reads: adekg.owl, the catalog and each file the catalog names."""
    parts: list[bytes | str] = []
    for path in (folder / ONTOLOGY_FILE, folder / CATALOG_FILE):
        parts += [path.name, path.read_bytes()]
    for iri, path in sorted(read_catalog(folder).items()):
        parts += [iri, path.read_bytes() if path.is_file() else b"(missing)"]
    return parts


def facts_digest(folder: Path) -> str | None:
    """The cache key of a folder's facts: its files, rdflib's version and the deriving code; None if unreadable."""
    try:
        inputs = ontology_inputs(folder)
    except Exception:  # an unreadable ontology is reported by the real load, with its own message
        return None
    return content_digest([KIND, f"rdflib {importlib.metadata.version('rdflib')}",
                           *source_of(*DERIVING_MODULES), *inputs])


def derive_facts(graph: rdflib.Graph, digest: str | None = None) -> OntologyFacts:
    """The facts of a parsed ontology graph."""
    from .ontology import declared_terms
    from .units import declared_test_kinds
    from .validate import class_memberships

    memberships = tuple(sorted((str(s), str(p), str(o)) for s, p, o in class_memberships(graph)))
    return OntologyFacts(len(graph), frozenset(declared_terms(graph)), declared_test_kinds(graph), memberships, digest)


def ontology_facts(folder: Path, cache_dir: Path | None = None) -> OntologyFacts:
    """The facts of the ontology in a folder, read from the cache when its files did not change."""
    digest = facts_digest(folder) if cache_dir is not None else None
    if digest is not None:
        try:
            kept = read_result(cache_dir, KIND, digest)
            if kept is not None:
                return OntologyFacts(kept["triples"], frozenset(kept["declared"]), kept["test_kinds"],
                                     tuple(tuple(triple) for triple in kept["memberships"]), digest)
        except (KeyError, TypeError):  # a damaged entry is derived again (and rewritten)
            pass
    from .ontology import load_ontology_graph

    facts = derive_facts(load_ontology_graph(folder), digest)
    if digest is not None:
        write_result(cache_dir, KIND, digest, {"triples": facts.triples, "declared": sorted(facts.declared),
                                               "test_kinds": facts.test_kinds,
                                               "memberships": [list(triple) for triple in facts.memberships]})
    return facts
