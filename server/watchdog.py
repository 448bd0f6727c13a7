"""Stop a query that overruns its deadline in a single-threaded server worker.

The query runs on the request thread; pyoxigraph releases the GIL while it evaluates and cannot be interrupted,
so at the deadline this thread writes the 503 itself on the client's socket and ends the process, taking the
query with it (gunicorn's arbiter forks a replacement). Arming and disarming cost two attribute writes and a lock.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import Callable

STOPPED_EXIT_CODE = 1  # not gunicorn's 3 (boot error) or 4 (app load error), which would halt the arbiter


class Watchdog:
    """One polling thread per process that answers 503 and exits when the armed deadline passes."""

    def __init__(self, poll: float = 0.05, exit: Callable[[int], None] = os._exit):
        self.poll, self.exit = poll, exit
        self.lock = threading.Lock()
        self.armed: tuple | None = None
        self.started = False
        os.register_at_fork(after_in_child=self.forget_thread)  # a forked worker starts its own thread

    def forget_thread(self) -> None:
        """In a forked child the parent's thread does not exist."""
        self.started, self.armed = False, None

    def arm(self, deadline: float, client: socket.socket, response: Callable[[], bytes]) -> None:
        """Watch the current request: past the deadline, send response() on client and exit."""
        if not self.started:
            self.started = True
            threading.Thread(target=self.watch, daemon=True, name="adekg-watchdog").start()
        self.armed = (deadline, client, response)

    def disarm(self) -> None:
        """The request finished in time (blocks for good if the watchdog is already stopping the process)."""
        with self.lock:
            self.armed = None

    def watch(self) -> None:
        """Poll the armed deadline."""
        while True:
            time.sleep(self.poll)
            armed = self.armed
            if armed is None or time.monotonic() < armed[0]:
                continue
            with self.lock:
                if self.armed is armed:
                    self.stop(armed[1], armed[2]())
                    self.armed = None

    def stop(self, client: socket.socket, response: bytes) -> None:
        """Answer on the socket, close our side, and end the process."""
        try:
            client.sendall(response)
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client went away; the process must still end
        sys.stderr.write(f"adekg: worker {os.getpid()} stopped an overrunning query and exits\n")
        sys.stderr.flush()
        self.exit(STOPPED_EXIT_CODE)


def raw_response(status: str, message: str, headers: dict[str, str]) -> bytes:
    """A complete HTTP/1.1 response with a text/plain body, for writing directly on a socket."""
    body = (message + "\n").encode("utf-8")
    lines = [f"HTTP/1.1 {status}", "Content-Type: text/plain; charset=utf-8", f"Content-Length: {len(body)}",
             "Connection: close", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
