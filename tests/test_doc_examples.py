"""Every example in README.md, docs/ (with docs/upstream/) and ontology/README.md runs: each SPARQL query against
a freshly built store, each command line.

What is extracted (write new examples in one of these forms and they are run):
- SPARQL: fenced blocks whose info string is `sparql`, and inline code spans in Markdown table rows that start
  with SELECT, ASK, CONSTRUCT or DESCRIBE (after optional comments and PREFIX/BASE lines). They are POSTed to a
  live `adekg serve` over the session's built store with the prefixes that `adekg query` predefines, and must
  answer 200; `<!-- rows: N -->` after a fenced block, or after a query in the same table cell, states its number
  of rows, which is checked, and so is the row a cell states after its query as `(1 row: `text`, 7027)` (values
  in the order of the query's variables, whitespace compared as single spaces). A query in a prose span runs too;
  `<!-- answer: false -->` right after it states an ASK's answer, `<!-- not run: REASON -->` says why it is
  shown only (a query that exhausts memory, or crashes pyoxigraph, as tests/test_hardening_live.py checks).
- Command lines: every line of a fenced `sh`/`bash`/`shell`/`console` block (in a `console` block the lines that
  start with `$ `, and the lines after one, up to the next, are its stated output), and every inline code span
  that starts with `.venv/bin/` or `curl ` (after optional VAR=value words) or installs (`python3 -m venv`, `pip
  install`) and has arguments. An inline span
  with a placeholder (`[...]`, `…`, or an upper-case word such as PATH, DIR, IRI) is a synopsis, as is each
  `.venv/bin/adekg` line of an unlabelled fence: its sub-command and flags must be ones `adekg` accepts. Lines
  of shell blocks are never synopses.
- Files: a fenced block followed by `<!-- file: PATH -->` is a file the text has the reader write (the Virtuoso
  ini of docs/external-store.md); it is written, in document order, before the lines after it run.
- Shown only: a fenced block followed by `<!-- not run: REASON -->` (the Java checks of ontology/README.md, which
  tests/test_ontology.py runs: ~18 s of CPU again here) is skipped with its reason; the repository files it names
  must exist.
- Python: fenced `python` blocks run with the interpreter running the tests and must exit 0, or, followed by
  `<!-- aborts: MESSAGE -->` (the pyoxigraph crash reproductions of docs/endpoint.md and docs/upstream/), must
  abort (SIGABRT) printing MESSAGE.
- Not extracted: unlabelled blocks other than synopses (diagrams, layouts, a panic message), and prose spans that
  are not commands of this project (`git diff ...`, `pip index versions pyoxigraph`, which asks PyPI).

How command lines run (visibly different from a user's terminal only in these ways):
- In a scratch folder standing for the repository root: `.venv` links to the environment of the interpreter
  running the tests, `tests/` links to the repository's, `seeds/` and `ontology/` are copies
  (`python -m graph.ontology canonical`/`release` rewrite the latter), `adekg-data/store` is a copy of the
  session's built store. The environment sets ADEKG_STORE, ADEKG_SEEDS and ADEKG_ONTOLOGY to those paths,
  ADEKG_PORT to a free port (picked again for each serve line) and ADEKG_WORKERS to 1; the CLI honours them
  wherever a line gives no flag. Each line runs as typed with `bash -c` (`set -eo pipefail`), after the
  `NAME=value` lines of its block (so a block's variables hold, as in one terminal), the lines of a block in
  order, all blocks and spans in document order in the same folder. A line must exit 0, and its stated output
  must appear, line by line and in order (trailing spaces ignored), in what it prints.
- Fixed resources a walk-through names are replaced, in lines and files alike: `/tmp/` by a scratch folder, and
  each port of `127.0.0.1:PORT` other than 5000 by a free port (the same one for the same number throughout).
- `adekg serve` lines (a trailing `&` is dropped, `--port N` becomes the picked port) start in the background in
  their own session, must answer `/sparql`, are asked how many patients the graph holds, and are stopped (the
  whole group). Other lines ending in `&` (a Virtuoso server) start in the background in their own session and
  are stopped at the end of their block.
- curl lines get `--fail --show-error --max-time 60` after `curl` and run against the live server of the SPARQL
  examples, http://127.0.0.1:5000 and http://localhost:5000 replaced by its address.
- A block whose program is not installed (`virtuoso-t`, `javac`, ...) or that needs the OWL API where it is
  missing (outside CI) is skipped whole, with the reason: its lines depend on each other.
- `.venv/bin/python -m tests.hermit_with_data` runs as typed: with a current record it maps the seeds, says so
  and leaves the record (checked); with a stale one (judged from the session store's case data) it is not run,
  since it would run HermiT for minutes and rewrite the record (tests/test_rules.py then runs HermiT itself).
- Not run, and why: steps that install (`python3 -m venv`, `pip install`) and the suite itself (`-m pytest`):
  this suite runs in the environment they make, and .ci/run runs them verbatim, so
  test_the_install_and_test_commands_are_the_ones_ci_runs checks that .ci/run's last line is the README's test
  command, that the README's serve command installs with the same steps, that every other install line in the
  docs is one of them (or the same for another extra of pyproject.toml), and that every pytest line is the CI
  one with test files of the suite. A line that has already run (the same text without its comment, e.g. a
  build named in two places) is not run again.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
import urllib.parse
from pathlib import Path
from typing import NamedTuple

import pytest

from graph.cli import parser as cli_parser
from graph.errors import AdekgError
from graph.ontology import owlapi_classpath
from tests.conftest import DOCUMENTS as SEED_DOCUMENTS
from tests.processes import dying_with_the_tests
from tests.test_protocol_live import PROLOGUE, free_port, http, live_server, stop_group

pytestmark = pytest.mark.slow  # starts gunicorn over the reasoned store, builds, serves
ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / "ontology" / "README.md"]
# A fence may be indented (inside a list item); its closing fence has the same indentation. A comment after it
# states the rows of a query (`<!-- rows: N -->`), names the file the reader writes the block to (`file: PATH`), or
# says that a Python block aborts the process with a message (`aborts: MESSAGE`) or why a block is not run.
FENCE = re.compile(r"^([ \t]*)```([\w+-]*)[^\n]*\n(.*?)^\1```[ \t]*\n"
                   r"(?:[ \t]*<!--\s*(rows|file|aborts|not run):\s*([^\n]*?)\s*-->)?", re.M | re.S)
REPOSITORY_PATH = re.compile(r"(?<![\w./$-])(?:[\w.-]+/)+[\w.-]+\.[a-z]+\b")
QUERY = re.compile(r"^\s*(?:(?:#[^\n]*|(?:PREFIX|BASE)\b[^\n]*?(?:<[^>]*>))\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
                   re.IGNORECASE)
ROWS_AFTER = re.compile(r"^(?:[^|`]|`[^`|]*`)*?<!--\s*rows:\s*(\d+)\s*-->")
# The one row a table cell states after its query, as prose: "(1 row: `a quoted text`, 7027)".
ROW_AFTER = re.compile(r"^\s*\(1 row: ((?:`[^`]*`|[^`()|,]+)(?:,\s*(?:`[^`]*`|[^`()|,]+))*)\)")
ROW_VALUE = re.compile(r"`([^`]*)`|([^`,]+)")
# Right after a query in prose: its answer (`<!-- answer: false -->`, for an ASK) or why it is not run.
PROSE_AFTER = re.compile(r"^\s*<!--\s*(answer|not run):\s*([^>]*?)\s*-->")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SHELLS = {"sh", "bash", "shell", "console"}
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
PLACEHOLDER = re.compile(r"\[|…|\.\.\.|(?<![\w.-])[A-Z][A-Z0-9_]*(?![\w.=-])")
SETUP = re.compile(r"^(python3? -m venv|\S*pip3? install)\b")
SUITE = re.compile(r"-m pytest\b")
HERMIT_RECORD = "-m tests.hermit_with_data"
HERMIT_RECORD_FILE = ROOT / "tests" / "hermit_with_data.json"
LOCAL_SERVERS = ("http://127.0.0.1:5000", "http://localhost:5000")
# Resources a walk-through names that another program on the machine may hold: a folder under /tmp and a fixed
# port of 127.0.0.1 (5000, the server's default, is the live server's or the serve line's own).
SCRATCH = re.compile(r"(?<![\w./-])/tmp/(?=\w)")
FIXED_PORT = re.compile(r"(127\.0\.0\.1:)(?!5000\b)(\d{2,5})\b")
SERVE_PORT = re.compile(r"--port[ =]\d+")
ASSIGNMENT = re.compile(r"""^[A-Za-z_]\w*=(?:\$\(.*\)|'[^']*'|"[^"]*"|[^\s'"]+)$""")
ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*")
SHELL_WORDS = {"cd", "export", "kill", "set", "until", "while", "for", "if", "wait", "echo", "test", "true", "[", "."}
INSTALLS = {"virtuoso-t": "apt-get install virtuoso-opensource; .ci/run installs it",
            "isql-vt": "apt-get install virtuoso-opensource; .ci/run installs it",
            "java": ".ci/run installs default-jre-headless", "javac": ".ci/run installs default-jdk-headless"}
