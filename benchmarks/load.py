"""The service under heavy load: /healthz and the lecture's L example while 1, 4 and 8 near-max
MLP requests run, and the server's memory before, at peak and after.

    .venv/bin/python benchmarks/load.py [--heavy 0,1,4,8] [--workers 2]

Starts `python -m gradwalk.api.serve` in a second process. Each phase starts N heavy requests
at once (784-64-10 on one sample, max_steps = 10,000 SGD steps on numpy, then its 153,413-node
graph traced, laid out and encoded, ~60 MB of JSON: the heaviest the defaults accept short of
max_nodes; the client accepts gzip) and, until the last one is answered,
probes GET /healthz every 20 ms and POST /api/v1/expression with the L example every 50 ms,
each on its own keep-alive connection (phase 0: 10 s of probes alone, the machine's own noise).
RSS is the server's process tree (the server, its
forkserver, the workers), sampled every 100 ms; "after" is 3 s after the phase. "server process
CPU" is the share of one core the server's own process used (the event loop and its threads,
not the workers): what the probes compete with.

Targets (issue 12): with 4 heavy requests, /healthz max <= 100 ms and L p95 <= 200 ms.
Heavy requests beyond 2 per worker wait for one; past time_seconds (30 s, waiting
included) they are answered 422 limit.time, which the status counts show.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
L_SOURCE = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"
HEAVY = {
    "nin": 784,
    "layers": [64, 10],
    "activation": "relu",
    "output_activation": "linear",
    "loss": "cross_entropy",
    "inputs": [[0.5] * 784],
    "targets": [3],
    "steps": 10_000,  # max_steps: training runs on numpy now, so the graph (153,413 nodes) is the weight
    "seed": 1,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Conn:
    """A keep-alive HTTP/1.1 connection on a plain socket (no client-side parsing cost to speak of)."""

    def __init__(self, port: int, timeout: float = 120) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method: str, path: str, body: bytes = b"", gzip: bool = False) -> tuple[int, int]:
        """(status, body bytes received)."""
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        if gzip:
            head += "Accept-Encoding: gzip\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + body)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        header, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(int(v) for k, _, v in (x.partition(b":") for x in lines[1:]) if k.lower() == b"content-length")
        got, chunks = len(rest), [rest]
        while got < length:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed")
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        self.buf = data[length:]
        return status, length

    def close(self) -> None:
        self.sock.close()


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
        children[ppid].append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process itself (the event loop's, not its workers')."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "backend"), "GRADWALK_WORKERS": str(workers)}
    cmd = [sys.executable, "-m", "gradwalk.api.serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            c = Conn(port, timeout=1)
            c.request("GET", "/healthz")
            c.close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


def probe(
    port: int, method: str, path: str, body: bytes, every: float, stop: threading.Event, out: list[float]
) -> None:
    c = Conn(port)
    try:
        while not stop.is_set():
            t = time.perf_counter()
            status, _ = c.request(method, path, body)
            out.append(time.perf_counter() - t)
            assert status == 200, status
            time.sleep(max(0.0, every - (time.perf_counter() - t)))
    finally:
        c.close()


def heavy(port: int, statuses: list[int], sizes: list[int], seconds: list[float]) -> None:
    c = Conn(port)
    t = time.perf_counter()
    try:
        status, size = c.request("POST", "/api/v1/mlp", orjson.dumps(HEAVY), gzip=True)
    finally:
        c.close()
    statuses.append(status)
    sizes.append(size)
    seconds.append(time.perf_counter() - t)


def phase(port: int, pid: int, n: int) -> dict[str, object]:
    before = tree_rss(pid)
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    stop = threading.Event()
    health: list[float] = []
    lecture: list[float] = []
    probes = [
        threading.Thread(target=probe, args=(port, "GET", "/healthz", b"", 0.02, stop, health)),
        threading.Thread(
            target=probe,
            args=(port, "POST", "/api/v1/expression", orjson.dumps({"source": L_SOURCE}), 0.05, stop, lecture),
        ),
    ]
    statuses: list[int] = []
    sizes: list[int] = []
    seconds: list[float] = []
    workers = [threading.Thread(target=heavy, args=(port, statuses, sizes, seconds)) for _ in range(n)]
    for t in probes + workers:
        t.start()
    peak = before
    idle_until = time.monotonic() + 10  # the baseline phase probes for 10 s
    while any(t.is_alive() for t in workers) or (n == 0 and time.monotonic() < idle_until):
        peak = max(peak, tree_rss(pid))
        time.sleep(0.1)
    stop.set()
    for t in probes:
        t.join()
    loop_cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0)
    time.sleep(3)
    after = tree_rss(pid)
    return {
        "n": n,
        "health": health,
        "lecture": lecture,
        "statuses": collections.Counter(statuses),
        "bytes": max(sizes, default=0),
        "seconds": max(seconds, default=0.0),
        "rss": (before, peak, after),
        "loop_cpu": loop_cpu,
    }


def compare_small(port: int, n: int = 300) -> tuple[float, float]:
    """p50 of the L example in place vs the same source padded past 256 characters (a worker's hop)."""
    padded = L_SOURCE + "\n# " + "x" * 260
    out = []
    for source in (L_SOURCE, padded):
        c = Conn(port)
        body = orjson.dumps({"source": source})
        times = []
        for _ in range(n):
            t = time.perf_counter()
            c.request("POST", "/api/v1/expression", body)
            times.append(time.perf_counter() - t)
        c.close()
        out.append(pct(times, 0.5))
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--heavy", default="0,1,4,8", help="heavy requests per phase (0: the idle baseline)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    port = free_port()
    proc = start_server(port, args.workers)
    mib = 1024 * 1024
    try:
        inplace, hop = compare_small(port)
        print(f"L example, idle, p50: in place {inplace:.2f} ms, through a worker {hop:.2f} ms")
        print(f"workers={args.workers}, load average {os.getloadavg()[0]:.2f} at start (the machine is shared)")
        print()
        print(
            "heavy | /healthz p50 / p95 / max ms | L p50 / p95 / max ms | heavy answers (status: count),"
            " longest s, body bytes | RSS MiB before / peak / after"
        )
        for n in (int(x) for x in args.heavy.split(",")):
            r = phase(port, proc.pid, n)
            h, lec = r["health"], r["lecture"]
            assert isinstance(h, list) and isinstance(lec, list)
            before, peak, after = r["rss"]  # type: ignore[misc]
            print(
                f"{n:5d} | {pct(h, 0.5):6.1f} / {pct(h, 0.95):6.1f} / {max(h) * 1000:6.1f} ({len(h)} probes)"
                f" | {pct(lec, 0.5):6.1f} / {pct(lec, 0.95):6.1f} / {max(lec) * 1000:6.1f} ({len(lec)})"
                f" | {dict(r['statuses'])}, {r['seconds']:.1f} s, {r['bytes']:,}"  # type: ignore[call-overload]
                f" | {before / mib:.0f} / {peak / mib:.0f} / {after / mib:.0f}"
                f" | {r['loop_cpu']:.0%}",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
