"""Store generations on disk: COMPLETE, atomic `current`, build lock, readers' locks, legacy layouts."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, Store

from graph.build import Progress, build
from server.generation import is_current, open_reader

from .conftest import ONTOLOGY, ROOT, SEEDS, adekg_in_process, store_copy

# A build whose store stage stalls after 1,000 quads (having bulk-loaded the ontology), so a test can
# kill it -9 mid-load or start a second build beside it. graph.store is patched before graph.build
# imports it.
STALLING_BUILD = """
import sys, time
import graph.store as store
real_bulk_write = store.bulk_write
def stalling_bulk_write(folder, quads, documents):
    def trickle():
        for index, quad in enumerate(quads):
            if index == 1000:
                print("LOADING", folder, flush=True)
                time.sleep(600)
            yield quad
    return real_bulk_write(folder, trickle(), documents)
store.bulk_write = stalling_bulk_write
from graph.cli import main
sys.exit(main(sys.argv[1:]))
"""

# A reader in its own process: opens the store once, then answers one line per line read on stdin.
READER = """
import sys
from pathlib import Path
from server.generation import is_current, open_reader
store_path = Path(sys.argv[1])
reader = open_reader(store_path)
print(reader.generation.name, flush=True)
for line in sys.stdin:
    rows = list(reader.store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
    print(rows[0]["n"].value, is_current(store_path, reader.generation), flush=True)
"""


def quick_build(store_path: Path) -> None:
    """Build the seeds without reasoning, in this process (with the suite's cache, set by conftest)."""
    build(store_path, SEEDS, ONTOLOGY, Progress(0), reasoning=False,
          reasoner_cache=Path(os.environ["ADEKG_REASONER_CACHE"]))


def generations(store_path: Path) -> set[str]:
    """The names of the generation folders of a store."""
    return {path.name for path in (store_path / "generations").iterdir()}


def current_name(store_path: Path) -> str:
    """The generation P/current points at."""
    return Path(os.readlink(store_path / "current")).name


def start_stalling_build(store_path: Path) -> tuple[subprocess.Popen, str]:
    """Start a build that stalls in its store stage; return it and the generation it is writing."""
    process = subprocess.Popen([sys.executable, "-c", STALLING_BUILD, "build", "--no-reason", "--quiet",
                                "--store", str(store_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("LOADING"), f"the build ended before its store stage: {process.wait(60)}"
    return process, Path(line.split(maxsplit=1)[1].strip()).name


def count_quads(store_path: Path) -> int:
    """Count the quads of the current store through the CLI (in this process: it only reads)."""
    result = adekg_in_process("query", "--store", str(store_path), "--format", "csv",
                   "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", check=True)
    return int(result.stdout.split()[1])


@pytest.mark.slow
def test_kill_9_in_the_store_stage_never_becomes_current_and_the_next_build_removes_it(plain_store, tmp_path):
    store_path = store_copy(plain_store, tmp_path / "store")  # a first build
    quick_build(store_path)
    previous, good = current_name(store_path), generations(store_path)
    size = count_quads(store_path)

    process, partial = start_stalling_build(store_path)
    process.send_signal(signal.SIGKILL)
    process.wait(60)

    assert partial in generations(store_path) and not (store_path / "generations" / partial / "COMPLETE").exists()
    assert current_name(store_path) == previous and count_quads(store_path) == size
    quick_build(store_path)
    after = generations(store_path)
    assert partial not in after
    assert current_name(store_path) not in good and previous in after  # the new one, and the one before it
    assert count_quads(store_path) == size


@pytest.mark.slow
def test_a_second_build_at_the_same_time_is_refused_with_one_line(plain_store, tmp_path):
    store_path = store_copy(plain_store, tmp_path / "store")
    before = current_name(store_path)
    process, _ = start_stalling_build(store_path)
    try:
        second = adekg_in_process("build", "--no-reason", "--quiet", "--store", str(store_path))
        assert process.poll() is None
    finally:
        process.kill()
        process.wait(60)
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "build.lock" in lines[0] and str(store_path) in lines[0], second.stderr
    assert current_name(store_path) == before


@pytest.mark.slow
def test_a_reader_keeps_its_generation_and_answers_through_three_rebuilds(plain_store, tmp_path):
    store_path = store_copy(plain_store, tmp_path / "store")
    reader = subprocess.Popen([sys.executable, "-c", READER, str(store_path)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        held = reader.stdout.readline().strip()
        reader.stdin.write("count\n")
        reader.stdin.flush()
        size, current = reader.stdout.readline().split()
        assert held == current_name(store_path) and current == "True"
        built = []
        for _ in range(3):
            quick_build(store_path)
            built.append(current_name(store_path))
            assert held in generations(store_path)
        # Neither current nor the one before it, but held: kept; the unheld one between them is pruned.
        assert generations(store_path) == {held, built[1], built[2]}
        reader.stdin.write("count\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == [size, "False"]
    finally:
        reader.stdin.close()
        reader.wait(60)
    quick_build(store_path)
    assert held not in generations(store_path)  # released by the reader: pruned like any other


def legacy_symlink_store(store_path: Path) -> Path:
    """The layout before this one: P a symlink to ../.generations/<P.name>-<time>, a pyoxigraph folder."""
    folder = store_path.parent / ".generations" / f"{store_path.name}-20250101T000000-1"
    folder.parent.mkdir()
    write_small_store(folder)
    (store_path.parent / ".generations" / f"{store_path.name}-20240101T000000-1").mkdir()
    store_path.symlink_to(os.path.relpath(folder, store_path.parent))
    return folder


def write_small_store(folder: Path) -> None:
    """A pyoxigraph store of one quad."""
    store = Store(str(folder))
    store.add(Quad(NamedNode("urn:x:s"), NamedNode("urn:x:p"), NamedNode("urn:x:o"), NamedNode("urn:x:g")))
    store.flush()
    del store


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["symlink into .generations", "plain pyoxigraph folder"])
def test_an_older_layout_is_read_as_it_is_and_migrated_by_the_next_build(tmp_path, layout):
    store_path = tmp_path / "store"
    if layout == "plain pyoxigraph folder":
        write_small_store(store_path)
    else:
        legacy_symlink_store(store_path)
    assert count_quads(store_path) == 1
    reader = open_reader(store_path)
    assert len(reader.store) == 1 and is_current(store_path, reader.generation)
    reader.close()

    adekg_in_process("build", "--no-reason", "--quiet", "--store", str(store_path), check=True)

    assert store_path.is_dir() and not store_path.is_symlink()
    assert not (tmp_path / ".generations").exists()
    migrated = [name for name in generations(store_path) if "-legacy-" in name]
    assert len(migrated) == 1 and (store_path / "generations" / migrated[0] / "COMPLETE").is_file()
    assert current_name(store_path) != migrated[0] and count_quads(store_path) > 1000


def test_the_server_opens_the_current_generation_and_holds_it(plain_store, tmp_path):
    from server import create_app
    from server.generation import current_generation
    store_path = store_copy(plain_store, tmp_path / "store")
    app = create_app(store_path=store_path)
    generation = app.extensions["adekg_reader"].generation
    assert generation == current_generation(store_path) == store_path / "generations" / current_name(store_path)
    quick_build(store_path)
    quick_build(store_path)
    assert generation.name in generations(store_path)
    response = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                                     headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.get_json()["boolean"] is True


def test_a_generation_given_as_the_store_is_refused_and_the_store_keeps_it(plain_store, tmp_path):
    """A writing command pointed at one generation folder (a bare pyoxigraph folder inside the store) took it for a
    store of the older layout: it moved the generation's files inside it, and the store's next build deleted the
    generation `current` named as incomplete (a 10^6-report store was lost so, from `serve --store <generation>`)."""
    from .test_faers import TINY
    store_path = store_copy(plain_store, tmp_path / "store")
    generation = store_path / "generations" / current_name(store_path)
    files, size = sorted(os.listdir(generation)), count_quads(store_path)
    for command in (["build", "--no-reason", "--quiet"], ["import-faers", str(TINY), "--max-bad-fraction", "0.5"]):
        result = adekg_in_process(*command, "--store", str(generation))
        assert result.returncode == 1, result.stderr
        assert f"this is one generation of the store {store_path}" in result.stderr and "give --store that folder" \
            in result.stderr
    assert sorted(os.listdir(generation)) == files and count_quads(store_path) == size
    quick_build(store_path)
    assert count_quads(store_path) == size


def test_a_current_generation_without_complete_is_reported_not_deleted(plain_store, tmp_path):
    store_path = store_copy(plain_store, tmp_path / "store")
    generation = store_path / "generations" / current_name(store_path)
    (generation / "COMPLETE").unlink()
    result = adekg_in_process("build", "--no-reason", "--quiet", "--store", str(store_path))
    assert result.returncode == 1 and f"the current generation {generation.name} is not complete" in result.stderr
    assert (generation / "CURRENT").is_file() and current_name(store_path) == generation.name  # RocksDB's files stay
