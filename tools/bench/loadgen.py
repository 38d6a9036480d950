"""The load generators of `cakap bench`; every timing is taken on the client side.

- `fixed_rate`: an open-loop HTTP/1.1 client (asyncio, keep-alive connections). Request i is due
  at start + i/rate whether or not earlier ones have answered, and its latency counts from when it
  was due, so a server that stalls is charged for the queue it causes (wrk is closed-loop: it
  waits for each answer before the next request and so under-reports such stalls; wrk2, which
  fixes that, is not in Debian).
- `saturation`: `wrk` (Debian), closed-loop, for the highest rate a server sustains.
- `stream`: one streamed generation (Ollama NDJSON, or llama-server's SSE) with time to first
  token and decode tokens/s; `concurrent_streams` runs several at once on threads.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from processes import BenchError, open_stream
from stats import decode_rate


@dataclass
class RateResult:
    latencies_ms: list[float]
    errors: int
    sent: int
    seconds: float


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _fixed_rate(url: str, rate: float, seconds: float, connections: int, headers: dict[str, str],
                      method: str, body: bytes | None) -> RateResult:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    header_text = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if body is not None:
        header_text += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    request = f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{header_text}\r\n".encode() + (body or b"")
    total = max(1, int(rate * seconds))
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader = writer = None
        while True:
            due = await queue.get()
            if due is None:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                writer.write(request)
                status = await asyncio.wait_for(_read_response(reader), 30)
                if status >= 400:
                    errors += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
            latencies.append((time.perf_counter() - due) * 1000)
        if writer is not None:
            writer.close()

    tasks = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # let the connections settle before the clock starts
    start = time.perf_counter() + 0.05
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(due)
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    return RateResult(latencies, errors, total, time.perf_counter() - start)


def fixed_rate(url: str, rate: float, seconds: float, connections: int = 64, headers: dict[str, str] | None = None,
               method: str = "GET", body: bytes | None = None) -> RateResult:
    """Open-loop requests at `rate` per second for `seconds`; latencies in ms from each due time."""
    return asyncio.run(_fixed_rate(url, rate, seconds, connections, headers or {}, method, body))


def saturation(wrk: str, env: dict[str, str], url: str, seconds: float, connections: int = 32, threads: int = 1,
               headers: dict[str, str] | None = None) -> tuple[float, int]:
    """wrk (closed loop, keep-alive) against `url`: successful (2xx/3xx) requests/s, and how many
    requests failed (non-2xx/3xx answers and socket errors), which a saturated server may produce."""
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    result = subprocess.run([*argv, url], capture_output=True, text=True, env=env, timeout=seconds + 30)
    rate = re.search(r"Requests/sec:\s*([\d.]+)", result.stdout)
    total = re.search(r"(\d+) requests in", result.stdout)
    if result.returncode != 0 or not rate or not total:
        raise BenchError(f"wrk failed: {result.stdout}{result.stderr}")
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", result.stdout))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", result.stdout)
    if socket:
        failed += sum(int(n) for n in socket.groups())
    requests = int(total.group(1))
    good = float(rate.group(1)) * max(0, requests - failed) / requests if requests else 0.0
    return good, failed


@dataclass
class StreamResult:
    ttft: float  # seconds from sending to the first content
    tokens: int
    started: float
    first: float
    last: float

    @property
    def decode_tokens_per_second(self) -> float:
        return decode_rate(self.tokens, self.first, self.last)


def stream(url: str, body: dict, headers: dict[str, str] | None = None, sse: bool = False) -> StreamResult:
    """One streamed generation. Ollama NDJSON (`/api/chat`, `/api/generate`) or, with `sse`,
    llama-server's `/completion` events. Tokens are the server's own count from the last object."""
    started = time.perf_counter()
    first = last = None
    tokens = 0
    with open_stream(url, body, headers) as response:
        for raw in response:
            line = raw.decode().strip()
            if sse:
                if not line.startswith("data:"):
                    continue
                line = line[5:]
            if not line:
                continue
            item = json.loads(line)
            if "error" in item:
                raise BenchError(f"stream from {url} ended with an error: {item['error']}")
            if item.get("done") or item.get("stop"):
                tokens = item["eval_count"] if not sse else item["timings"]["predicted_n"]
                break
            content = item.get("content") if sse else (item.get("message") or {}).get("content", item.get("response"))
            if content:
                now = time.perf_counter()
                first = first or now
                last = now
    if first is None:
        raise BenchError(f"no content streamed from {url}")
    return StreamResult(first - started, tokens, started, first, last)


def concurrent_streams(count: int, make_request, tolerate: bool = False) -> tuple[list[StreamResult], float]:
    """`count` streams at once (`make_request(i)` runs one); returns them and the wall time
    from the first start to the last token. A failed stream raises, unless `tolerate`: then only
    the successful ones are returned (the caller counts the missing)."""
    results: list[StreamResult | None] = [None] * count
    failures: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = make_request(index)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures and not tolerate:
        raise BenchError(f"{len(failures)} of {count} concurrent streams failed: {failures[0]}")
    done = [result for result in results if result is not None]
    wall = max(r.last for r in done) - min(r.started for r in done) if done else float("nan")
    return done, wall
