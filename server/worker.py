"""A query-worker process: opens the current store generation, runs the Flask app for requests the front sends.

The front (server/front.py) reads each request completely and hands it over a socket; the worker answers with the
status, headers and body (inline, or in a file under the front's spool folder when large), so a slow client never
holds a worker. The front kills a worker that overruns its time or memory; nothing here needs to guard against it.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import signal
import socket
import struct
import sys
import tempfile
import traceback
from pathlib import Path
from urllib.parse import unquote_to_bytes


FRAME = struct.Struct("!Q")
CONFIG_VARIABLE = "ADEKG_WORKER_CONFIG"  # set by the pool before its fork server starts, so the app is built there
STORE_VARIABLE = "ADEKG_WORKER_STORE"    # likewise: the store path whose union view the fork server makes


def template_app():
    """The Flask app built once in the fork server (compiling its routes takes ~0.2 s), or None.

    It is created on an empty in-memory store (creating it evaluates nothing) with the union view of the store's
    current generation; each forked worker puts its own store in before answering and shares that view, so a new
    worker costs a fork and opening the store.
    """
    config = os.environ.get(CONFIG_VARIABLE)
    if config is None:
        return None
    from pyoxigraph import Store

    from . import create_app
    app = create_app(store=Store(), config=json.loads(config))
    from . import fast_path  # noqa: F401 - loaded once here, not in each forked worker
    from .remote import is_remote
    if os.environ.get(STORE_VARIABLE) and not is_remote(os.environ[STORE_VARIABLE]):  # an external store has its own
        share_union(app.extensions["adekg_limits"].union, os.environ[STORE_VARIABLE])
    warm_up(app)
    return app


def warm_up(app) -> None:
    """Do here, once, the work every worker would otherwise repeat on its first requests.

    rdflib's SPARQL grammar takes ~50 ms on its first parse (the SERVICE check), and the case documents of /api/
    list the union view's subjects once per view.
    """
    from .linked_data import subjects_under
    from .query_checks import service_targets
    service_targets("ASK { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "http://localhost/")
    view = app.extensions["adekg_limits"].union.get("view")
    if view is not None:
        with app.app_context():
            subjects_under(view, "https://")


def share_union(cache: dict, store_path: str) -> None:
    """Put the union view of the current generation in cache, read by a short-lived child process.

    The child opens the store so that this process never does: RocksDB leaves threads behind even once closed,
    and a process with threads cannot be forked safely; the child's end also releases the generation's lock.
    If it fails, cache stays as it was and every worker makes its own view.
    """
    from .generation import open_reader
    from .results import union_ntriples, union_store
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(readable)
            reader = open_reader(Path(store_path))
            with os.fdopen(writable, "wb") as out:
                pickle.dump((str(reader.generation), union_ntriples(reader.store)), out)
        except BaseException:  # noqa: BLE001 - the parent sees an empty pipe; the reason goes to stderr
            traceback.print_exc()
        finally:
            os._exit(0)
    os.close(writable)
    with os.fdopen(readable, "rb") as source:
        payload = source.read()
    os.waitpid(pid, 0)
    if payload:
        generation, data = pickle.loads(payload)  # noqa: S301 - written by our own child just above
        cache.update(store=None, generation=generation, view=None if data is None else union_store(data))


def adopt_union(cache: dict, reader) -> None:
    """Use the fork server's union view if it was made from this worker's generation, else make one now.

    Made before the worker says it is ready, so that no query waits for it and its memory counts in the worker's
    base size rather than as a query's growth.
    """
    from .results import union_view
    if cache.get("generation") == str(reader.generation):
        cache["store"] = reader.store
    else:
        union_view(reader.store, cache)


TEMPLATE = template_app()


def send_message(channel: socket.socket, value) -> None:
    """Write one length-prefixed pickled message."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    channel.sendall(FRAME.pack(len(data)) + data)


def receive_message(channel: socket.socket):
    """Read one message, or None when the other side has closed."""
    header = receive_exactly(channel, FRAME.size)
    if header is None:
        return None
    data = receive_exactly(channel, FRAME.unpack(header)[0])
    return None if data is None else pickle.loads(data)  # noqa: S301 - the peer is our own front process


