"""Seed YAML with anchors/aliases (a "billion laughs") or beyond the size limit is refused in one line."""
import subprocess
import sys

import pytest

from graph.store import current_generation, open_store

from .conftest import ROOT, record_path, select, store_copy

LEVELS = 6  # 9**6 leaves: enough to show the shape without exhausting a shared machine on old code


def laughs(levels: int = LEVELS) -> str:
    """A YAML "billion laughs": each level an anchored list of nine aliases of the level below."""
    lines = ["lol0: &lol0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 9) + "]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def prepend_laughs(seeds):
    path = record_path(seeds, "000")
    path.write_text(laughs() + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path, "anchors and aliases"


def one_alias(seeds):
    path = record_path(seeds, "001")
    text = path.read_text(encoding="utf-8").replace("schema_version: 1", "schema_version: &v 1\nalso: *v", 1)
    path.write_text(text, encoding="utf-8")
    return path, "anchors and aliases"


def pad_beyond_the_limit(seeds):
    path = record_path(seeds, "002")
    path.write_text(path.read_text(encoding="utf-8") + "# padding\n" * 500_000, encoding="utf-8")  # 5 MB
    return path, "over the limit"


HOSTILE = {"billion laughs": prepend_laughs, "one alias": one_alias, "5 MB record": pad_beyond_the_limit}


def run(*args: str) -> subprocess.CompletedProcess:
    """The CLI, bounded so that a parser that blows up fails the test instead of the machine."""
    return subprocess.run([sys.executable, "-m", "graph.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_validate_refuses_hostile_yaml_with_one_line_naming_the_file(seeds_copy, case):
    path, problem = HOSTILE[case](seeds_copy)
    result = run("validate", "-q", "--seeds", str(seeds_copy))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and path.name in lines[0] and problem in lines[0], result.stderr


def test_the_size_limit_is_a_setting(seeds_copy):
    result = run("validate", "--seeds", str(seeds_copy), "--max-record-bytes", "1000")
    assert result.returncode == 1 and "over the limit of 1,000" in result.stderr
    assert run("validate", "--seeds", str(seeds_copy), "--max-record-bytes", "2000000").returncode == 0


@pytest.fixture(scope="module")
def existing_store(plain_store, tmp_path_factory):
    """A copy of the seeds built without reasoning, which the refused builds must leave as it was."""
    return store_copy(plain_store, tmp_path_factory.mktemp("existing") / "store")


@pytest.mark.parametrize("case", ["billion laughs", "5 MB record"])
def test_build_refuses_hostile_yaml_and_keeps_the_store(existing_store, seeds_copy, case):
    before = current_generation(existing_store)
    path, problem = HOSTILE[case](seeds_copy)
    result = run("build", "--no-reason", "--quiet", "--store", str(existing_store), "--seeds", str(seeds_copy))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and path.name in lines[0] and problem in lines[0], result.stderr
    assert current_generation(existing_store) == before
    assert select(open_store(existing_store), "SELECT ?p WHERE { ?p a ade:Patient }")
