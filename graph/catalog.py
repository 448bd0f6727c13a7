"""The ontology folder's Protégé XML catalog: the local file of each owl:imports IRI (read without rdflib)."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .errors import AdekgError

CATALOG_FILE = "catalog-v001.xml"
CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def read_catalog(folder: Path) -> dict[str, Path]:
    """Map each import IRI of the Protégé catalog to its local file."""
    path = folder / CATALOG_FILE
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise AdekgError(f"cannot read the XML catalog: {error}", file=str(path)) from error
    return {entry.get("name"): (folder / entry.get("uri")).resolve()
            for entry in root.iter(f"{CATALOG_NS}uri")}
