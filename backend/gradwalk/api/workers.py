"""CPU-heavy requests run in worker processes, so the event loop only moves bytes (docs/api.md, Workers).

A `Task` (a pipeline input, its limits, what to answer) goes to an idle worker over a
pipe; the worker plans, trains, traces, lays out and encodes it (orjson, gzip when the
client accepts it) and sends back the finished body, status included: a core error is
answered in the error shape there too (`errors.describe`). A streaming task also sends
`("progress", step, loss)` messages as the SGD loop reports them.

Requests wait for an idle worker first come, first served. The service's side never
blocks: a reader thread per worker moves its messages into a
queue that `WorkerPool.events` polls, checking between polls whether the client has
gone and whether the request's deadline (`time_seconds` from its arrival) has passed. In
either case the worker is killed at once and replaced (a fork of the forkserver, which
has gradwalk imported), so abandoned work never holds a worker. A worker also leaves
after a task that grew it past `worker_recycle_bytes`, so memory returns to the
baseline after a burst; `worker_memory_bytes` bounds its address space (a request that
needs more is a 422 `limit.memory`).

The pool is process-wide: the app's lifespan starts and stops it; a request that finds
it stopped (a TestClient without lifespan) starts it.
"""

from __future__ import annotations

import gzip
import heapq
import itertools
import logging
import multiprocessing as mp
import os
import pickle
import queue
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import anyio
from pydantic import ValidationError

from .. import pipeline
from ..export import MEDIA_TYPES
from ..limits import LimitError, Limits
from ..progress import time_limit_error
from ..trace import dumps
from .errors import describe, error_body, validation_detail

log = logging.getLogger(__name__)

POLL_SECONDS = 0.01  # how often a waiting request looks at its worker's queue (and at its client)
DISCONNECT_POLL_SECONDS = 0.1
GRACE_SECONDS = 0.5  # past the deadline, the worker's own check has had its chance: kill it
PROGRESS_SECONDS = 0.1  # a streaming worker reports at most this often
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 5  # ~6x smaller Graph JSON at a fraction of the encode time
WORKER_NICE = 10  # workers yield the CPU to the event loop: /healthz and small requests stay quick under load


@dataclass(frozen=True)
class Task:
    """What a worker computes: a pipeline input under its limits, as Graph JSON or an export drawing."""

    request: pipeline.Input | Body
    limits: Limits
    deadline: float  # time.monotonic() value (system-wide on Linux: the same clock in every process)
    layout: bool = False
    export: str | None = None  # "dot", "svg", "png": the drawing instead of Graph JSON; "html": the standalone page
    gzip: bool = False  # the client accepts Content-Encoding: gzip
    stream: bool = False  # send progress messages; the body is the NDJSON result line
    query: bool = False  # the request came in the query string (error `loc`)


@dataclass(frozen=True)
class Reply:
    """A finished response: status, media type, body bytes (gzip-compressed when `encoding` says so)."""

    status: int
    media_type: str
    body: bytes
    encoding: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"content-encoding": self.encoding, "vary": "accept-encoding"} if self.encoding else {}


@dataclass(frozen=True)
class Body:
    """A request body the worker validates itself, since that costs time in proportion to its size
    (an MLP's inputs, layers, initial_parameters): `model` names the request model."""

    model: str  # "mlp"
    raw: bytes

    def parse(self) -> tuple[pipeline.Input, bool]:
        """The pipeline input and its `layout` flag; _BodyInvalid with pydantic's errors."""
        from .routes.mlp import MLPRequest  # the routes import this module

        if not self.raw.strip():
            raise _BodyInvalid([{"msg": "Field required", "type": "missing", "loc": ["body"]}])
        try:
            req = {"mlp": MLPRequest}[self.model].model_validate_json(self.raw)
        except ValidationError as e:
            raise _BodyInvalid(validation_detail(e.errors(include_url=False), ("body",))) from None
        return req.to_input(), req.layout


def _describe(task: Task) -> str:
    """A task in a log line: "an MLP training (streamed)", "an expression"."""
    kind = "MLPSpec" if isinstance(task.request, Body) else type(task.request).__name__
    what = {"Expression": "an expression", "MLPSpec": "an MLP training", "Program": "a Python program"}.get(kind, kind)
    return what + (" (streamed)" if task.stream else "")


class _BodyInvalid(Exception):
    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__("invalid body")
        self.detail = detail


class Disconnected(Exception):
    """The client went away: its work was stopped."""


def error_reply(status: int, detail: list[dict[str, Any]]) -> Reply:
    return Reply(status, "application/json", error_body(detail))


def _limit_reply(e: LimitError) -> Reply:
    return error_reply(422, [{"msg": e.msg, "type": e.type, **e.extra}])


# ---------------------------------------------------------------- the worker process