CI_RUN = ROOT / ".ci" / "run"
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
    row: tuple[str, ...] | None = None  # for a query: the values of the one row its text states


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
        info, body, key, value = match.group(2).lower(), textwrap.dedent(match.group(3)), match.group(4), match.group(5)
        rows = value if key == "rows" else None
        where = f"{name}:{line_of(text, match.start())}"
        fenced.append(range(match.start(), match.end()))
        if key == "file":
            found.append((match.start(), Example(where, "file", body, value)))
        elif key == "not run":
            found.append((match.start(), Example(where, "unrun commands", body, value)))
        elif info == "python":
            found.append((match.start(), Example(where, "python", body, value if key == "aborts" else None)))
        elif info == "sparql":
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
                note = PROSE_AFTER.match(line[code.end():])
                if QUERY.match(span) and "{" in span and not line.lstrip().startswith("|"):  # a query in prose
                    if note and note.group(1) == "not run":
                        found.append((offset, Example(where, "unrun query", span, note.group(2))))
                    else:
                        found.append((offset, Example(where, "query", span, note.group(2) == "true" if note else None)))
                elif line.lstrip().startswith("|") and QUERY.match(span) and "{" in span:  # a query, not the word ASK
                    stated, row = ROWS_AFTER.match(line[code.end():]), ROW_AFTER.match(line[code.end():])
                    values = tuple((quoted if quoted else bare.strip()) for quoted, bare in
                                   ROW_VALUE.findall(row.group(1))) if row else None
                    found.append((offset, Example(where, "query", span, int(stated.group(1)) if stated else None,
                                                  values)))
                elif (ENV_PREFIX.sub("", span).startswith((".venv/bin/", "curl ")) or SETUP.match(span)) \
                        and " " in span.strip():
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
    cell = "| `SELECT ?q ?n WHERE { ?q ?p ?n }` (1 row: `a, (b)`, 7027) <!-- rows: 1 --> |\n"
    assert [(e.stated, e.row) for e in extract(cell, "x")] == [(1, ("a, (b)", "7027"))]
    assert extract("| one indexed `ASK` |\n", "x") == []
    prose = "`ASK { ?s ?p ?o }` <!-- answer: false --> and `SELECT * { ?s ?p ?o }` <!-- not run: too big -->.\n"
    assert [(e.kind, e.stated) for e in extract(prose, "x")] == [("query", False), ("unrun query", "too big")]
    console = "```console\n$ curl -s http://127.0.0.1:5000/sparql\nok\n$ .venv/bin/adekg query 'ASK {}'\ntrue\n```\n"
    assert [(e.kind, e.text, e.stated) for e in extract(console, "x")] == [
        ("commands", ("curl -s http://127.0.0.1:5000/sparql", ".venv/bin/adekg query 'ASK {}'"), (("ok",), ("true",)))]
    prose = "Run `.venv/bin/adekg terms drug`, see `.venv/bin/adekg explain IRI` and `.venv/bin/adekg`.\n"
    assert [(e.kind, e.text) for e in extract(prose, "x")] == [
        ("commands", (".venv/bin/adekg terms drug",)), ("synopsis", ".venv/bin/adekg explain IRI")]
    assert is_synopsis(".venv/bin/adekg load FILE... --graph IRI")
    assert not is_synopsis(".venv/bin/adekg query 'SELECT ?a WHERE { ?a ?b ?c }' --format tsv")
    assert extract("```sparql\nASK { ?s ?p ?o }\n```\n<!-- rows: 1 -->\n", "x")[0].stated == 1
    assert [(e.kind, e.text, e.stated) for e in extract("```ini\n[A]\nb = 1\n```\n<!-- file: /tmp/v/a.ini -->\n", "x")] \
        == [("file", "[A]\nb = 1\n", "/tmp/v/a.ini")]
    assert [e.kind for e in extract("`A=1 B=... .venv/bin/adekg build --store URL`\n", "x")] == ["synopsis"]
    assert steps("a 'x && y' && b &   # c && d") == ["a 'x && y'", "b &"] and in_background("b &")
    assert ASSIGNMENT.match("CP=$(python -c 'print(1)')") and not ASSIGNMENT.match("A=1 .venv/bin/adekg build")
    assert missing_tool("no-such-virtuoso -f -c /tmp/x.ini &") == "no-such-virtuoso is not installed (not on PATH)"
    assert missing_tool("until curl -sf x; do sleep 1; done") is None and missing_tool(".venv/bin/adekg build") is None
    checkout = Checkout(Path("."), {}, {}, Path("/s"), {})
    written = local("-c /tmp/vdb/v.ini 127.0.0.1:1111 127.0.0.1:8890/x 127.0.0.1:5000 /tmp/vdb", checkout).split()
    assert written[:2] == ["-c", "/s/vdb/v.ini"] and written[-2:] == ["127.0.0.1:5000", "/s/vdb"]
    assert written[2] == f"127.0.0.1:{checkout.ports['1111']}" and written[3] == f"127.0.0.1:{checkout.ports['8890']}/x"