def receive_exactly(channel: socket.socket, size: int) -> bytes | None:
    """Exactly size bytes, or None at end of stream."""
    parts, missing = [], size
    while missing:
        chunk = channel.recv(min(missing, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def wsgi_environ(request: dict) -> dict:
    """The WSGI environ of a request the front read completely (its body in memory, its length known)."""
    body = request["body"]
    environ = {
        "REQUEST_METHOD": request["method"], "SCRIPT_NAME": "",
        # WSGI wants the percent-decoded path as bytes read as latin-1; undecodable bytes stay as they are.
        "PATH_INFO": unquote_to_bytes(request["path"]).decode("latin-1"),
        "QUERY_STRING": request["query_string"].decode("latin-1"),
        "SERVER_NAME": request["server"][0], "SERVER_PORT": str(request["server"][1]),
        "SERVER_PROTOCOL": "HTTP/" + request["http_version"], "REMOTE_ADDR": request["client"][0],
        "REMOTE_PORT": str(request["client"][1]), "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": request["scheme"], "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    for name, value in request["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is complete: its real length is set above
        key = key if key == "CONTENT_TYPE" else "HTTP_" + key
        text = value.decode("latin-1")
        environ[key] = environ[key] + "," + text if key in environ else text
    return environ


def respond(app, request: dict, spool_dir: str, inline_limit: int) -> tuple:
    """(status code, headers, body bytes or None, body file path or None) of one request through the app."""
    from .fast_path import fast_answer  # imported by the fork server's template_app; the front does without it

    fast = fast_answer(app, request)
    if fast is not None:
        code, headers, result = fast
    else:
        started: list = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]

        result = app(wsgi_environ(request), start_response)
    chunks, size, spill = [], 0, None
    try:
        for chunk in result:
            size += len(chunk)
            if spill is not None:
                spill.write(chunk)
                continue
            chunks.append(chunk)
            if size > inline_limit:
                spill = tempfile.NamedTemporaryFile(dir=spool_dir, prefix=f"{os.getpid()}-", delete=False)  # noqa: SIM115
                spill.writelines(chunks)
                chunks.clear()
    finally:
        if hasattr(result, "close"):
            result.close()
        if spill is not None:
            spill.close()
    if fast is None:
        status, headers = started
        code = int(status.split(" ", 1)[0])
    if spill is not None:
        return code, headers, None, spill.name
    return code, headers, b"".join(chunks), None


def main(channel: socket.socket, store_path: str, config: dict, spool_dir: str, inline_limit: int) -> None:
    """Open the current generation, say which one, then answer requests until the front closes the channel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the front decides
    from . import create_app
    from .generation import open_reader
    from .sparql import build_id
    from .remote import is_remote, open_remote
    try:
        reader = open_remote(store_path, config) if is_remote(store_path) else open_reader(Path(store_path))
        if TEMPLATE is not None and json.loads(os.environ[CONFIG_VARIABLE]) == config:
            app = TEMPLATE
            app.extensions["adekg_store"], app.extensions["adekg_build"] = reader.store, build_id(reader.generation)
            adopt_union(app.extensions["adekg_limits"].union, reader)
        else:
            app = create_app(store=reader.store, config={**config, "ADEKG_BUILD_ID": build_id(reader.generation)})
    except Exception as error:  # noqa: BLE001 - reported to the front as a one-line reason
        send_message(channel, ("failed", f"{type(error).__name__}: {error}".splitlines()[0]))
        return
    send_message(channel, ("ready", str(reader.generation or store_path)))
    while (request := receive_message(channel)) is not None:
        try:
            reply = respond(app, request, spool_dir, inline_limit)
        except Exception as error:  # noqa: BLE001 - the front answers 500 with this reason
            traceback.print_exc()
            reply = (500, [], f"request failed: {type(error).__name__}: {error}".splitlines()[0].encode(), None)
        send_message(channel, reply)
