#!/usr/bin/env python3
"""Throughput and CPU cost of the official Segmind Python SDK (segmind 1.3.0)
against a Segmind stand-in; the Python half of tests/benches/sdk_compare.rs.

    sdk_bench.py BASE_V1_URL --mode sync --concurrency 32 --seconds 4
    sdk_bench.py BASE_V1_URL --mode jobs --concurrency 200 --rounds 3 --interval 0.05
    sdk_bench.py BASE_V1_URL --mode run  --concurrency 200 --rounds 1

Modes (one shared SegmindClient, as an application would use it; its
httpx.Client is thread-safe; threads from a ThreadPoolExecutor):
  sync  `client.run_sync(slug, **payload)` in a loop on each of
        `concurrency` threads for `seconds`; each answer is checked to be a
        PNG.
  jobs  rounds of `concurrency` jobs at once, one per thread:
        `client.submit_async(slug, **payload).wait(interval=INTERVAL)`.
  run   the same with `client.run(slug, **payload)`: the SDK's own cadence
        (a fixed 1 s between polls, not configurable).

Prints one JSON line: requests (calls or jobs completed), errors, wall_s,
cpu_s (user + system of this process over the measured part, all threads,
from getrusage) and its user part user_s, and the SDK version. A short warm-up (one run_sync per
thread: connections, imports) is not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import segmind
from segmind import SegmindClient

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cpu_seconds() -> tuple[float, float]:
    """(user + system, user) CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_utime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_v1_url")
    parser.add_argument("--mode", choices=("sync", "jobs", "run"), required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=4.0, help="sync: measured time")
    parser.add_argument("--rounds", type=int, default=1, help="jobs/run: rounds of jobs")
    parser.add_argument("--interval", type=float, default=0.05, help="jobs: poll interval")
    parser.add_argument("--slug", default="ideogram-txt-2-img")
    parser.add_argument("--payload", default='{"prompt": "a lighthouse at dusk"}')
    parser.add_argument(
        "--handshake",
        action="store_true",
        help="after the warm-up print WARM and wait for a line on stdin "
        "(lets the caller sample the server around the measured part only)",
    )
    args = parser.parse_args()

    payload = json.loads(args.payload)
    key = os.environ.get("SEGMIND_API_KEY") or "bench-key"
    client = SegmindClient(api_key=key, base_url=args.base_v1_url, timeout=60)
    lock = threading.Lock()
    done = errors = 0
    first_error: list[str] = []

    def record(ok: bool, why: str = "") -> None:
        nonlocal done, errors
        with lock:
            if ok:
                done += 1
            else:
                errors += 1
                if not first_error:
                    first_error.append(why)

    def one_sync() -> None:
        try:
            response = client.run_sync(args.slug, **payload)
            ok = response.status_code == 200 and response.content[:8] == PNG_MAGIC
            record(ok, f"HTTP {response.status_code}")
        except Exception as e:  # noqa: BLE001 - counted, and the first one shown
            record(False, repr(e))

    def one_job() -> None:
        try:
            if args.mode == "run":
                result = client.run(args.slug, **payload)
            else:
                job = client.submit_async(args.slug, **payload)
                result = job.wait(timeout=120, interval=args.interval)
            record(result.get("status") == "COMPLETED" and bool(result.get("output")), str(result))
        except Exception as e:  # noqa: BLE001
            record(False, repr(e))

    with ThreadPoolExecutor(args.concurrency) as pool:
        # Warm-up: open the connections the measured part will reuse.
        list(pool.map(lambda _: one_sync(), range(args.concurrency)))
        done = errors = 0
        first_error.clear()
        if args.handshake:
            print("WARM", flush=True)
            sys.stdin.readline()

        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        if args.mode == "sync":
            deadline = time.monotonic() + args.seconds

            def worker() -> None:
                while time.monotonic() < deadline:
                    one_sync()

            for future in [pool.submit(worker) for _ in range(args.concurrency)]:
                future.result()
        else:
            for _ in range(args.rounds):
                list(pool.map(lambda _: one_job(), range(args.concurrency)))
        wall, (cpu1, user1) = time.perf_counter() - wall0, cpu_seconds()

    print(json.dumps({
        "mode": args.mode,
        "concurrency": args.concurrency,
        "requests": done,
        "errors": errors,
        "first_error": first_error[0] if first_error else None,
        "wall_s": wall,
        "cpu_s": cpu1 - cpu0[0],
        "user_s": user1 - cpu0[1],
        "sdk": segmind.__version__,
        "python": sys.version.split()[0],
    }))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
