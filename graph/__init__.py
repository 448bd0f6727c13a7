"""Build stages of adekg: load records -> check quotes -> map to RDF -> validate -> write store."""

__version__ = "0.1.0"