@pytest.fixture(scope="module")
def server(built_store):
    with live_server(built_store, "--workers", "1") as (base, _):
        yield base


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind.endswith("query")], ids=lambda e: e.where)
def test_documented_query_runs(server, example):
    if example.kind == "unrun query":
        pytest.skip(f"not run, as the text says: {example.stated}")
    status, _, body = http(server + "/sparql", data=(PROLOGUE + example.text).encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/sparql-results+json, text/turtle;q=0.9"})
    assert status == 200, f"{example.where}: {body.decode(errors='replace')}"
    if isinstance(example.stated, bool):  # an ASK's answer
        assert json.loads(body)["boolean"] is example.stated, f"{example.where}: the text says {example.stated}"
        return
    if example.stated is not None or example.row is not None:
        answer = json.loads(body)
        rows = answer["results"]["bindings"]
    if example.stated is not None:
        assert len(rows) == example.stated, f"{example.where}: the text states {example.stated} rows, got {len(rows)}"
    if example.row is not None:
        # whitespace compared as one space: a table cell cannot hold the line break of a quote
        got = tuple(" ".join(rows[0].get(name, {}).get("value", "").split()) for name in answer["head"]["vars"]) \
            if len(rows) == 1 else rows
        assert got == example.row, f"{example.where}: the text states the row {example.row}, got {got}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "synopsis"], ids=lambda e: e.where)
def test_documented_synopsis_names_a_real_command_and_its_flags(example):
    words = QUOTED.sub("''", ENV_PREFIX.sub("", example.text)).split()[1:]
    subparsers = next(action for action in cli_parser()._actions if action.dest == "command").choices
    command = next((word for word in words if not word.startswith(("-", "["))), None)
    assert command in subparsers, f"{example.where}: no sub-command {command!r} in {example.text!r}"
    accepted = set(subparsers[command]._option_string_actions)
    flags = {flag for flag in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", " ".join(words)) if flag != "-"}
    assert flags <= accepted, f"{example.where}: `adekg {command}` has no {sorted(flags - accepted)}"


def ci_test_command() -> str:
    """The line .ci/run runs after installing the system packages: the README's test command, verbatim."""
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    return next(line for line in reversed(lines) if line.strip() and not line.startswith("#")).strip()


def test_the_install_and_test_commands_are_the_ones_ci_runs():
    """The install steps and the suite's command are not run here (the suite runs inside what they make); CI runs
    them: .ci/run's last line is the README's test command verbatim, and every other doc installs with its steps."""
    ci_line = ci_test_command()
    *install, suite = steps(ci_line)
    assert [SETUP.match(step) is not None for step in install] == [True, True] and suite == ".venv/bin/python -m pytest -q"
    readme = [e for e in EXAMPLES if e.where.startswith("README.md:") and e.kind == "commands"][0]  # "The two commands"
    assert readme.text == (" && ".join(install) + " && .venv/bin/adekg serve", ci_line)
    documented = [(e.where, step) for e in EXAMPLES if e.kind == "commands" for line in e.text for step in steps(line)]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = [install[1].replace("-q -e '.[test]'", f"-e '.[{extra}]'")  # e.g. the benchmarks' extra
              for extra in project["project"]["optional-dependencies"] if extra != "test"]
    for where, step in documented:
        assert not SETUP.match(step) or step in install + extras, f"{where}: `{step}` does not install as .ci/run does"
    testpaths = [ROOT / path for path in project["tool"]["pytest"]["ini_options"]["testpaths"]]
    for where, step in documented:
        if SUITE.search(step):  # the suite, or some of its files: each is one that the CI line runs
            assert step.startswith(suite), f"{where}: `{step}` is not `{suite}` with arguments"
            for name in step[len(suite):].split():
                assert any((ROOT / name).is_relative_to(path) for path in testpaths) and (ROOT / name).is_file(), \
                    f"{where}: `{step}` names {name}, which is not a test file of {testpaths}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "python"], ids=lambda e: e.where)
def test_documented_python_runs_as_the_text_says(example):
    result = subprocess.run([sys.executable, "-c", example.text], capture_output=True, text=True, cwd=ROOT,
                            timeout=COMMAND_SECONDS)
    if example.stated is None:
        assert result.returncode == 0, f"{example.where}: {result.stderr[-3000:]}"
    else:  # a reproduction of an upstream crash: it fails once an upgrade fixes it, as a reminder to update the text
        assert result.returncode == -signal.SIGABRT and example.stated in result.stderr, \
            f"{example.where}: expected an abort with {example.stated!r}, got exit {result.returncode}: {result.stderr[-3000:]}"


def test_the_hermit_record_command_runs_hermit_only_for_a_stale_record(monkeypatch, tmp_path, capsys):
    """What docs/reasoning.md says of `python -m tests.hermit_with_data` (the case data and HermiT stubbed)."""
    from tests import hermit_with_data

    hermit_runs = []
    monkeypatch.setattr(hermit_with_data, "current_case_ntriples", lambda: b"<urn:x:a> <urn:x:p> <urn:x:b> .\n")
    monkeypatch.setattr(hermit_with_data, "realise", lambda ntriples: hermit_runs.append(ntriples) or {("a", "B")})
    monkeypatch.setattr(hermit_with_data, "ROOT", tmp_path)
    monkeypatch.setattr(hermit_with_data, "RECORD", tmp_path / "record.json")
    assert hermit_with_data.main(["--check"]) == 1 and hermit_runs == []  # no record: stale
    assert "is stale" in capsys.readouterr().err
    assert hermit_with_data.main([]) == 0 and len(hermit_runs) == 1  # stale: HermiT runs, the record is written
    assert hermit_with_data.recorded(hermit_with_data.inputs_digest(hermit_runs[0])) == {("a", "B")}
    assert hermit_with_data.main([]) == 0 and hermit_with_data.main(["--check"]) == 0 and len(hermit_runs) == 1
    assert "is current" in capsys.readouterr().out
    assert hermit_with_data.main(["--force"]) == 0 and len(hermit_runs) == 2


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "unrun commands"], ids=lambda e: e.where)
def test_a_block_shown_only_names_files_that_exist_and_says_why(example):
    named = [path for path in REPOSITORY_PATH.findall(example.text) if not path.startswith("tmp/")]
    missing = [path for path in named if not (ROOT / path).is_file()]
    assert named and not missing, f"{example.where}: names {missing or 'no file of the repository'}"
    pytest.skip(f"not run, as the text says: {example.stated}")


