"""Run query work under the configured timeout, the cheapest way the WSGI server allows."""
from __future__ import annotations

import time
from typing import Callable

from flask import current_app, request

from .executor import Timeout
from .watchdog import raw_response

__all__ = ["Timeout", "guarded", "stopped_message"]


def stopped_message(timeout: float) -> str:
    """The one-line reason given with a 503 for an overrunning query."""
    return f"query stopped: it ran longer than the {timeout:g} s limit; narrow it or add a LIMIT"


def guarded(work: Callable[[], object], timeout: float):
    """work() within timeout seconds; raise Timeout if not (or, in a sync gunicorn worker, answer 503 and exit)."""
    deadline = time.monotonic() + timeout
    client = request.environ.get("gunicorn.socket")
    if client is not None and not request.environ.get("wsgi.multithread"):
        # One request at a time in this process: evaluate on this thread, no hand-off.
        watchdog = current_app.extensions["adekg_watchdog"]
        watchdog.arm(deadline, client, lambda: raw_response(
            "503 Service Unavailable", stopped_message(timeout),
            {"Retry-After": "1", "Access-Control-Allow-Origin": "*"}))
        try:
            return work()
        finally:
            watchdog.disarm()
    return current_app.extensions["adekg_executor"].call(work, deadline)
