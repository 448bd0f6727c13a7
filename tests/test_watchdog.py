"""The watchdog that answers 503 on the client's socket and ends a worker whose query overran."""
import socket
import threading
import time

import pytest

from server.executor import Executor, Timeout
from server.watchdog import STOPPED_EXIT_CODE, Watchdog, raw_response


def exits():
    """A stand-in for os._exit that records the code (the real one would end pytest)."""
    codes, called = [], threading.Event()

    def exit_(code):
        codes.append(code)
        called.set()
    return codes, called, exit_


def response():
    return raw_response("503 Service Unavailable", "query stopped", {"Retry-After": "1"})


def test_overrun_is_answered_on_the_socket_and_the_process_ends():
    codes, called, exit_ = exits()
    watchdog = Watchdog(poll=0.01, exit=exit_)
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        started = time.monotonic()
        watchdog.arm(started + 0.1, server_side, response)
        assert called.wait(2)
        assert 0.1 <= time.monotonic() - started < 1.0 and codes == [STOPPED_EXIT_CODE]
        received = b""
        while chunk := client_side.recv(4096):   # the watchdog closed its side for writing
            received += chunk
    head, body = received.split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n") and b"Retry-After: 1" in head
    assert f"Content-Length: {len(body)}".encode() in head and body == b"query stopped\n"


def test_a_request_that_finishes_in_time_is_left_alone():
    codes, called, exit_ = exits()
    watchdog = Watchdog(poll=0.01, exit=exit_)
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        for _ in range(20):
            watchdog.arm(time.monotonic() + 0.05, server_side, response)
            watchdog.disarm()
        assert not called.wait(0.3) and codes == []
        with pytest.raises(BlockingIOError):   # nothing was written on the socket
            client_side.recv(10, socket.MSG_DONTWAIT)


def test_executor_returns_results_errors_and_times_out():
    executor = Executor()
    assert executor.call(lambda: 42, time.monotonic() + 1) == 42
    with pytest.raises(ZeroDivisionError):   # the work's exception is raised on the calling thread
        executor.call(lambda: 1 / 0, time.monotonic() + 1)
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(Timeout):
        executor.call(lambda: release.wait(5), time.monotonic() + 0.1)
    assert time.monotonic() - started < 1
    assert executor.call(lambda: "fresh thread", time.monotonic() + 1) == "fresh thread"
    release.set()