class Checkout(NamedTuple):
    """The scratch folder standing for the repository root, the environment the lines run with, and what ran.

    `scratch` stands for /tmp and `ports` maps each fixed port a walk-through names to a free one.
    """

    folder: Path
    env: dict
    ran: dict
    scratch: Path
    ports: dict


@pytest.fixture(scope="module")
def checkout(built_store, tmp_path_factory) -> Checkout:
    if not (Path(sys.prefix) / "bin" / "adekg").is_file():
        pytest.skip("adekg is not installed in the environment running the tests (pip install -e .)")
    folder = tmp_path_factory.mktemp("checkout")
    (folder / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    (folder / "tests").symlink_to(ROOT / "tests", target_is_directory=True)  # for `python -m tests.hermit_with_data`
    for name in ("seeds", "ontology"):
        shutil.copytree(ROOT / name, folder / name)
        for path in (folder / name).rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.copytree(built_store, folder / "adekg-data" / "store", symlinks=True)
    env = {**os.environ, "ADEKG_STORE": str(folder / "adekg-data" / "store"), "ADEKG_SEEDS": str(folder / "seeds"),
           "ADEKG_ONTOLOGY": str(folder / "ontology"), "ADEKG_PORT": str(free_port()), "ADEKG_WORKERS": "1"}
    return Checkout(folder, env, {}, tmp_path_factory.mktemp("tmp"), {})


def without_comment(line: str) -> str:
    """A shell line without its trailing `# comment` (outside quotes)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def steps(line: str) -> list[str]:
    """The commands of a line joined by `&&` (outside quotes), without its comment; a trailing `&` is kept."""
    line = without_comment(line)
    parts, start, quote = [], 0, None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif line.startswith("&&", index):
            parts.append(line[start:index].strip())
            start = index + 2
    return [part for part in parts + [line[start:].strip()] if part and part != "&&"]


def in_background(step: str) -> bool:
    return step.endswith("&") and not step.endswith("&&")


def program(step: str) -> str:
    """The program a step starts (after any VAR=value prefix)."""
    words = ENV_PREFIX.sub("", step).split()
    return words[0] if words else ""


def missing_tool(step: str) -> str | None:
    """What the machine lacks to run a step: its program, or the OWL API (as test_ontology skips without it)."""
    name = program(step)
    if not ASSIGNMENT.match(step) and name not in SHELL_WORDS and not name.startswith((".", "/", "$")) \
            and shutil.which(name) is None:
        return f"{name} is not installed ({INSTALLS.get(name, 'not on PATH')})"
    if "graph.ontology" not in step or os.environ.get("CI"):
        return None
    try:
        owlapi_classpath(os.environ.get("ADEKG_OWLAPI_CLASSPATH"))
    except AdekgError as error:
        return f"{error}; .ci/run installs libowlapi-java"
    return None if shutil.which("java") else "java is missing"


def is_serve(step: str) -> bool:
    words = shlex.split(step, comments=True)
    return words[:1] == [".venv/bin/adekg"] and next((w for w in words[1:] if not w.startswith("-")), None) == "serve"


def local(text: str, checkout: Checkout) -> str:
    """A documented text with /tmp/ replaced by the scratch folder and each fixed port by a free one (kept per port)."""
    def port(match: re.Match) -> str:
        while match.group(2) not in checkout.ports:
            if (candidate := free_port()) not in checkout.ports.values():
                checkout.ports[match.group(2)] = candidate
        return match.group(1) + str(checkout.ports[match.group(2)])

    return FIXED_PORT.sub(port, SCRATCH.sub(str(checkout.scratch) + "/", text))


def run_line(line: str, checkout: Checkout, server: str, prelude: str = "") -> str:
    """Run one documented command line (after the block's variable assignments); return what it printed."""
    line = local(line, checkout)
    if line.startswith("curl "):
        for address in LOCAL_SERVERS:
            line = line.replace(address, server)
        line = "curl --fail --show-error --max-time 60 " + line[len("curl "):]
    result = subprocess.run(["bash", "-c", "set -eo pipefail\n" + prelude + line], capture_output=True,
                            text=True, cwd=checkout.folder, env=checkout.env, timeout=COMMAND_SECONDS)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-3000:]}"
    return (result.stdout + result.stderr).replace("\r\n", "\n")


