"""Shared fixtures: stores built once per test run from the project's seeds, and scratch copies of the inputs."""
from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from graph.build import Progress, build
from graph.hermit import Terminology, classify
from graph.store import open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
ONTOLOGY = ROOT / "ontology"
DOCUMENTS = ("000", "001", "002")
# The test files that take longest in a full run, longest first (measured 2026-11-30 after the slow-reader and
# planted-signal tests were made quicker: CPU per file, plus the waits of the live-server files).
# pytest-xdist gives each worker a whole file (--dist loadfile) in collection order (--no-loadscope-reorder), so
# starting these first lets the two workers finish together instead of one starting a long file when the other is
# nearly done.
LONGEST_FILES = ("test_doc_examples.py", "test_hardening_live.py", "test_ontology.py", "test_build.py",
                 "test_store.py", "test_hostile_seeds.py", "test_curator_cli.py", "test_virtuoso.py",
                 "test_signals.py", "test_reasoning_batches.py", "test_reasoning_speed.py", "test_query_checks.py",
                 "test_rules.py", "test_linked_data.py", "test_clients_live.py", "test_faers_cli.py",
                 "test_protocol_live.py", "test_export_readable.py", "test_export_query.py", "test_api_schema.py",
                 "test_query_dataset.py", "test_serve_rebuild.py", "test_records.py", "test_pool_union.py",
                 "test_reason.py", "test_front_header_timeout.py", "test_hardening_chains.py", "test_facts.py")


def pytest_collection_modifyitems(config, items) -> None:
    """Run the longest files first (the others keep their order after them)."""
    rank = {name: index for index, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session", autouse=True)
def reasoner_cache(pytestconfig, tmp_path_factory) -> Path:
    """One HermiT cache for the whole suite (kept in pytest's cache folder between runs), also for subprocesses.

    HermiT's verdict depends only on the ontology files and the HermiT build, so the suite starts Java for
    reasoning at most once, and not at all when the ontology did not change since the last run.
    """
    cache = getattr(pytestconfig, "cache", None)
    folder = Path(cache.mkdir("adekg-reasoner")) if cache is not None else \
        once_per_run(tmp_path_factory, "reasoner", lambda folder: None)
    previous = os.environ.get("ADEKG_REASONER_CACHE")
    os.environ["ADEKG_REASONER_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("ADEKG_REASONER_CACHE", None)
    else:
        os.environ["ADEKG_REASONER_CACHE"] = previous


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder `make` fills once per test run, shared by every pytest-xdist worker (whichever comes first makes it).

    Tests only read what it holds; a test that changes a store works on a `store_copy` of it.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by the workers' own ones
    target, done = base / name, base / f"{name}.done"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait here until it is made
        if not done.exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            make(target)
            done.touch()
    return target


def store_copy(store_path: Path, target: Path) -> Path:
    """A private copy of a built store (its generation folders and `current` link) that a test may change."""
    shutil.copytree(store_path, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def hermit_terminology(tmp_path_factory, reasoner_cache) -> Terminology:
    """HermiT's verdict on the ontology, put in the suite's cache once per run (so workers never run Java twice)."""
    once_per_run(tmp_path_factory, "hermit", lambda folder: classify(ONTOLOGY, reasoner_cache))
    return classify(ONTOLOGY, reasoner_cache)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, reasoner_cache, hermit_terminology) -> Path:
    """The project's seeds built with reasoning, once per test run; read-only (copy it with store_copy to change it)."""
    return once_per_run(tmp_path_factory, "built",
                        lambda folder: build(folder / "store", SEEDS, ONTOLOGY, Progress(0),
                                             reasoner_cache=reasoner_cache)) / "store"


@pytest.fixture(scope="session")
def plain_store(tmp_path_factory, reasoner_cache) -> Path:
    """The project's seeds built without reasoning, once per test run; read-only (copy it with store_copy to change it).

    For tests whose subject (serving, documents, exports, imports) does not depend on the inferences.
    """
    return once_per_run(tmp_path_factory, "plain",
                        lambda folder: build(folder / "store", SEEDS, ONTOLOGY, Progress(0), reasoning=False,
                                             reasoner_cache=reasoner_cache)) / "store"


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


def adekg_in_process(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the adekg command line in this process, as `adekg` would in a subprocess, capturing its output.

    For commands whose process itself is not under test: it saves the ~1 s of imports and the UCUM set-up each
    subprocess pays. Progress lines come back in stderr (graph.build.Progress writes to sys.stderr as it is then).
    """
    from graph.cli import main
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline=""), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code if isinstance(exit.code, int) else 1
        out.flush()
    if check and code != 0:
        raise AssertionError(f"adekg {' '.join(args)} failed: {err.getvalue()}")
    printed = io.TextIOWrapper(io.BytesIO(out.buffer.getvalue()), encoding="utf-8").read()  # newlines as text=True
    return subprocess.CompletedProcess(["adekg", *args], code, printed, err.getvalue())


def select(store, query: str) -> list[dict[str, str]]:
    """Run a SELECT over the union graph and return rows of plain values."""
    from graph.store import run_query
    results = run_query(store, query)
    names = [variable.value for variable in results.variables]
    return [{name: (row[name].value if row[name] is not None else None) for name in names} for row in results]
