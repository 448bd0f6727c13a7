"""Every example in README.md and docs/*.md runs against a freshly built store.

What is extracted (write new examples in one of these forms and they are run):
- fenced blocks whose info string is `sparql`: one query each;
- inline code spans in Markdown table rows that start with SELECT, ASK, CONSTRUCT or DESCRIBE (after optional
  comments and PREFIX/BASE lines): one query each;
- in fenced `sh`/`bash`/`shell`/`console` blocks, lines (a leading `$ ` is dropped) that start with `curl `, or with
  `adekg ` or `.venv/bin/adekg ` followed by one of the read-only sub-commands in RUNNABLE.
Queries are POSTed to a live `adekg serve` with the prefixes that `adekg query` predefines, and must answer 200;
`<!-- rows: N -->` after a fenced block, or after a query in the same table cell, states its number of rows, which is
checked. curl lines run against the live server (http://127.0.0.1:5000 and http://localhost:5000 are rewritten
to it) and must exit 0 with --fail; adekg lines run with --store pointing at the fresh store and must exit 0.
Lines of other sub-commands (build, serve, reason, and the FAERS and load commands, tested in test_faers_cli) change
or start things and are listed in NOT_RUN.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.test_protocol_live import PROLOGUE, http, live_server

pytestmark = pytest.mark.slow  # starts gunicorn over the reasoned store
ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*\n(?:[ \t]*<!--\s*rows:\s*(\d+)\s*-->)?", re.M | re.S)
QUERY = re.compile(r"^\s*(?:(?:#[^\n]*|(?:PREFIX|BASE)\b[^\n]*?(?:<[^>]*>))\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
                   re.IGNORECASE)
ROWS_AFTER = re.compile(r"^[^|`]*?<!--\s*rows:\s*(\d+)\s*-->")
SHELLS = {"sh", "bash", "shell", "console"}
RUNNABLE = {"query", "export", "explain", "validate", "terms"}
NOT_RUN = {"build", "serve", "reason", "synth-faers", "import-faers", "signals", "load"}
LOCAL_SERVERS = ("http://127.0.0.1:5000", "http://localhost:5000")


class Example(NamedTuple):
    """One runnable example: where it is, its kind (query, curl, adekg), its text and the rows the text states."""

    where: str
    kind: str
    text: str
    rows: int | None


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def commands(block: str) -> list[tuple[str, str]]:
    """(kind, line) for the curl and adekg lines of a shell block (continuation backslashes joined)."""
    found = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip()
        line = line[2:] if line.startswith("$ ") else line
        if line.startswith("curl "):
            found.append(("curl", line))
        elif line.startswith(("adekg ", ".venv/bin/adekg ")):
            found.append(("adekg", line))
    return found


def extract(text: str, name: str) -> list[Example]:
    """The examples of one Markdown text."""
    examples = []
    for match in FENCE.finditer(text):
        info, body, rows = match.group(1).lower(), match.group(2), match.group(3)
        where = f"{name}:{line_of(text, match.start())}"
        if info == "sparql":
            examples.append(Example(where, "query", body, int(rows) if rows else None))
        elif info in SHELLS:
            examples += [Example(where, kind, line, None) for kind, line in commands(body)]
    fenced = [range(m.start(), m.end()) for m in FENCE.finditer(text)]
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("|") and not any(offset in span for span in fenced):
            for code in re.finditer(r"(``?)(.+?)\1", line):
                if QUERY.match(code.group(2)) and "{" in code.group(2):  # a query, not the word ASK
                    stated = ROWS_AFTER.match(line[code.end():])
                    examples.append(Example(f"{name}:{line_of(text, offset)}", "query", code.group(2),
                                            int(stated.group(1)) if stated else None))
        offset += len(line)
    return examples


EXAMPLES = [example for path in DOCUMENTS
            for example in extract(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())]


def test_the_extractor_finds_the_documented_examples():
    wheres = {example.where.split(":")[0] for example in EXAMPLES if example.kind == "query"}
    assert {"README.md", "docs/data-model.md", "docs/reasoning.md"} <= wheres
    sample = "| x | `SELECT ?a WHERE { ?a ?b ?c }` (2 rows) <!-- rows: 2 --> | `?s a ade:X` |\n"
    assert [(e.kind, e.text, e.rows) for e in extract(sample, "x")] == [("query", "SELECT ?a WHERE { ?a ?b ?c }", 2)]
    assert extract("| one indexed `ASK` |\n", "x") == []
    fenced = "```sh\n$ curl -s http://127.0.0.1:5000/sparql\n.venv/bin/adekg query 'ASK {}'\n```\n<!-- rows: 1 -->\n"
    assert [e.kind for e in extract(fenced, "x")] == ["curl", "adekg"]
    assert extract("```sparql\nASK { ?s ?p ?o }\n```\n<!-- rows: 1 -->\n", "x")[0].rows == 1


@pytest.fixture(scope="module")
def server(built_store):
    with live_server(built_store, "--workers", "1") as (base, _):
        yield base


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "query"], ids=lambda e: e.where)
def test_documented_query_runs(server, example):
    status, _, body = http(server + "/sparql", data=(PROLOGUE + example.text).encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/sparql-results+json, text/turtle;q=0.9"})
    assert status == 200, f"{example.where}: {body.decode(errors='replace')}"
    if example.rows is not None:
        rows = json.loads(body)["results"]["bindings"]
        assert len(rows) == example.rows, f"{example.where}: the text states {example.rows} rows, got {len(rows)}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "curl"], ids=lambda e: e.where)
def test_documented_curl_line_runs(server, example):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    line = example.text
    for local in LOCAL_SERVERS:
        line = line.replace(local, server)
    result = subprocess.run(["curl", "--fail", "-sS", "--max-time", "60", *shlex.split(line)[1:]],
                            capture_output=True, text=True, timeout=90, cwd=ROOT)
    assert result.returncode == 0, f"{example.where}: {line}: {result.stderr}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "adekg"], ids=lambda e: e.where)
def test_documented_command_runs(built_store, example, tmp_path):
    words = shlex.split(example.text)[1:]
    command = next((word for word in words if not word.startswith("-")), None)
    assert command in RUNNABLE | NOT_RUN, f"{example.where}: unknown sub-command in {example.text!r}"
    if command in NOT_RUN:
        pytest.skip(f"`adekg {command}` builds or serves: not run by the examples test")
    if command != "validate" and "--store" not in words:
        words.insert(words.index(command) + 1, "--store")
        words.insert(words.index(command) + 2, str(built_store))
    result = subprocess.run([sys.executable, "-m", "graph.cli", *words], capture_output=True, text=True,
                            timeout=600, cwd=tmp_path)
    assert result.returncode == 0, f"{example.where}: {example.text}: {result.stderr}"
