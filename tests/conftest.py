"""Shared fixtures: a store built once from the project's seeds, and scratch copies of the inputs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graph.build import Progress, build
from graph.store import open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
ONTOLOGY = ROOT / "ontology"
DOCUMENTS = ("000", "001", "002")


@pytest.fixture(scope="session", autouse=True)
def reasoner_cache(pytestconfig, tmp_path_factory) -> Path:
    """One HermiT cache for the whole suite (kept in pytest's cache folder between runs), also for subprocesses.

    HermiT's verdict depends only on the ontology files and the HermiT build, so the suite starts Java for
    reasoning at most once, and not at all when the ontology did not change since the last run.
    """
    cache = getattr(pytestconfig, "cache", None)
    folder = Path(cache.mkdir("adekg-reasoner")) if cache is not None else tmp_path_factory.mktemp("reasoner")
    previous = os.environ.get("ADEKG_REASONER_CACHE")
    os.environ["ADEKG_REASONER_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("ADEKG_REASONER_CACHE", None)
    else:
        os.environ["ADEKG_REASONER_CACHE"] = previous


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, reasoner_cache) -> Path:
    """The project's seeds built once into a temporary store."""
    store_path = tmp_path_factory.mktemp("built") / "store"
    build(store_path, SEEDS, ONTOLOGY, Progress(0), reasoner_cache=reasoner_cache)
    return store_path


@pytest.fixture(scope="session")
def store(built_store):
    """The built store, opened read-only."""
    return open_store(built_store)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A scratch copy of seeds/ that a test may break."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def record_path(seeds_dir: Path, document: str) -> Path:
    """The YAML record of a document in a seeds folder."""
    return next(seeds_dir.glob(f"{document}_*.yaml"))


def edit_record(seeds_dir: Path, document: str, change) -> Path:
    """Load a record, apply change(data) and write it back."""
    path = record_path(seeds_dir, document)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def adekg(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the adekg command line in a subprocess."""
    result = subprocess.run([sys.executable, "-m", "graph.cli", *args], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"adekg {' '.join(args)} failed: {result.stderr}")
    return result


def select(store, query: str) -> list[dict[str, str]]:
    """Run a SELECT over the union graph and return rows of plain values."""
    from graph.store import run_query
    results = run_query(store, query)
    names = [variable.value for variable in results.variables]
    return [{name: (row[name].value if row[name] is not None else None) for name in names} for row in results]
