"""Run the service: uvicorn with the HTTP settings of docs/api.md (HTTP).

    python -m gradwalk.api.serve [--host 127.0.0.1] [--port 8000]

uvicorn's h11 protocol, with its max incomplete event size as the header limit, plus
what uvicorn has no option for: a read timeout (a request's headers and body must
arrive within `http_read_timeout_seconds`, so idle, half-sent and trickled requests
do not hold a connection), the JSON error shape for the requests h11 rejects (a
malformed Content-Length, oversized headers) and for those over the connection limit
(uvicorn's limit_concurrency answers in plain text). No `server` header.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from http import HTTPStatus

import h11
import orjson
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import Settings, get_settings

APP = "gradwalk.api.main:app"


class Protocol(H11Protocol):
    """h11 with a read timeout and JSON bodies for the 400s it answers itself."""

    read_timeout: float = 15.0
    max_header_bytes: int = 16 * 1024
    max_connections: int = 200
    _read_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0  # of the request whose headers are arriving

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            if self._read_timer is None:
                self._arm()  # the next request on a kept-alive connection starts now
            # uvicorn's own limit_concurrency answers in plain text: this one in the error shape
            if self._head_bytes == 0 and (
                len(self.connections) > self.max_connections or len(self.tasks) >= self.max_connections
            ):
                self._send_error(503, f"the server is at its http_max_connections limit of {self.max_connections}")
                return
            # h11's limit only counts what it has to buffer: headers that arrive whole pass it
            end = data.find(b"\r\n\r\n")
            head = self._head_bytes + (len(data) if end < 0 else end)
            if head > self.max_header_bytes:
                self._send_error(
                    431,
                    f"the request's headers are over the http_max_header_bytes limit of {self.max_header_bytes} bytes",
                )
                return
            self._head_bytes = 0 if end >= 0 else head
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the request is in: the deadline of docs/api.md takes over

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        between_requests = self.cycle is None or self.cycle.response_complete
        if between_requests and self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._send_error(408, "the request's headers did not arrive within the http_read_timeout_seconds limit")
        else:
            self.transport.close()  # idle, or a body still trickling in (the route sees a disconnect)

    def send_400_response(self, msg: str) -> None:
        self._send_error(
            400,
            "invalid HTTP request: a malformed request line, header or Content-Length, or headers over the"
            " http_max_header_bytes limit",
        )

    def _send_error(self, status: int, msg: str) -> None:
        body = orjson.dumps({"detail": [{"msg": msg, "type": f"http.{status}"}]})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-content-type-options", b"nosniff"),
        ]
        try:
            conn = h11.Connection(h11.SERVER)  # a fresh one: ours may be in an error state
            conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            conn.next_event()
            out = conn.send(h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase))
            out = (out or b"") + (conn.send(h11.Data(data=body)) or b"") + (conn.send(h11.EndOfMessage()) or b"")
            self.transport.write(out)
        finally:
            self.transport.close()


def config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration the service runs with."""
    protocol = type(
        "GradwalkProtocol",
        (Protocol,),
        {
            "read_timeout": settings.http_read_timeout_seconds,
            "max_header_bytes": settings.http_max_header_bytes,
            "max_connections": settings.http_max_connections,
        },
    )
    return uvicorn.Config(
        APP,
        host=host,
        port=port,
        http=protocol,
        timeout_keep_alive=max(1, round(settings.http_keep_alive_seconds)),
        limit_concurrency=None,  # Protocol.max_connections: the same limit, answered in the error shape
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        timeout_graceful_shutdown=max(1, round(settings.http_shutdown_seconds)),
        server_header=False,
        proxy_headers=False,
        log_level=logging.INFO,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gradwalk.api.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.Server(config(get_settings(), args.host, args.port)).run()


if __name__ == "__main__":
    main()
