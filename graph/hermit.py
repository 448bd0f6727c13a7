"""HermiT over the ontology and its imports only: classify, realise the terminology individuals, cache the result."""
from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from .content_cache import read_result, write_result
from .errors import AdekgError
from .terms import BASE

ONTOLOGY_FILE = "adekg.owl"
IMPORTS_DIR = "imports"
OWL_THING = "http://www.w3.org/2002/07/owl#Thing"
OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Bump when what is cached, or how it is derived from HermiT's output, changes.
CACHE_FORMAT = 2  # part of the digest (and so of tests/hermit_with_data.json's): an entry of another layout is unreadable, so recomputed
CACHE_KIND = "hermit"  # its files: hermit-<digest>.json in the reasoner cache folder
# Classify the classes and realise the individuals; property hierarchies are not used.
HERMIT_TASKS = ("-c", "-I")
HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
JAVA_MEMORY_MB = 2000
PR_SET_PDEATHSIG = 1
AXIOM_LINE = re.compile(r"^(\w+)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)


class ReasoningError(AdekgError):
    """HermiT finds the ontology inconsistent, or the reasoner cannot run."""


@dataclasses.dataclass(frozen=True)
class Realisation:
    """A type HermiT infers for an individual: the individual, the new class and the asserted classes it had."""

    individual: str
    inferred_class: str
    asserted: tuple[str, ...]
    axiom: str


@dataclasses.dataclass(frozen=True)
class Terminology:
    """HermiT's verdict on the ontology with its imports: consistency, unsatisfiable classes, new individual types."""

    consistent: bool
    unsatisfiable: tuple[str, ...]
    realisations: tuple[Realisation, ...]
    hermit_version: str
    hermit_seconds: float
    message: str = ""
    subsumptions: tuple[tuple[str, str], ...] = ()
    cached: bool = False


def hermit_folder() -> Path:
    """The folder of the HermiT build bundled with owlready2, found without importing owlready2."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or spec.origin is None:
        raise ReasoningError("owlready2 is not installed (pip install -e .)")
    return Path(spec.origin).parent / "hermit"


def ontology_inputs(ontology_dir: Path) -> list[Path]:
    """The files HermiT reads: the release and its import modules."""
    return [ontology_dir / ONTOLOGY_FILE, *sorted((ontology_dir / IMPORTS_DIR).glob("*.owl"))]


def input_digest(ontology_dir: Path) -> str:
    """SHA-256 over everything HermiT's answer depends on: ontology files, owlready2 and HermiT versions, tasks."""
    digest = hashlib.sha256()
    jar = hermit_folder() / "HermiT.jar"
    parts = [f"format {CACHE_FORMAT}", f"owlready2 {importlib.metadata.version('owlready2')}",
             f"HermiT.jar {hashlib.sha256(jar.read_bytes()).hexdigest() if jar.exists() else 'missing'}",
             f"tasks {' '.join(HERMIT_TASKS)}"]
    for part in parts:
        digest.update(part.encode() + b"\0")
    for path in ontology_inputs(ontology_dir):
        try:
            content = path.read_bytes()
        except OSError as error:
            raise ReasoningError(f"cannot read ontology file ({error.strerror})", file=str(path)) from None
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def read_cache(cache_dir: Path, digest: str) -> Terminology | None:
    """A cached result, or None when it is missing or unreadable (then HermiT runs again)."""
    data = read_result(cache_dir, CACHE_KIND, digest)
    try:
        realisations = tuple(Realisation(r["individual"], r["inferred_class"], tuple(r["asserted"]), r["axiom"])
                             for r in data["realisations"])
        return Terminology(data["consistent"], tuple(data["unsatisfiable"]), realisations, data["hermit_version"],
                           data["hermit_seconds"], data["message"],
                           tuple((sub, sup) for sub, sup in data["subsumptions"]), cached=True)
    except (ValueError, KeyError, TypeError):
        return None


def write_cache(cache_dir: Path, digest: str, result: Terminology) -> None:
    """Keep a result (atomically, as every cached build step: graph/content_cache.py)."""
    data = dataclasses.asdict(result)
    data.pop("cached")
    write_result(cache_dir, CACHE_KIND, digest, data)


def classify(ontology_dir: Path, cache_dir: Path | None = None,
             tick: Callable[[float], None] | None = None) -> Terminology:
    """HermiT's result over the ontology and its imports, from the cache when the inputs did not change."""
    digest = input_digest(ontology_dir)
    if cache_dir is not None:
        cached = read_cache(cache_dir, digest)
        if cached is not None:
            return cached
    result = run_terminology(ontology_dir, tick)
    if cache_dir is not None:
        write_cache(cache_dir, digest, result)
    return result


def run_terminology(ontology_dir: Path, tick: Callable[[float], None] | None = None) -> Terminology:
    """Load the ontology with owlready2 (imports resolved locally), run HermiT on it, realise its individuals."""
    import owlready2

    world, _ = load_ontology_world(ontology_dir)
    with tempfile.TemporaryDirectory() as folder:
        merged = Path(folder) / "ontology.nt"
        with open(merged, "wb") as handle:
            world.save(handle, format="ntriples", filter=lambda graph, s, p, o, d: p != owlready2.owl_imports)
        started = time.perf_counter()
        consistent, output = run_hermit(merged, tick)
        seconds = time.perf_counter() - started
        asserted = asserted_types(merged.read_text(encoding="utf-8"))
    version = hermit_version()
    if not consistent:
        return Terminology(False, (), (), version, seconds, output)
    subclasses, types, unsatisfiable = parse_output(output)
    realisations = new_types(types, asserted, subclasses, lambda cls: axiom_text(world, cls))
    subsumptions = tuple(sorted((sub, sup) for sub, sups in subclasses.items() for sup in sups
                                if sup not in (OWL_THING, OWL_NOTHING)))
    return Terminology(True, tuple(sorted(unsatisfiable)), tuple(realisations), version, seconds, "", subsumptions)


def load_ontology_world(ontology_dir: Path):
    """A fresh owlready2 world holding adekg.owl, its imports resolved from ontology/imports/."""
    import owlready2

    world = owlready2.World()
    imports_dir = str((ontology_dir / IMPORTS_DIR).resolve())
    if imports_dir not in owlready2.onto_path:
        owlready2.onto_path.insert(0, imports_dir)
    return world, world.get_ontology((ontology_dir / ONTOLOGY_FILE).resolve().as_uri()).load()


def die_with_parent(parent: int) -> Callable[[], None]:
    """A preexec_fn making the child get SIGKILL when its parent dies (Linux), so no java outlives a build."""
    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    return arm


def java_command(ontology_file: Path) -> list[str]:
    """The HermiT command line owlready2 runs, restricted to the tasks used here."""
    import owlready2
    classpath = os.pathsep.join([str(hermit_folder()), str(hermit_folder() / "HermiT.jar")])
    return [owlready2.JAVA_EXE, f"-Xmx{JAVA_MEMORY_MB}M", "-cp", classpath, HERMIT_MAIN, *HERMIT_TASKS,
            ontology_file.resolve().as_uri()]


def run_hermit(ontology_file: Path, tick: Callable[[float], None] | None = None) -> tuple[bool, str]:
    """Run HermiT in a child that dies with this process; return (consistent, its output or the reason)."""
    started = time.perf_counter()
    try:
        process = subprocess.Popen(java_command(ontology_file), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=die_with_parent(os.getpid()))
    except OSError as error:
        raise ReasoningError(f"cannot start java for HermiT ({error.strerror}); install a JRE 11+") from None
    with process:
        while True:
            try:
                output, _ = process.communicate(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                if tick is not None:
                    tick(time.perf_counter() - started)
            except BaseException:
                process.kill()
                raise
    text = output.decode("utf-8", "replace").replace("\r", "")
    if process.returncode == 0:
        return True, text
    if "Inconsistent ontology" in text or "InconsistentOntologyException" in text:
        return False, "the ontology and its imports are inconsistent"
    lines = [line for line in text.splitlines() if line.strip()]
    raise ReasoningError(f"HermiT failed (exit {process.returncode}): {lines[-1] if lines else 'no output'}")


def parse_output(output: str) -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """HermiT's direct superclasses per class, direct types per individual, and the unsatisfiable classes."""
    superclasses: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    unsatisfiable: set[str] = set()
    for relation, operands in AXIOM_LINE.findall(output):
        iris = re.findall(r"<([^>]+)>", operands)
        if relation == "SubClassOf" and len(iris) == 2:
            if iris[1] == OWL_NOTHING:
                unsatisfiable.add(iris[0])
            superclasses.setdefault(iris[0], set()).add(iris[1])
        elif relation == "EquivalentClasses":
            if OWL_NOTHING in iris:
                unsatisfiable.update(iri for iri in iris if not iri.startswith("http://www.w3.org/2002/07/owl#"))
            for iri in iris:
                superclasses.setdefault(iri, set()).update(other for other in iris if other != iri)
        elif relation == "Type" and len(iris) == 2:
            types.setdefault(iris[0], set()).add(iris[1])
    return superclasses, types, unsatisfiable


def asserted_types(ntriples: str) -> dict[str, set[str]]:
    """The named classes each individual is asserted to belong to (rdf:type with an IRI object)."""
    asserted: dict[str, set[str]] = {}
    pattern = re.compile(rf"^<([^>]+)> <{re.escape(RDF_TYPE)}> <([^>]+)> \.$", re.MULTILINE)
    for subject, cls in pattern.findall(ntriples):
        if not cls.startswith("http://www.w3.org/2002/07/owl#"):
            asserted.setdefault(subject, set()).add(cls)
    return asserted


def ancestors(cls: str, superclasses: dict[str, set[str]]) -> set[str]:
    """Every class above cls (and every class equivalent to it) in HermiT's classification."""
    seen, todo = set(), [cls]
    while todo:
        for parent in superclasses.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def new_types(types: dict[str, set[str]], asserted: dict[str, set[str]], superclasses: dict[str, set[str]],
              axiom: Callable[[str], str]) -> list[Realisation]:
    """The direct types of adekg individuals that neither are asserted nor follow from an asserted class."""
    found = []
    for individual, direct in types.items():
        if not individual.startswith(BASE):
            continue
        own = asserted.get(individual, set())
        implied = set(own).union(*(ancestors(cls, superclasses) for cls in own))
        for cls in sorted(direct - implied - {OWL_THING}):
            found.append(Realisation(individual, cls, tuple(sorted(own)), axiom(cls)))
    return sorted(found, key=lambda r: (r.individual, r.inferred_class))


def axiom_text(world, cls: str) -> str:
    """The OWL definition that makes an individual a member of cls, as owlready2 writes it."""
    entity = world[cls]
    definitions = getattr(entity, "equivalent_to", []) if entity is not None else []
    return "; ".join(f"{cls} EquivalentTo {definition}" for definition in definitions) or f"{cls} (subclass axioms)"


def hermit_version() -> str:
    """The version of the HermiT jar bundled with owlready2 (from its manifest, else owlready2's version)."""
    import zipfile
    try:
        with zipfile.ZipFile(hermit_folder() / "HermiT.jar") as archive:
            manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
        for line in manifest.splitlines():
            if line.lower().startswith(("implementation-version", "bundle-version")):
                return line.split(":", 1)[1].strip()
    except (OSError, KeyError, zipfile.BadZipFile):
        pass
    return f"bundled with owlready2 {importlib.metadata.version('owlready2')}"
