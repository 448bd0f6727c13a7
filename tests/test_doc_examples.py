"""Every example in README.md and docs/*.md runs: each SPARQL query against a freshly built store, each command line.

What is extracted (write new examples in one of these forms and they are run):
- SPARQL: fenced blocks whose info string is `sparql`, and inline code spans in Markdown table rows that start
  with SELECT, ASK, CONSTRUCT or DESCRIBE (after optional comments and PREFIX/BASE lines). They are POSTed to a
  live `adekg serve` over the session's built store with the prefixes that `adekg query` predefines, and must
  answer 200; `<!-- rows: N -->` after a fenced block, or after a query in the same table cell, states its number
  of rows, which is checked.
- Command lines: every line of a fenced `sh`/`bash`/`shell`/`console` block (in a `console` block the lines that
  start with `$ `, and the lines after one, up to the next, are its stated output), and every inline code span
  that starts with `.venv/bin/` or `curl ` and has arguments. An inline span with a placeholder (`[...]`, `…`, or
  an upper-case word such as PATH, DIR, IRI) is a synopsis, as is each `.venv/bin/adekg` line of an unlabelled
  fence: its sub-command and flags must be ones `adekg` accepts. Lines of shell blocks are never synopses.

How command lines run (visibly different from a user's terminal only in these ways):
- In a scratch folder standing for the repository root: `.venv` links to the environment of the interpreter
  running the tests, `seeds/` and `ontology/` are copies (`python -m graph.ontology release` rewrites the
  latter), `adekg-data/store` is a copy of the session's built store. The environment sets ADEKG_STORE,
  ADEKG_SEEDS and ADEKG_ONTOLOGY to those paths, ADEKG_PORT to a free port (picked again for each serve line)
  and ADEKG_WORKERS to 1; the CLI honours them wherever a line gives no flag. Each line runs as typed with
  `bash -c` (`set -eo pipefail`), the lines of a block in order, all blocks and spans in document order in the
  same folder. A line must exit 0, and its stated output must appear, line by line and in order (trailing
  spaces ignored), in what it prints.
- `adekg serve` lines (a trailing `&` is dropped) start in the background in their own session, must answer
  `/sparql` on ADEKG_PORT, are asked how many patients the graph holds, and are stopped (the whole group).
- curl lines get `--fail --show-error --max-time 60` after `curl` and run against the live server of the SPARQL examples,
  http://127.0.0.1:5000 and http://localhost:5000 replaced by its address.
- Not run, and why: steps that install (`python3 -m venv`, `pip install`; this suite runs in the environment
  they make, so the test checks that `.venv/bin/adekg` is there) and the test suite itself and its tools (`-m pytest`; `-m tests.hermit_with_data`, which regenerates the
  record of the slow HermiT route: the agreement test runs that route itself when the record is stale). A line
  that has already run (the same text, e.g. a build named in two places) is not run again.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path
from typing import NamedTuple

import pytest

from graph.cli import parser as cli_parser
from graph.errors import AdekgError
from graph.ontology import owlapi_classpath
from tests.conftest import DOCUMENTS as SEED_DOCUMENTS
from tests.test_protocol_live import PROLOGUE, free_port, http, live_server, stop_group

pytestmark = pytest.mark.slow  # starts gunicorn over the reasoned store, builds, serves
ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A fence may be indented (inside a list item); its closing fence has the same indentation.
FENCE = re.compile(r"^([ \t]*)```([\w+-]*)[^\n]*\n(.*?)^\1```[ \t]*\n(?:[ \t]*<!--\s*rows:\s*(\d+)\s*-->)?",
                   re.M | re.S)
QUERY = re.compile(r"^\s*(?:(?:#[^\n]*|(?:PREFIX|BASE)\b[^\n]*?(?:<[^>]*>))\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
                   re.IGNORECASE)
ROWS_AFTER = re.compile(r"^[^|`]*?<!--\s*rows:\s*(\d+)\s*-->")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SHELLS = {"sh", "bash", "shell", "console"}
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
PLACEHOLDER = re.compile(r"\[|…|\.\.\.|(?<![\w.-])[A-Z][A-Z0-9_]*(?![\w.=-])")
SETUP = re.compile(r"^(python3? -m venv|\S*pip3? install)\b")
SUITE = re.compile(r"-m (?:pytest\b|tests\.)")
LOCAL_SERVERS = ("http://127.0.0.1:5000", "http://localhost:5000")
COMMAND_SECONDS = 600
SERVE_START_SECONDS = 240  # a serve line builds first if the store does not match the inputs


class Example(NamedTuple):
    """One runnable example: where it is, its kind (query, commands, synopsis), its text and what it states.

    For a query `stated` is the number of rows (or None); for commands, `text` holds the lines and `stated`
    a tuple of each line's stated output lines.
    """

    where: str
    kind: str
    text: object
    stated: object


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def shell_lines(info: str, block: str) -> list[tuple[str, tuple[str, ...]]]:
    """(command, stated output lines) for each command of a shell block (continuation backslashes joined)."""
    found: list[tuple[str, list[str]]] = []
    for line in block.replace("\\\n", " ").splitlines():
        if info == "console":
            if line.startswith("$ "):
                found.append((line[2:].strip(), []))
            elif found and line.strip():
                found[-1][1].append(line.rstrip())
        elif line.strip() and not line.lstrip().startswith("#"):
            found.append((line.strip(), []))
    return [(command, tuple(output)) for command, output in found]


def is_synopsis(line: str) -> bool:
    """Whether a command line has placeholders outside its quoted arguments."""
    return PLACEHOLDER.search(QUOTED.sub("''", line)) is not None


def extract(text: str, name: str) -> list[Example]:
    """The examples of one Markdown text, in the order they appear."""
    found = []  # (offset, example)
    fenced = []
    for match in FENCE.finditer(text):
        info, body, rows = match.group(2).lower(), textwrap.dedent(match.group(3)), match.group(4)
        where = f"{name}:{line_of(text, match.start())}"
        fenced.append(range(match.start(), match.end()))
        if info == "sparql":
            found.append((match.start(), Example(where, "query", body, int(rows) if rows else None)))
        elif info in SHELLS and (lines := shell_lines(info, body)):
            found.append((match.start(), Example(where, "commands", tuple(c for c, _ in lines),
                                                 tuple(o for _, o in lines))))
        elif info == "":
            for number, line in enumerate(body.replace("\n ", " ").splitlines()):
                if line.startswith(".venv/bin/adekg "):
                    found.append((match.start(), Example(f"{where}+{number + 1}", "synopsis", line.split("  #")[0],
                                                         None)))
    offset = 0
    for line in text.splitlines(keepends=True):
        if not any(offset in span for span in fenced):
            for code in SPAN.finditer(line):
                span, where = code.group(1), f"{name}:{line_of(text, offset)}"
                if line.lstrip().startswith("|") and QUERY.match(span) and "{" in span:  # a query, not the word ASK
                    stated = ROWS_AFTER.match(line[code.end():])
                    found.append((offset, Example(where, "query", span, int(stated.group(1)) if stated else None)))
                elif span.startswith((".venv/bin/", "curl ")) and " " in span.strip():
                    kind = "synopsis" if is_synopsis(span) else "commands"
                    found.append((offset + code.start(), Example(where, kind, (span,) if kind == "commands" else span,
                                                                 ((),) if kind == "commands" else None)))
        offset += len(line)
    return [example for _, example in sorted(found, key=lambda item: item[0])]


EXAMPLES = [example for path in DOCUMENTS
            for example in extract(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())]


def test_the_extractor_finds_the_documented_examples():
    wheres = {example.where.split(":")[0] for example in EXAMPLES if example.kind == "query"}
    assert {"README.md", "docs/data-model.md", "docs/reasoning.md"} <= wheres
    commands = {line.split()[1] for example in EXAMPLES if example.kind == "commands" for line in example.text
                if line.startswith(".venv/bin/adekg ")}
    assert {"build", "serve", "query", "validate", "synth-faers", "import-faers", "signals", "load"} <= commands
    sample = "| x | `SELECT ?a WHERE { ?a ?b ?c }` (2 rows) <!-- rows: 2 --> | `?s a ade:X` |\n"
    assert [(e.kind, e.text, e.stated) for e in extract(sample, "x")] == [("query", "SELECT ?a WHERE { ?a ?b ?c }", 2)]
    assert extract("| one indexed `ASK` |\n", "x") == []
    console = "```console\n$ curl -s http://127.0.0.1:5000/sparql\nok\n$ .venv/bin/adekg query 'ASK {}'\ntrue\n```\n"
    assert [(e.kind, e.text, e.stated) for e in extract(console, "x")] == [
        ("commands", ("curl -s http://127.0.0.1:5000/sparql", ".venv/bin/adekg query 'ASK {}'"), (("ok",), ("true",)))]
    prose = "Run `.venv/bin/adekg terms drug`, see `.venv/bin/adekg explain IRI` and `.venv/bin/adekg`.\n"
    assert [(e.kind, e.text) for e in extract(prose, "x")] == [
        ("commands", (".venv/bin/adekg terms drug",)), ("synopsis", ".venv/bin/adekg explain IRI")]
    assert is_synopsis(".venv/bin/adekg load FILE... --graph IRI")
    assert not is_synopsis(".venv/bin/adekg query 'SELECT ?a WHERE { ?a ?b ?c }' --format tsv")
    assert extract("```sparql\nASK { ?s ?p ?o }\n```\n<!-- rows: 1 -->\n", "x")[0].stated == 1


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
    if example.stated is not None:
        rows = json.loads(body)["results"]["bindings"]
        assert len(rows) == example.stated, f"{example.where}: the text states {example.stated} rows, got {len(rows)}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "synopsis"], ids=lambda e: e.where)
def test_documented_synopsis_names_a_real_command_and_its_flags(example):
    words = QUOTED.sub("''", example.text).split()[1:]
    subparsers = next(action for action in cli_parser()._actions if action.dest == "command").choices
    command = next((word for word in words if not word.startswith(("-", "["))), None)
    assert command in subparsers, f"{example.where}: no sub-command {command!r} in {example.text!r}"
    accepted = set(subparsers[command]._option_string_actions)
    flags = {flag for flag in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", " ".join(words)) if flag != "-"}
    assert flags <= accepted, f"{example.where}: `adekg {command}` has no {sorted(flags - accepted)}"


class Checkout(NamedTuple):
    """The scratch folder standing for the repository root, the environment the lines run with, and what ran."""

    folder: Path
    env: dict
    ran: dict


@pytest.fixture(scope="module")
def checkout(built_store, tmp_path_factory) -> Checkout:
    if not (Path(sys.prefix) / "bin" / "adekg").is_file():
        pytest.skip("adekg is not installed in the environment running the tests (pip install -e .)")
    folder = tmp_path_factory.mktemp("checkout")
    (folder / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    for name in ("seeds", "ontology"):
        shutil.copytree(ROOT / name, folder / name)
        for path in (folder / name).rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.copytree(built_store, folder / "adekg-data" / "store", symlinks=True)
    env = {**os.environ, "ADEKG_STORE": str(folder / "adekg-data" / "store"), "ADEKG_SEEDS": str(folder / "seeds"),
           "ADEKG_ONTOLOGY": str(folder / "ontology"), "ADEKG_PORT": str(free_port()), "ADEKG_WORKERS": "1"}
    return Checkout(folder, env, {})


def steps(line: str) -> list[str]:
    """The commands of a line joined by `&&` (outside quotes)."""
    parts, start, quote = [], 0, None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif line.startswith("&&", index):
            parts.append(line[start:index].strip())
            start = index + 2
    # A trailing `&` (run in the background) is dropped: serve lines are started in the background anyway.
    return [part.removesuffix("&").strip() for part in parts + [line[start:].strip()] if part and part != "&&"]


def missing_tool(step: str) -> str | None:
    """What the machine lacks to run a step (the OWL API for `python -m graph.ontology`), as test_ontology skips it."""
    if "-m graph.ontology" not in step or os.environ.get("CI"):
        return None
    try:
        owlapi_classpath(os.environ.get("ADEKG_OWLAPI_CLASSPATH"))
    except AdekgError as error:
        return f"{error}; .ci/run installs libowlapi-java"
    return None if shutil.which("java") else "java is missing"


def is_serve(step: str) -> bool:
    words = shlex.split(step, comments=True)
    return words[:1] == [".venv/bin/adekg"] and next((w for w in words[1:] if not w.startswith("-")), None) == "serve"


def run_line(line: str, checkout: Checkout, server: str) -> str:
    """Run one documented command line; return what it printed (stdout, then stderr)."""
    if line.startswith("curl "):
        for local in LOCAL_SERVERS:
            line = line.replace(local, server)
        line = "curl --fail --show-error --max-time 60 " + line[len("curl "):]
    result = subprocess.run(["bash", "-c", "set -eo pipefail\n" + line], capture_output=True, text=True,
                            cwd=checkout.folder, env=checkout.env, timeout=COMMAND_SECONDS)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-3000:]}"
    return (result.stdout + result.stderr).replace("\r\n", "\n")


def check_serve(step: str, checkout: Checkout) -> None:
    """Start a documented `adekg serve` in the background, ask it a question, and stop it."""
    log = tempfile.TemporaryFile()
    env = {**checkout.env, "ADEKG_PORT": str(free_port())}  # picked now: a port found free minutes ago may not be
    process = subprocess.Popen(["bash", "-c", "exec " + step], cwd=checkout.folder, env=env,
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{env['ADEKG_PORT']}"
    question = PROLOGUE + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a ade:Patient }"
    try:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if http(base + "/sparql?query=ASK%7B%7D", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            log.seek(0)
            raise AssertionError(f"{step}: did not answer on {base}: {log.read().decode(errors='replace')[-3000:]}")
        status, _, body = http(base + "/sparql?" + urllib.parse.urlencode({"query": question}),
                               headers={"Accept": "application/sparql-results+json"})
        assert status == 200, body
        assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(SEED_DOCUMENTS)
    finally:
        stop_group(process)
        log.close()


def assert_states(printed: str, stated: tuple[str, ...], where: str, line: str) -> None:
    """The stated output lines appear in the printed lines, in order (trailing spaces ignored)."""
    printed_lines = iter(text.rstrip() for text in printed.splitlines())
    missing = [text for text in stated if not any(text.rstrip() == candidate for candidate in printed_lines)]
    assert not missing, f"{where}: `{line}` did not print {missing[0]!r}; it printed:\n{printed[-3000:]}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "commands"], ids=lambda e: e.where)
def test_documented_command_lines_run(checkout, server, example):
    not_run = []
    for line, stated in zip(example.text, example.stated):
        for step in steps(line):
            if SETUP.match(step):
                assert (checkout.folder / ".venv" / "bin" / "adekg").is_file()  # what the install step makes
                not_run.append(f"{step} (installs; this suite runs in the environment it makes)")
            elif SUITE.search(step):
                not_run.append(f"{step} (the test suite itself, or its record of the slow HermiT route)")
            elif (missing := missing_tool(step)) is not None:
                not_run.append(f"{step} ({missing})")
            elif step in checkout.ran:
                assert checkout.ran[step], f"{example.where}: `{step}` failed where it ran first"
                assert not stated, f"{example.where}: `{step}` states an output but ran first elsewhere"
            else:
                checkout.ran[step] = False
                if is_serve(step):
                    check_serve(step, checkout)
                else:
                    try:
                        printed = run_line(step, checkout, server)
                    except AssertionError as error:
                        raise AssertionError(f"{example.where}: `{step}`: {error}") from None
                    assert_states(printed, stated, example.where, step)
                checkout.ran[step] = True
    if not_run and len(not_run) == sum(len(steps(line)) for line in example.text):
        pytest.skip("not run: " + "; ".join(not_run))