def execute(
    task: Task,
    on_progress: Callable[[int, float], None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> Reply:
    """Compute `task`'s response (in a worker process; callable anywhere). `on_started()` once the
    request is checked and the work begins; `on_progress(step, loss)` per SGD step."""
    try:
        request, layout = task.request.parse() if isinstance(task.request, Body) else (task.request, task.layout)
        job = pipeline.plan(request, task.limits, layout=layout)
        if on_started is not None:
            on_started()
        if task.export == "html":  # the page itself, opening on this graph
            body = job.standalone(pipeline.page_state(request), task.deadline)
            media = MEDIA_TYPES["html"]
        elif task.export is not None:
            body = job.export(task.export, task.deadline)
            media = MEDIA_TYPES[task.export]
        else:
            graph = job.run(on_progress, task.deadline)
            body = dumps({"event": "result", **graph}) + b"\n" if task.stream else dumps(graph)
            media = "application/json"
        status = 200
    except _BodyInvalid as e:
        return error_reply(422, e.detail)
    except MemoryError:
        return error_reply(
            422,
            [{"msg": "the request needs more memory than the worker_memory_bytes limit", "type": "limit.memory"}],
        )
    except Exception as e:
        described = describe(e, query=task.query)
        if described is None:
            log.error("a worker failed on a request:\n%s", traceback.format_exc())
            return error_reply(500, [{"msg": "internal error (a bug: please report it with the request)",
                                      "type": "internal"}])  # fmt: skip
        status, detail = described
        return error_reply(status, detail)
    if task.gzip and len(body) >= GZIP_MIN_BYTES:
        return Reply(status, media, gzip.compress(body, GZIP_LEVEL, mtime=0), "gzip")
    return Reply(status, media, body)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Reporter:
    """Sends a streaming task's progress, at most every PROGRESS_SECONDS."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.last = 0.0

    def progress(self, step: int, loss: float) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            self.conn.send_bytes(pickle.dumps(("progress", step, loss)))


def _serve(conn: Connection, memory_bytes: int, recycle_bytes: int) -> None:
    """A worker's life: tasks in, replies out, until the pipe closes or a task left it too big."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle; it kills us
    os.nice(WORKER_NICE)
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            task: Task = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        report = _Reporter(conn)
        started = lambda: conn.send_bytes(pickle.dumps(("started",)))  # noqa: E731
        reply = execute(task, report.progress if task.stream else None, started if task.stream else None)
        retire = _rss_bytes() > recycle_bytes
        conn.send_bytes(pickle.dumps(("reply", reply, retire)))
        if retire:
            return


# ---------------------------------------------------------------- the service's side


class _Worker:
    def __init__(self, ctx: Any, memory_bytes: int, recycle_bytes: int) -> None:
        ours, theirs = ctx.Pipe()
        self.conn: Connection = ours
        self.proc = ctx.Process(target=_serve, args=(theirs, memory_bytes, recycle_bytes), daemon=True)
        self.proc.start()
        theirs.close()
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True, name=f"gradwalk-worker-{self.proc.pid}").start()

    def _read(self) -> None:
        while True:
            try:
                message = pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                self.conn.close()  # here, not in kill(): closing under a blocked read could reuse the fd
                self.inbox.put(("dead",))
                return
            self.inbox.put(message)

    @property
    def alive(self) -> bool:
        return bool(self.proc.is_alive())

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()  # the pipe closes with it: the reader thread sees EOF and ends
        self.proc.join(1.0)


class WorkerPool:
    """A fixed number of worker processes, each running one task at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._waiting: list[int] = []  # a heap of the tickets of requests waiting for a worker
        self._tickets = itertools.count()
        self._ctx: Any = None
        self.size = 0
        self.memory_bytes = 0
        self.recycle_bytes = 0

    @property
    def running(self) -> bool:
        return self._ctx is not None

    def start(self, size: int, memory_bytes: int, recycle_bytes: int) -> None:
        with self._lock:
            if self._ctx is not None:
                return
            ctx = mp.get_context("forkserver")
            # each fork starts with gradwalk imported, the MLP request model included (Body.parse imports it:
            # building its FastAPI routes took a new worker's first MLP request 20-35 ms before its first line)
            ctx.set_forkserver_preload([__name__, "gradwalk.api.routes.mlp"])
            self._ctx = ctx
            self.size, self.memory_bytes, self.recycle_bytes = size, memory_bytes, recycle_bytes
        for _ in range(size):
            self._add()

    def stop(self) -> None:
        with self._lock:
            workers, self._all, self._idle, self._ctx = list(self._all), set(), [], None
            # requests still waiting keep their tickets: a restarted pool serves them in order
        for w in workers:
            w.kill()

    def _add(self) -> None:
        """Start a worker and make it available (the fork happens outside the lock: `_take` never waits on it)."""
        ctx = self._ctx
        if ctx is None:
            return
        w = _Worker(ctx, self.memory_bytes, self.recycle_bytes)
        with self._lock:
            if self._ctx is ctx:
                self._all.add(w)
                self._idle.append(w)
                return
        w.kill()  # the pool stopped meanwhile

    def _take(self, ticket: int) -> _Worker | None:
        """An idle worker for the request holding `ticket`, if it is the longest waiting (first come, first
        served: the oldest request is the nearest to its deadline)."""
        dead: list[_Worker] = []
        with self._lock:
            found = None
            while self._idle and self._waiting[0] == ticket:
                w = self._idle.pop()
                if w.alive:
                    found = w
                    break
                self._all.discard(w)  # died while idle (killed from outside): replace it
                dead.append(w)
            if found is not None:
                heapq.heappop(self._waiting)
        for w in dead:
            self._replace_later(w)
        return found

    def _queue(self) -> int:
        with self._lock:
            ticket = next(self._tickets)
            heapq.heappush(self._waiting, ticket)
            return ticket

    def _leave(self, ticket: int) -> None:
        with self._lock:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)

    def _give_back(self, w: _Worker) -> None:
        with self._lock:
            if w in self._all:
                self._idle.append(w)

    def _discard(self, w: _Worker) -> None:
        """Stop `w` now and replace it in the background: the event loop never waits for a process."""
        if w.proc.is_alive():
            w.proc.kill()
        with self._lock:
            if w not in self._all:
                return
            self._all.discard(w)
        self._replace_later(w)

    def _replace_later(self, w: _Worker) -> None:
        def replace() -> None:
            w.kill()  # reaps it
            self._add()

        threading.Thread(target=replace, daemon=True, name="gradwalk-worker-replace").start()

    async def events(
        self,
        task: Task,
        disconnected: Callable[[], Awaitable[bool]] | None = None,
        heartbeat: float | None = None,
    ) -> AsyncGenerator[tuple[Any, ...], None]:
        """Run `task`: yield ("started",) and ("progress", step, loss) messages of a streaming task,
        ("waiting",) after each `heartbeat` seconds without one, then ("reply", Reply). Raises
        Disconnected when `disconnected()` says the client left; stops the worker when closed early."""
        next_check = time.monotonic() + DISCONNECT_POLL_SECONDS
        quiet_since = time.monotonic()
        w = None
        ticket = self._queue()
        try:
            while w is None:  # wait for an idle worker, as long as the deadline allows
                if time.monotonic() > task.deadline:
                    yield ("reply", _limit_reply(time_limit_error(task.limits.time_seconds)))
                    return
                w = self._take(ticket)
                if w is None:
                    if heartbeat is not None and time.monotonic() - quiet_since >= heartbeat:
                        quiet_since = time.monotonic()
                        yield ("waiting",)
                    await anyio.sleep(POLL_SECONDS)
                    if disconnected is not None and time.monotonic() >= next_check:
                        next_check = time.monotonic() + DISCONNECT_POLL_SECONDS
                        if await disconnected():
                            raise Disconnected()
        finally:
            if w is None:
                self._leave(ticket)  # gave up waiting: the next in line moves up
        finished = replied = False
        started = time.monotonic()
        try:
            w.conn.send_bytes(pickle.dumps(task))
            while True:
                try:
                    message = w.inbox.get_nowait()
                except queue.Empty:
                    now = time.monotonic()
                    if now > task.deadline + GRACE_SECONDS:  # the work did not stop itself: we stop it
                        replied = True
                        yield ("reply", _limit_reply(time_limit_error(task.limits.time_seconds)))
                        return
                    if disconnected is not None and now >= next_check:
                        next_check = now + DISCONNECT_POLL_SECONDS
                        if await disconnected():
                            raise Disconnected() from None
                    if heartbeat is not None and now - quiet_since >= heartbeat:
                        quiet_since = now
                        yield ("waiting",)
                    await anyio.sleep(POLL_SECONDS)
                    continue
                quiet_since = time.monotonic()
                if message[0] in ("progress", "started"):
                    yield message
                elif message[0] == "reply":
                    _, reply, retire = message
                    finished, replied = not retire, True
                    yield ("reply", reply)
                    return
                else:  # the worker died under the task: its memory bound or the kernel's OOM killer
                    replied = True
                    yield (
                        "reply",
                        error_reply(422, [{"msg": "the worker running the request stopped: it needed more"
                                           " memory than the worker_memory_bytes limit", "type": "limit.memory"}]),
                    )  # fmt: skip
                    return
        finally:
            if not replied:  # stopped mid-work, and the log says why
                why = sys.exc_info()[1]
                took = time.monotonic() - started
                if why is None or isinstance(why, (Disconnected, GeneratorExit, anyio.get_cancelled_exc_class())):
                    log.info("stopped %s after %.1f s: the client left before the reply", _describe(task), took)
                else:
                    log.warning("stopped %s after %.1f s: %r", _describe(task), took, why)
            if finished:
                self._give_back(w)
            else:
                self._discard(w)  # killed mid-task (disconnect, deadline, error) or retired

    async def run(self, task: Task, disconnected: Callable[[], Awaitable[bool]] | None = None) -> Reply:
        """Run `task` to its reply (progress messages dropped)."""
        events = self.events(task, disconnected)
        try:
            async for message in events:
                if message[0] == "reply":
                    reply: Reply = message[1]
                    return reply
        finally:
            await events.aclose()
        raise RuntimeError("a worker task ended without a reply")  # not reached: events always replies


POOL = WorkerPool()