def start_background(step: str, checkout: Checkout) -> subprocess.Popen:
    """Start a documented `... &` line (not a serve line) in its own session; the caller stops it."""
    return subprocess.Popen(dying_with_the_tests(["bash", "-c", "exec " + local(step.removesuffix("&"), checkout)]),
                            cwd=checkout.folder,
                            env=checkout.env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def check_serve(step: str, checkout: Checkout) -> None:
    """Start a documented `adekg serve` in the background, ask it a question, and stop it."""
    log = tempfile.TemporaryFile()
    env = {**checkout.env, "ADEKG_PORT": str(free_port())}  # picked now: a port found free minutes ago may not be
    step = SERVE_PORT.sub(f"--port {env['ADEKG_PORT']}", local(step.removesuffix("&").strip(), checkout))
    process = subprocess.Popen(dying_with_the_tests(["bash", "-c", "exec " + step]), cwd=checkout.folder, env=env,
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


def hermit_record_stale(built_store: Path) -> bool:
    """Whether tests/hermit_with_data.json was computed from other inputs than the session store's case data."""
    from graph.store import open_store

    from .hermit_with_data import case_ntriples, case_quads, inputs_digest, recorded

    return recorded(inputs_digest(case_ntriples(case_quads(open_store(built_store))))) is None


def not_run_because(step: str, built_store: Path) -> str | None:
    """Why a documented step is not run, or None to run it."""
    if SETUP.match(step):
        return (f"{step} (installs: the suite runs in the environment .ci/run's install makes; "
                f"test_the_install_and_test_commands_are_the_ones_ci_runs checks the line)")
    if SUITE.search(step):
        return f"{step} (the test suite itself, run by .ci/run)"
    if HERMIT_RECORD in step and hermit_record_stale(built_store):
        return (f"{step} (tests/hermit_with_data.json is stale: as typed it would run HermiT for minutes and rewrite "
                f"it; test_rules' agreement test runs HermiT itself meanwhile)")
    return None


def run_and_check(step: str, stated: tuple[str, ...], where: str, checkout: Checkout, server: str, prelude: str):
    """Run one documented step in the foreground; check that it printed what the text states."""
    record = HERMIT_RECORD_FILE.read_bytes()
    try:
        printed = run_line(step, checkout, server, prelude)
    except AssertionError as error:
        raise AssertionError(f"{where}: `{step}`: {error}") from None
    assert_states(printed, stated, where, step)
    if HERMIT_RECORD in step:  # the record is current (else not run): the command says so and leaves it
        assert "is current" in printed and HERMIT_RECORD_FILE.read_bytes() == record, printed


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind in ("commands", "file")], ids=lambda e: e.where)
def test_documented_command_lines_run(checkout, server, built_store, example):
    if example.kind == "file":  # a file the text has the reader write (e.g. a Virtuoso ini), with its fixed resources
        path = Path(local(example.stated, checkout))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(local(example.text, checkout), encoding="utf-8")
        return
    missing = {reason for line in example.text for step in steps(line) if (reason := missing_tool(step))}
    if missing:  # the lines of a block depend on each other: all or none
        pytest.skip("not run: " + "; ".join(sorted(missing)))
    not_run, prelude, background = [], "", []
    try:
        for line, stated in zip(example.text, example.stated):
            for step in steps(line):
                key = step.removesuffix("&").strip() if in_background(step) else step
                if (reason := not_run_because(step, built_store)) is not None:
                    not_run.append(reason)
                elif key in checkout.ran:
                    assert checkout.ran[key], f"{example.where}: `{key}` failed where it ran first"
                    assert not stated, f"{example.where}: `{key}` states an output but ran first elsewhere"
                elif ASSIGNMENT.match(step):  # a variable the later lines of the block use
                    run_line(step, checkout, server, prelude)
                    prelude += local(step, checkout) + "\n"
                else:
                    checkout.ran[key] = False
                    if is_serve(key):
                        check_serve(key, checkout)
                    elif in_background(step):
                        background.append(start_background(step, checkout))
                    else:
                        run_and_check(step, stated, example.where, checkout, server, prelude)
                    checkout.ran[key] = True
    finally:
        for process in background:
            stop_group(process)
    if not_run and len(not_run) == sum(len(steps(line)) for line in example.text):
        pytest.skip("not run: " + "; ".join(not_run))
