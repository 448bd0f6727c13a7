"""The front of `adekg serve`: an asynchronous HTTP server that never opens the store.

uvicorn (httptools parser, uvloop) waits on sockets for nothing but memory: a request is read completely (headers
within a time limit, body capped) before it is handed to a query worker (server/pool.py), and the answer is
written out at the client's pace from memory or from a spool file after the worker is free again, so slow
senders and slow readers hold no query capacity. Run as `python -m server '<settings as JSON>'` (graph/cli.py does this).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, fields

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .pool import Pool, PoolSettings, Reply, plain

CHUNK = 256 * 1024


@dataclass
class FrontSettings:
    """What the front enforces itself; the rest is the pool's."""

    host: str = "127.0.0.1"
    port: int = 5000
    max_body: int = 1_000_000
    trust_forwarded: bool = False        # take the client address from X-Forwarded-For (behind a proxy)
    max_connections: int = 500
    write_timeout: float = 60.0          # seconds a client may leave a response unread before it is dropped
    header_timeout: float = 30.0         # seconds a client may take to send a request's line and headers (408)
    keep_alive: int = 5


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a time limit on receiving each request's line and headers (uvicorn has none).

    The clock starts when the connection opens (or, on a kept-alive connection, when the next request's first
    byte arrives) and stops when the headers are complete; past header_timeout the client gets 408 and the
    connection is closed, so trickling headers (slowloris) cannot hold connection slots for ever.
    """

    header_timeout = 30.0  # replaced per server by with_header_timeout()
    header_timer = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.start_header_timer()

    def on_headers_complete(self) -> None:
        self.stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        self.stop_header_timer()
        super().connection_lost(exc)

    def start_header_timer(self) -> None:
        """Start the clock of this request's headers, unless it runs already."""
        if self.header_timer is None and self.header_timeout > 0:
            self.header_timer = self.loop.call_later(self.header_timeout, self.headers_too_slow)

    def stop_header_timer(self) -> None:
        """The headers are complete (or the connection is gone)."""
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def headers_too_slow(self) -> None:
        """Answer 408 and close; while an earlier response on the connection is still being written, wait for it
        (the write timeout bounds that) so that it is never cut."""
        self.header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.start_header_timer()
            return
        message = f"request headers not received within {self.header_timeout:g} s\n".encode()
        self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"x-content-type-options: nosniff\r\nconnection: close\r\n"
                             b"content-length: " + str(len(message)).encode() + b"\r\n\r\n" + message)
        self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for a server whose header timeout is seconds (0: none)."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})


class ClientGone(Exception):
    """The client stopped reading its response for longer than the write timeout."""


class Front:
    """The ASGI application: read, run on the pool, write."""

    def __init__(self, front: FrontSettings, pool: PoolSettings):
        self.settings, self.pool_settings = front, pool
        self.pool: Pool | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive, send) -> None:
        """Start the pool before accepting requests; kill its workers at shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.pool_settings.spool_dir = tempfile.mkdtemp(prefix="adekg-spool-")
                    self.pool = Pool(self.pool_settings)
                    await self.pool.start()
                except Exception as error:  # noqa: BLE001 - uvicorn prints the reason and exits
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                shutil.rmtree(self.pool_settings.spool_dir, ignore_errors=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope, receive, send) -> None:
        """One request: read it whole, answer it (from the pool unless it is refused first)."""
        headers = scope["headers"]
        body = await self.read_body(headers, receive)
        if body is None:
            return  # the client went away
        if isinstance(body, Reply):
            reply = body
        else:
            request = {"method": scope["method"], "path": scope.get("raw_path") or scope["path"].encode("utf-8"),
                       "query_string": scope["query_string"], "headers": headers,
                       "client": scope.get("client") or ("", 0), "server": scope.get("server") or ("", 0),
                       "scheme": scope["scheme"], "http_version": scope["http_version"], "body": body}
            reply = await self.pool.handle(self.client_address(scope), request)
        await self.write(reply, scope["method"] == "HEAD", send)

    async def read_body(self, headers, receive):
        """The whole body; a 413 Reply past the limit (chunked or not); None if the client disconnected."""
        limit = self.settings.max_body
        for name, value in headers:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return plain(413, f"request body of {int(value)} bytes is over the limit of {limit} bytes")
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return plain(413, f"request body is over the limit of {limit} bytes")
            parts.append(chunk)
            if not message.get("more_body"):
                return b"".join(parts)

    def client_address(self, scope) -> str:
        """Who the per-client limits count against: the peer address, or the proxy's X-Forwarded-For if trusted."""
        if self.settings.trust_forwarded:
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for" and value.strip():
                    return value.decode("latin-1").rsplit(",", 1)[-1].strip()  # the entry our proxy added
        client = scope.get("client")
        return client[0] if client else ""

    async def write(self, reply: Reply, head: bool, send) -> None:
        """Send the reply; a spool file is streamed in blocks, each of which the client must take in time."""
        spool = None
        if reply.path is not None:
            spool = open(reply.path, "rb")  # noqa: SIM115 - closed below
            os.unlink(reply.path)  # gone from the folder; readable until closed
        try:
            size = os.fstat(spool.fileno()).st_size if spool else len(reply.body)
            headers = [(name.encode("latin-1"), str(value).encode("latin-1")) for name, value in reply.headers
                       if head or name.lower() != "content-length"]
            if not head:
                headers.append((b"content-length", str(size).encode("ascii")))
            await self.send(send, {"type": "http.response.start", "status": reply.status, "headers": headers})
            if spool is None or head:
                await self.send(send, {"type": "http.response.body", "body": b"" if head else reply.body})
                return
            while chunk := spool.read(CHUNK):
                await self.send(send, {"type": "http.response.body", "body": chunk, "more_body": True})
            await self.send(send, {"type": "http.response.body", "body": b""})
        finally:
            if spool is not None:
                spool.close()

    async def send(self, send, message: dict) -> None:
        """One ASGI send, given up (closing the connection) if the client does not read for too long."""
        # A timer that cancels this task, not asyncio.wait_for: that would start a task for every send.
        task, expired = asyncio.current_task(), []
        timer = asyncio.get_running_loop().call_later(self.settings.write_timeout,
                                                      lambda: expired.append(True) or task.cancel())
        try:
            await send(message)
        except asyncio.CancelledError:
            if expired:
                raise ClientGone(f"the client read nothing for {self.settings.write_timeout:g} s") from None
            raise
        finally:
            timer.cancel()


def main(argv: list[str]) -> int:
    """Serve with the settings given as one JSON argument: {"front": {...}, "pool": {...}}."""
    import uvicorn
    settings = json.loads(argv[0])
    front = FrontSettings(**settings["front"])
    pool = PoolSettings(**{f.name: settings["pool"][f.name] for f in fields(PoolSettings) if f.name in settings["pool"]})
    config = uvicorn.Config(Front(front, pool), host=front.host, port=front.port,
                            http=with_header_timeout(front.header_timeout), loop="uvloop",
                            lifespan="on", access_log=False, log_level="warning", server_header=False,
                            # the client address is ours to decide (FrontSettings.trust_forwarded): uvicorn's
                            # own middleware would take X-Forwarded-For from any local peer
                            proxy_headers=False,
                            limit_concurrency=front.max_connections, timeout_keep_alive=front.keep_alive,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
