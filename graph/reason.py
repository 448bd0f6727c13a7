"""OWL reasoning with HermiT (through owlready2): consistency of the ontology with the built data."""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

ONTOLOGY_FILE = "adekg.owl"
IMPORTS_DIR = "imports"


@dataclasses.dataclass(frozen=True)
class ConsistencyResult:
    """What HermiT said: whether the whole is consistent and which classes are unsatisfiable."""

    consistent: bool
    unsatisfiable: list[str]
    message: str = ""


def check_consistency(ontology_dir: Path, data_ntriples: bytes | None = None) -> ConsistencyResult:
    """Run HermiT over the ontology, its imports (resolved locally) and optional N-Triples data."""
    import owlready2

    world = owlready2.World()
    imports_dir = str((ontology_dir / IMPORTS_DIR).resolve())
    if imports_dir not in owlready2.onto_path:
        owlready2.onto_path.insert(0, imports_dir)
    ontology = world.get_ontology((ontology_dir / ONTOLOGY_FILE).resolve().as_uri()).load()
    with tempfile.TemporaryDirectory() as folder:
        if data_ntriples:
            data_file = Path(folder) / "data.nt"
            data_file.write_bytes(data_ntriples)
            data = world.get_ontology(data_file.as_uri()).load(format="ntriples")
            ontology.imported_ontologies.append(data)
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            return ConsistencyResult(False, [], str(error).splitlines()[0] if str(error) else "inconsistent")
    unsatisfiable = sorted(cls.iri for cls in world.inconsistent_classes())
    return ConsistencyResult(True, unsatisfiable)
