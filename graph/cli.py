"""The `adekg` command: parses flags (with ADEKG_* environment fallbacks) and calls the stages."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

# The stages a command needs are imported in its run_ function: each `adekg` process loads only its own.
from .errors import AdekgError, StoreError
from .progress import Progress
from .records import MAX_RECORD_BYTES
from .remote_store import Endpoint, RemoteQueries, endpoint_from, is_remote
from .store import EXPORT_FORMATS, export, open_store, write_results
from .store import optimize as compact
from .store import run_query as evaluate
from .terms import CURIE_FIELDS, KEY_FIELDS, KEY_KINDS, record_terms, resolve_kind, term_kinds
from .union import dataset

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def env_path(name: str, default: Path) -> Path:
    """A path from an ADEKG_* environment variable, or the default."""
    return Path(os.environ.get(name) or default)


class EnvText(str):
    """A flag's default read from an ADEKG_* environment variable; keeps the variable's name for error messages."""

    def __new__(cls, text: str, name: str):
        value = super().__new__(cls, text)
        value.name = name
        return value


def from_env(name: str, fallback):
    """A flag's default: the environment variable's text where it is set (argparse converts and checks it only when
    that flag's command runs, so a bad value is an error of that command, not a crash of every command), else
    `fallback`."""
    text = os.environ.get(name)
    return EnvText(text, name) if text else fallback


def checked(convert, what: str):
    """An argparse type: `convert`, with an error that names the value, where it came from, and what it must be."""
    def parse(text):
        try:
            return convert(text)
        except ValueError:
            where = f" (from {text.name})" if isinstance(text, EnvText) else ""
            raise argparse.ArgumentTypeError(f"{str(text)!r}{where} is not {what}") from None
    return parse


WHOLE = checked(int, "a whole number")
NUMBER = checked(float, "a number")


def counted(text) -> int:
    """A whole number of at least 1."""
    if int(text) < 1:
        raise ValueError(text)
    return int(text)


def quarter_label(text) -> str:
    """A FAERS quarter, YYYYQn with n from 1 to 4."""
    if not re.fullmatch(r"\d{4}Q[1-4]", str(text)):
        raise ValueError(text)
    return str(text)


COUNT = checked(counted, "a whole number of at least 1")
QUARTER = checked(quarter_label, "a quarter such as 2025Q1 (YYYYQn, n from 1 to 4)")


def default_cache() -> Path:
    """The user's cache folder for adekg (XDG_CACHE_HOME, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "adekg"


def store_location(text: str) -> Path | str:
    """A --store value: a folder, or an external store's URL (kept as text: a Path would fold its '//')."""
    return text if is_remote(text) else Path(text)


def external_store(args) -> Endpoint | None:
    """The external store the flags name (credentials from the URL or ADEKG_STORE_USER/PASSWORD), or None."""
    if not is_remote(getattr(args, "store", "")):
        return None
    gsp = args.store_gsp
    return endpoint_from(args.store, args.store_update, "" if gsp == "none" else gsp,
                         os.environ.get("ADEKG_STORE_USER"), os.environ.get("ADEKG_STORE_PASSWORD"))


def parser() -> argparse.ArgumentParser:
    """Build the argument parser for every sub-command."""
    # -q/-v are accepted before or after the sub-command; SUPPRESS keeps one from resetting the other.
    noise = argparse.ArgumentParser(add_help=False)
    noise.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print nothing but errors")
    noise.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="print per-record details")
    main = argparse.ArgumentParser(prog="adekg", description="Build, query and serve the adekg knowledge graph.",
                                   parents=[noise])
    subparsers = main.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return subparsers.add_parser(name, help=help, parents=[noise])

    def with_store(command):
        command.add_argument("--store", type=store_location, default=store_location(os.environ.get("ADEKG_STORE") or
                                                                                    "adekg-data/store"),
                             help="store folder, or the http(s) URL of an external SPARQL 1.1 store's query endpoint "
                                  "(env ADEKG_STORE; default ./adekg-data/store; see docs/external-store.md)")
        command.add_argument("--store-update", default=os.environ.get("ADEKG_STORE_UPDATE"),
                             help="an external store's SPARQL Update endpoint (env ADEKG_STORE_UPDATE; default: the "
                                  "query URL)")
        command.add_argument("--store-gsp", default=os.environ.get("ADEKG_STORE_GSP"),
                             help="an external store's Graph Store Protocol endpoint (env ADEKG_STORE_GSP; default: "
                                  "Virtuoso's /sparql-graph-crud beside /sparql; 'none' for SPARQL Update only)")
        return command

    def with_ontology(command):
        command.add_argument("--ontology", type=Path,
                             default=env_path("ADEKG_ONTOLOGY", PROJECT_ROOT / "ontology"),
                             help="ontology folder (env ADEKG_ONTOLOGY)")
        return command

    def with_inputs(command):
        command.add_argument("--seeds", type=Path, default=env_path("ADEKG_SEEDS", PROJECT_ROOT / "seeds"),
                             help="folder of seed texts and records (env ADEKG_SEEDS)")
        with_ontology(command)
        command.add_argument("--max-record-bytes", type=WHOLE,
                             default=from_env("ADEKG_MAX_RECORD_BYTES", MAX_RECORD_BYTES),
                             help="largest seed YAML record accepted, in bytes (env ADEKG_MAX_RECORD_BYTES)")
        return command

    def with_cache(command):
        command.add_argument("--reasoner-cache", type=Path, default=env_path("ADEKG_REASONER_CACHE", default_cache()),
                             help="folder keeping HermiT's verdict on the ontology, the unit facts, what the checks read "
                                  "of the ontology and the SHACL results, each keyed by the SHA-256 of its inputs "
                                  "(env ADEKG_REASONER_CACHE; default ~/.cache/adekg)")
        return command

    build_command = with_cache(with_inputs(with_store(command("build", "build the store from seeds and ontology"))))
    build_command.add_argument("--no-reason", action="store_true", help="skip the reasoning stage (HermiT + rules)")
    reason_command = with_cache(with_store(command("reason", "recompute the inferences of an existing store")))
    reason_command.add_argument("--ontology", type=Path, default=env_path("ADEKG_ONTOLOGY", PROJECT_ROOT / "ontology"),
                                help="ontology folder with the rules (env ADEKG_ONTOLOGY)")
    explain_command = with_store(command("explain", "print how an inferred statement was derived, down to quotes"))
    explain_command.add_argument("iri", help="IRI (or CURIE with a known prefix) of an inferred node or inference")
    with_cache(with_inputs(command("validate", "check records, quotes and shapes; write nothing")))
    terms_command = command("terms", "list the keys and CURIEs a record may use, with labels and IRIs")
    terms_command.add_argument("kind", nargs="?", help=f"one of {', '.join(term_kinds())}; none for a summary")
    terms_command.add_argument("--ontology", type=Path, default=env_path("ADEKG_ONTOLOGY", PROJECT_ROOT / "ontology"),
                               help="ontology folder (env ADEKG_ONTOLOGY)")
    terms_command.add_argument("--format", default="table", choices=["table", "tsv"])
    export_command = with_store(command("export", "write the graph in an RDF syntax"))
    export_command.add_argument("--format", required=True, choices=sorted(EXPORT_FORMATS))
    export_command.add_argument("--graph", help="IRI of one named graph to export")
    export_command.add_argument("-o", "--output", default="-", help="output file, or - for standard output")
    query_command = with_store(command("query", "run a SPARQL query"))
    query_command.add_argument("query", help="the query text, or @file.rq")
    query_command.add_argument("--format", default="table", choices=["table", "json", "csv", "tsv"])
    serve = with_cache(with_inputs(with_store(command("serve", "build if needed, then serve read-only"))))
    serve.add_argument("--host", default=os.environ.get("ADEKG_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=WHOLE, default=from_env("ADEKG_PORT", 5000))
    serve.add_argument("--workers", type=WHOLE, default=from_env("ADEKG_WORKERS", 2),
                       help="query worker processes kept running (env ADEKG_WORKERS)")
    serve.add_argument("--max-workers", type=WHOLE, default=from_env("ADEKG_MAX_WORKERS", 16),
                       help="most query worker processes at once; more start on demand (env ADEKG_MAX_WORKERS)")
    serve.add_argument("--timeout", type=NUMBER, default=from_env("ADEKG_TIMEOUT", 30.0),
                       help="seconds a request may run before its worker is killed and it is answered 503 (env ADEKG_TIMEOUT)")
    serve.add_argument("--max-query-memory", type=WHOLE, default=from_env("ADEKG_MAX_QUERY_MEMORY", 512),
                       help="MiB of resident memory a busy worker may use before it is killed and the request is "
                            "answered 507; 0 for no limit (env ADEKG_MAX_QUERY_MEMORY)")
    serve.add_argument("--max-total-memory", type=WHOLE, default=from_env("ADEKG_MAX_TOTAL_MEMORY", 1024),
                       help="MiB that all running queries together may add to their workers; past it the largest is "
                            "killed (507); 0 for no limit (env ADEKG_MAX_TOTAL_MEMORY)")
    serve.add_argument("--client-budget", type=NUMBER, default=from_env("ADEKG_CLIENT_BUDGET", 60.0),
                       help="seconds of query time a client address may use per --budget-window, then 429; 0 for "
                            "no budget (env ADEKG_CLIENT_BUDGET)")
    serve.add_argument("--budget-window", type=NUMBER, default=from_env("ADEKG_BUDGET_WINDOW", 60.0),
                       help="seconds over which the client budget refills (env ADEKG_BUDGET_WINDOW)")
    serve.add_argument("--client-concurrency", type=WHOLE, default=from_env("ADEKG_CLIENT_CONCURRENCY", 4),
                       help="requests of one client address run at once; the rest wait their turn (env "
                            "ADEKG_CLIENT_CONCURRENCY)")
    serve.add_argument("--trust-forwarded", action="store_true",
                       default=os.environ.get("ADEKG_TRUST_FORWARDED", "") not in ("", "0"),
                       help="take the client address from X-Forwarded-For; only behind a proxy that sets it (env "
                            "ADEKG_TRUST_FORWARDED=1)")
    serve.add_argument("--max-connections", type=WHOLE, default=from_env("ADEKG_MAX_CONNECTIONS", 500),
                       help="open connections at once; past it requests get 503 (env ADEKG_MAX_CONNECTIONS)")
    serve.add_argument("--write-timeout", type=NUMBER, default=from_env("ADEKG_WRITE_TIMEOUT", 60.0),
                       help="seconds a client may leave its response unread before the connection is closed (env "
                            "ADEKG_WRITE_TIMEOUT)")
    serve.add_argument("--header-timeout", type=NUMBER, default=from_env("ADEKG_HEADER_TIMEOUT", 30.0),
                       help="seconds a client may take to send a request's headers, else 408; 0 for none (env "
                            "ADEKG_HEADER_TIMEOUT)")
    serve.add_argument("--max-body", type=WHOLE, default=from_env("ADEKG_MAX_BODY", 1000000),
                       help="largest request body in bytes, else 413 (env ADEKG_MAX_BODY)")
    serve.add_argument("--max-triples", type=WHOLE, default=from_env("ADEKG_MAX_TRIPLES", 1000000),
                       help="cap on triples a CONSTRUCT/DESCRIBE returns (env ADEKG_MAX_TRIPLES)")
    serve.add_argument("--max-rows", type=WHOLE, default=from_env("ADEKG_MAX_ROWS", 100000),
                       help="cap on rows a SELECT returns, as a LIMIT; 0 for none (env ADEKG_MAX_ROWS)")
    serve.add_argument("--max-result-bytes", type=WHOLE,
                       default=from_env("ADEKG_MAX_RESULT_BYTES", 512 * 2**20),
                       help="cap on the size of one serialised result (env ADEKG_MAX_RESULT_BYTES)")
    serve.add_argument("--service-allow", default=os.environ.get("ADEKG_SERVICE_ALLOW", ""),
                       help="comma-separated endpoint IRIs that SERVICE may call; none by default (env ADEKG_SERVICE_ALLOW)")
    serve.add_argument("--cache", type=WHOLE, default=from_env("ADEKG_CACHE_ENTRIES", 256),
                       help="answers kept per worker for repeated queries, 0 to disable (env ADEKG_CACHE_ENTRIES)")
    serve.add_argument("--max-depth", type=WHOLE, default=from_env("ADEKG_MAX_DEPTH", 128),
                       help="deepest bracket nesting a query may have (and 8x as many chain links: UNION, ||, /, ...), "
                            "else 400; 0 for none (env ADEKG_MAX_DEPTH)")
    synth = with_ontology(command("synth-faers", "write a seeded synthetic FAERS quarterly extract with planted signals"))
    synth.add_argument("--reports", type=COUNT, required=True, help="number of cases")
    synth.add_argument("--out", type=Path, required=True, help="folder to write the extract into (new or empty)")
    synth.add_argument("--seed", type=WHOLE, default=1)
    synth.add_argument("--quarter", type=QUARTER, default="2025Q1", help="quarter label, e.g. 2025Q1")
    faers = with_ontology(with_store(command("import-faers", "import one FAERS quarterly ASCII extract, then recompute the signals")))
    faers.add_argument("folder", type=Path, help="folder holding the seven tables (and Deleted/)")
    faers.add_argument("--max-bad-fraction", type=NUMBER, default=0.01,
                       help="refuse the extract if more than this fraction of rows is malformed (default 0.01)")
    faers.add_argument("--no-signals", action="store_true", help="do not recompute the signals")
    faers.add_argument("--report", type=Path, metavar="FILE.json",
                       help="also write the whole import report as JSON: every unmatched drug name with its count "
                            "(most frequent first), the malformed rows (the first 1,000) with file and line")
    faers.add_argument("--to-file", type=Path, metavar="FILE.nq[.gz]",
                       help="write the quarter's graph and provenance as N-Quads for the store's own bulk loader "
                            "instead of into the store (which is only read; no signals: run `adekg signals` after "
                            "loading the file)")
    signals = with_store(command("signals", "recompute the disproportionality signals over the imported reports"))
    for tallied in (faers, signals):
        tallied.add_argument("--tallies", type=Path, default=os.environ.get("ADEKG_TALLIES") or None,
                             help="folder keeping each import's report counts for the signals (env ADEKG_TALLIES; "
                                  "default <store>/faers-tallies, or for an external store "
                                  "~/.cache/adekg/faers-tallies/<hash of its URL>)")
    with_store(command("optimize", "compact the store (a new generation), e.g. after `adekg signals`"))
    load = with_store(command("load", "bulk-load RDF files into a named graph, with provenance"))
    load.add_argument("files", type=Path, nargs="+")
    load.add_argument("--graph", required=True, help="IRI of the named graph to (re)place")
    return main


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `adekg` console command."""
    args = parser().parse_args(argv)
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    progress = Progress(0 if quiet else 2 if verbose else 1)
    try:
        args.store = external_store(args) or getattr(args, "store", None)
        return COMMANDS[args.command](args, progress)
    except AdekgError as error:
        for problem in error.each():
            print(f"adekg: {problem.one_line()}", file=sys.stderr)
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped reading: not an error of ours; silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("adekg: interrupted", file=sys.stderr)
        return 130
    return 1


def run_build(args, progress) -> int:
    """adekg build."""
    from . import build as build_stage
    build_stage.build(args.store, args.seeds, args.ontology, progress, reasoning=not args.no_reason,
                      reasoner_cache=args.reasoner_cache, max_record_bytes=args.max_record_bytes)
    return 0


def run_reason(args, progress) -> int:
    """adekg reason."""
    from . import build as build_stage
    build_stage.rereason(args.store, args.ontology, progress, args.reasoner_cache)
    return 0


def run_explain(args, progress) -> int:
    """adekg explain."""
    from .explain import explain
    sys.stdout.write(explain(open_store(args.store), args.iri))
    return 0


def run_validate(args, progress) -> int:
    """adekg validate."""
    from . import build as build_stage
    count = build_stage.validate(args.seeds, args.ontology, progress, args.max_record_bytes, args.reasoner_cache)
    if progress.level:
        print(f"valid: {count} quads would be written", file=sys.stderr)
    return 0


def run_terms(args, progress) -> int:
    """adekg terms."""
    from .ontology import load_ontology_graph
    ontology = load_ontology_graph(args.ontology)
    if args.kind is None:
        rows = [(kind, str(len(record_terms(ontology, kind))), ", ".join(fields_taking(kind)))
                for kind in term_kinds()]
        write_rows(("kind", "terms", "record fields"), rows, args.format)
        if args.format == "table":
            print("\n`adekg terms KIND` lists the terms of one kind.")
        return 0
    kind = resolve_kind(args.kind)
    if kind is None:
        raise AdekgError(f"unknown kind of term {args.kind!r} (one of {', '.join(term_kinds())})")
    terms = record_terms(ontology, kind)
    if kind == "test":
        write_rows(("key", "label", "IRI", "quantity kind"), terms, args.format)
    else:
        write_rows(("key" if kind in KEY_KINDS else "CURIE", "label", "IRI"), [term[:3] for term in terms], args.format)
    return 0


def fields_taking(kind: str) -> list[str]:
    """The record fields whose values are terms of a kind (the CURIE fields for every CURIE prefix)."""
    if kind in KEY_KINDS:
        return [field for field, field_kind in KEY_FIELDS.items() if field_kind == kind]
    return list(CURIE_FIELDS)


def write_rows(header: tuple[str, ...], rows: list[tuple[str, ...]], output_format: str) -> None:
    """Print rows under a header, as aligned columns or as tab-separated values."""
    if output_format == "tsv":
        for row in (header, *rows):
            print("\t".join(row))
        return
    widths = [max(len(str(row[column])) for row in (header, *rows)) for column in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def run_export(args, progress) -> int:
    """adekg export."""
    store = open_store(args.store)
    if args.output == "-":
        export(store, sys.stdout.buffer, args.format, args.graph)
        sys.stdout.buffer.flush()
    else:
        with open(args.output, "wb") as output:
            export(store, output, args.format, args.graph)
    return 0


def run_query(args, progress) -> int:
    """adekg query."""
    text = args.query
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise StoreError(f"cannot read query file ({error.strerror})", file=text[1:]) from None
    if is_remote(args.store):  # the external store answers over its own default graph
        results = evaluate(RemoteQueries(args.store), text)
    else:
        target, union = dataset(open_store(args.store), text)  # the endpoint's dataset: FROM, else the union as a set
        results = evaluate(target, text, union)
    write_results(results, sys.stdout.buffer, args.format)
    sys.stdout.buffer.flush()
    return 0


def run_serve(args, progress) -> int:
    """adekg serve: (re)build the store if it is missing or not built from these inputs, then start the front."""
    from . import build as build_stage
    # An external store is served as it is: `adekg build --store URL` writes it (docs/external-store.md).
    stale = None if is_remote(args.store) else build_stage.stale_inputs(args.store, args.seeds, args.ontology)
    if stale:
        if progress.level:
            print(f"adekg serve: building {args.store} first, because {stale}", file=sys.stderr)
        build_stage.build(args.store, args.seeds, args.ontology, progress, reasoner_cache=args.reasoner_cache,
                          max_record_bytes=args.max_record_bytes)
    if is_remote(args.store):  # the workers send queries there; credentials go by environment, not argv
        os.environ.update({name: value for name, value in (("ADEKG_STORE_USER", args.store.user),
                                                             ("ADEKG_STORE_PASSWORD", args.store.password)) if value})
    store = args.store.query if is_remote(args.store) else str(args.store.absolute())  # not resolved: the workers
    # follow the store's current generation
    config = {"MAX_CONTENT_LENGTH": args.max_body, "ADEKG_MAX_TRIPLES": args.max_triples,
              "ADEKG_MAX_ROWS": args.max_rows, "ADEKG_MAX_RESULT_BYTES": args.max_result_bytes,
              "ADEKG_SERVICE_ALLOW": [iri.strip() for iri in args.service_allow.split(",") if iri.strip()],
              "ADEKG_CACHE_ENTRIES": args.cache, "ADEKG_MAX_DEPTH": args.max_depth, "ADEKG_REMOTE_TIMEOUT": args.timeout}
    mib = 2**20
    settings = {"front": {"host": args.host, "port": args.port, "max_body": args.max_body,
                          "trust_forwarded": args.trust_forwarded, "max_connections": args.max_connections,
                          "write_timeout": args.write_timeout, "header_timeout": args.header_timeout},
                "pool": {"store_path": store, "config": config, "min_workers": args.workers,
                         "max_workers": max(args.workers, args.max_workers), "timeout": args.timeout,
                         "max_query_memory": args.max_query_memory * mib, "max_total_memory": args.max_total_memory * mib,
                         "client_budget": args.client_budget, "budget_window": args.budget_window,
                         "client_concurrency": args.client_concurrency}}
    if progress.level:
        print(f"serving {store} on http://{args.host}:{args.port}/sparql", file=sys.stderr)
    os.chdir(PROJECT_ROOT)  # `python -m server` must find this checkout's package
    os.execv(sys.executable, [sys.executable, "-m", "server", json.dumps(settings)])
    return 0


def run_synth_faers(args, progress) -> int:
    """adekg synth-faers."""
    from .faers import ExtractError
    from .faers_synth import ontology_drug_keys, synthesize
    if args.out.exists() and not args.out.is_dir():
        raise ExtractError("is a file, not a folder to write the extract into", file=str(args.out))
    if args.out.is_dir() and any(args.out.iterdir()):
        raise ExtractError("is not empty: synth-faers writes a new extract into a new or empty folder (it would "
                           "overwrite or mix with what is there)", file=str(args.out))
    summary = synthesize(args.out, args.reports, ontology_drug_keys(args.ontology), args.seed, args.quarter)
    if progress.level:
        print(f"wrote {summary['cases']} cases ({summary['versions']} report versions, {summary['deleted']} deleted, "
              f"{summary['malformed_rows']} malformed rows) to {args.out}; planted: "
              + "; ".join(f"{'/'.join(p['drugs'])} x {p['reaction']}" for p in summary["planted"]), file=sys.stderr)
    return 0


def run_import_faers(args, progress) -> int:
    """adekg import-faers."""
    from .faers_import import import_faers
    from .signals_tally import folder_of
    started = time.perf_counter()
    report = import_faers(args.store, args.folder, args.ontology, args.max_bad_fraction, not args.no_signals,
                          args.tallies or folder_of(args.store, default_cache()), args.to_file)
    for line in report.lines() if progress.level else []:
        print(line, file=sys.stderr)
    if args.report is not None:
        temporary = args.report.with_name(f".{args.report.name}.tmp-{os.getpid()}")
        temporary.write_text(json.dumps(report.document(), indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, args.report)
    where = f"{args.to_file} (N-Quads; load it with the store's bulk loader, then run `adekg signals`)" \
        if args.to_file else args.store
    progress.stage("import", f"{report.triples} triples of graph faers/{report.quarter} into {where}", started)
    return 0


def run_signals(args, progress) -> int:
    """adekg signals."""
    from .signals import update_signals
    from .signals_tally import folder_of
    started = time.perf_counter()
    table = update_signals(args.store, tallies=args.tallies or folder_of(args.store, default_cache()))
    progress.stage("signals", f"{len(table)} drug/class-reaction pairs stored, {int(table['signal'].sum()) if len(table) else 0} "
                   "flagged", started)
    return 0


def run_load(args, progress) -> int:
    """adekg load."""
    from .rdf_load import load_into_store
    started = time.perf_counter()
    triples = load_into_store(args.store, args.files, args.graph)
    progress.stage("load", f"{triples} triples into {args.graph}", started)
    return 0


def run_optimize(args, progress) -> int:
    """adekg optimize."""
    started = time.perf_counter()
    compact(args.store)
    progress.stage("optimize", f"compacted {args.store}", started)
    return 0


COMMANDS = {"build": run_build, "reason": run_reason, "explain": run_explain, "validate": run_validate,
            "terms": run_terms, "export": run_export, "query": run_query, "serve": run_serve,
            "synth-faers": run_synth_faers, "import-faers": run_import_faers, "signals": run_signals, "load": run_load,
            "optimize": run_optimize}

if __name__ == "__main__":
    sys.exit(main())
