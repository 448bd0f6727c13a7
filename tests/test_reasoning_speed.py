"""graph/hermit.py + the reasoning stage: HermiT sees only the ontology, its verdict is cached, java dies with its build."""
from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.build import Progress
from graph.content_cache import cache_path
from graph.hermit import CACHE_KIND, classify, input_digest

from .conftest import ONTOLOGY, ROOT

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java (.ci/run installs it)")

TINY_ONTOLOGY = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:owl="http://www.w3.org/2002/07/owl#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <owl:Ontology rdf:about="https://w3id.org/adekg/ontology"/>
  <owl:Class rdf:about="https://w3id.org/adekg/ontology/A"/>
  <owl:Class rdf:about="https://w3id.org/adekg/ontology/B">
    <owl:disjointWith rdf:resource="https://w3id.org/adekg/ontology/A"/></owl:Class>
  <owl:Class rdf:about="https://w3id.org/adekg/ontology/Broken">
    <rdfs:subClassOf rdf:resource="https://w3id.org/adekg/ontology/A"/>
    <rdfs:subClassOf rdf:resource="https://w3id.org/adekg/ontology/B"/></owl:Class>
  {extra}
</rdf:RDF>
"""


def tiny_ontology(folder: Path, extra: str = "") -> Path:
    """An ontology folder with a three-class release and no import modules (HermiT answers in a second)."""
    (folder / "imports").mkdir(parents=True)
    (folder / "adekg.owl").write_text(TINY_ONTOLOGY.replace("{extra}", extra), encoding="utf-8")
    return folder


def fake_java(folder: Path) -> Path:
    """A PATH folder whose `java` only records that it was started, then fails."""
    folder.mkdir()
    java = folder / "java"
    java.write_text(f"#!/bin/sh\ntouch {folder / 'started'}\nexit 3\n")
    java.chmod(0o755)
    return folder


def build_with_path(store: Path, cache: Path, path_dir: Path, ontology: Path = ONTOLOGY) -> subprocess.CompletedProcess:
    """`adekg build` in a subprocess whose PATH starts with path_dir."""
    env = dict(os.environ, PATH=f"{path_dir}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "graph.cli", "build", "--store", str(store), "--reasoner-cache",
                           str(cache), "--ontology", str(ontology)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)


@needs_java
def test_a_warm_build_does_not_start_java(reasoner_cache, tmp_path):
    classify(ONTOLOGY, reasoner_cache)   # the suite's cache holds the verdict for this ontology
    path_dir = fake_java(tmp_path / "bin")
    result = build_with_path(tmp_path / "store", reasoner_cache, path_dir)
    assert result.returncode == 0, result.stderr
    assert not (path_dir / "started").exists()
    assert re.search(r"HermiT \d+ new types \(cached\)", result.stderr)


def test_a_changed_ontology_misses_the_cache_and_starts_java(reasoner_cache, tmp_path):
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, ontology)
    with open(ontology / "imports" / "ro_import.owl", "a", encoding="utf-8") as module:
        module.write("\n<!-- an edit -->\n")
    assert input_digest(ontology) != input_digest(ONTOLOGY)
    path_dir = fake_java(tmp_path / "bin")
    result = build_with_path(tmp_path / "store", reasoner_cache, path_dir, ontology)
    assert (path_dir / "started").exists()
    assert result.returncode == 1 and "HermiT failed (exit 3)" in result.stderr.splitlines()[-1]
    assert not cache_path(reasoner_cache, CACHE_KIND, input_digest(ontology)).exists()


def test_the_digest_covers_every_ontology_file_and_not_the_rules(tmp_path):
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, ontology)
    before = input_digest(ontology)
    (ontology / "rules" / "99-extra.rq").write_text("# not read by HermiT\nCONSTRUCT {} WHERE {}\n")
    (ontology / "shapes.ttl").write_text("# neither is this\n")
    assert input_digest(ontology) == before
    (ontology / "imports" / "extra_import.owl").write_text("<rdf:RDF/>")
    assert input_digest(ontology) != before


@needs_java
def test_hermit_reports_unsatisfiable_classes_and_caches_them(tmp_path):
    ontology = tiny_ontology(tmp_path / "ontology")
    result = classify(ontology, tmp_path / "cache")
    assert result.consistent and not result.cached
    assert result.unsatisfiable == ("https://w3id.org/adekg/ontology/Broken",)
    again = classify(ontology, tmp_path / "cache")
    assert again.cached and again.unsatisfiable == result.unsatisfiable


@needs_java
def test_hermit_reports_an_inconsistent_ontology(tmp_path):
    member = ('<owl:NamedIndividual rdf:about="https://w3id.org/adekg/x">'
              '<rdf:type rdf:resource="https://w3id.org/adekg/ontology/Broken"/></owl:NamedIndividual>')
    result = classify(tiny_ontology(tmp_path / "ontology", member), None)
    assert not result.consistent and "inconsistent" in result.message


def java_children(parent: int) -> list[int]:
    """PIDs of running java processes whose parent is `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and command.endswith(b"java"):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@needs_java
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_a_build_during_hermit_leaves_no_java_behind(tmp_path):
    build = subprocess.Popen([sys.executable, "-m", "graph.cli", "build", "-q", "--store", str(tmp_path / "store"),
                              "--reasoner-cache", str(tmp_path / "cold-cache")], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, java = time.monotonic() + 300, []
        while not java and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            java = java_children(build.pid)
        assert java, "the build never started HermiT"
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in java) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [pid for pid in java if alive(pid)]
    finally:
        if build.poll() is None:
            build.kill()
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], f"java {survivors} outlived its build"


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_shows_a_bar_on_a_terminal_and_erases_it():
    stream = Terminal()
    progress = Progress(1, stream)
    started = progress.begin("reason", "the rules")
    for done in range(1, 5):
        progress.count("reason", done, 4, "rules")
    progress.stage("reason", "4 rules", started)
    text = stream.getvalue()
    assert text.startswith("[reason     ] the rules ...\n")
    assert "\r[reason     ] [########################] 4/4 rules" in text
    assert text.endswith("\r\x1b[K[reason     ] 4 rules (" + text.rsplit("(", 1)[1])


def test_progress_counts_stay_off_pipes_and_quiet_runs():
    for progress, stream in ((Progress(1, io.StringIO()), None), (Progress(0, Terminal()), None)):
        progress.count("reason", 3, unit="s in HermiT")
        assert progress.stream.getvalue() == ""


# Case individuals with a type missing: a lab observation known only by its test (rule 01, the domain of
# ade:labTest) and a drug given a proteasome-inhibitor role (rule 00, ade:ProteasomeInhibitor's definition).
PROBES = """
@prefix ade: <https://w3id.org/adekg/ontology/> . @prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix data: <https://w3id.org/adekg/data/> .
data:probe\\/observation ade:labTest <https://w3id.org/adekg/test/ldh> .
data:probe\\/drug a ade:Drug ; obo:RO_0000087 data:probe\\/role .
data:probe\\/role a obo:CHEBI_52726 .
"""


def test_the_case_rules_infer_the_types_hermit_would_from_definitions_domains_and_ranges(reasoner_cache):
    from pyoxigraph import NamedNode, Quad, RdfFormat, parse

    from graph.build import in_memory, ontology_documents
    from graph.reason import reason
    from graph.terms import source_graph

    probes = [Quad(t.subject, t.predicate, t.object, NamedNode(source_graph("probe")))
              for t in parse(PROBES.encode(), RdfFormat.TURTLE)]
    output = reason(in_memory(probes, list(ontology_documents(ONTOLOGY))), ONTOLOGY, reasoner_cache)
    types = {(q.subject.value.rsplit("/", 1)[1], q.object.value.rsplit("/", 1)[1]) for q in output.quads
             if q.predicate.value.endswith("#type") and q.subject.value.startswith("https://w3id.org/adekg/data/")}
    assert types == {("observation", "LabObservation"), ("drug", "ProteasomeInhibitor")}
    explained = {(q.subject.value.rsplit("/", 1)[1]) for q in output.quads
                 if q.predicate.value.endswith("derivedBy") and "/rule/0" in q.object.value}
    assert len(explained) == 2
