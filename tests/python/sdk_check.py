#!/usr/bin/env python3
"""Checks that the official Segmind Python SDK (segmind 1.3.0), unchanged,
works against a Segmind stand-in such as segmind-ideogram-mock.

    sdk_check.py BASE_V1_URL [--fail-word WORD] [--wrong-key]

BASE_V1_URL is what the SDK takes as `base_url`, e.g. http://127.0.0.1:PORT/v1.
The key comes from SEGMIND_API_KEY (default "sdk-check-key").

For each endpoint of the spec (its x-segmind-endpoint slugs), with a valid payload from
spec/examples/<slug>/ (an example whose "violations" is empty):
  - `client.run_sync(slug, **payload)`: the raw httpx.Response is a 200 PNG
    of the requested size (the member the spec marks `x-segmind-member:
    output-size`, or its default), with `x-remaining-credits`;
  - `client.run(slug, **payload)` (v2 submit, then the SDK's own wait at its
    fixed 1 s cadence; all run in parallel threads): a dict with status
    COMPLETED, metrics and an `output` URL that serves a PNG;
  - `client.submit_async(slug, **payload).wait(interval=0.05)`: the same,
    polled fast, through the job handle (request_id, status(), result());
  - an invalid payload (an example with violations) raises SegmindError
    with status 422 (or 400) from both run_sync and run, carrying the
    server's message in `detail`.
And once: an unknown slug is SegmindError 404; with --fail-word, a job whose
prompt (on the first endpoint that marks one) contains WORD raises InferenceFailed (and run_sync a 422); with
--wrong-key (the server must accept only SEGMIND_API_KEY), a wrong key is 401.

Prints one summary line; exits 1 on any failure, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import segmind
from segmind import InferenceFailed, SegmindClient, SegmindError

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
EXAMPLES = SPEC_DIR / "examples"


SPEC = json.loads((SPEC_DIR / "segmind-ideogram.openapi.json").read_text())


def resolve(schema: dict) -> dict:
    """`schema`, or the component schema its `$ref` names."""
    ref = schema.get("$ref", "")
    return SPEC["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def spec_slugs() -> tuple[str, ...]:
    """Every endpoint of the spec: the slug of each x-segmind-endpoint, in order."""
    return tuple(
        op["x-segmind-endpoint"]["slug"]
        for item in SPEC["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "x-segmind-endpoint" in op
    )


def marked_member(slug: str, role: str) -> tuple[str, dict] | None:
    """(name, schema) of the request member of `slug` marked x-segmind-member `role`."""
    body = SPEC["paths"][f"/v1/{slug}"]["post"]["requestBody"]["content"]["application/json"]
    for name, prop in resolve(body["schema"])["properties"].items():
        if prop.get("x-segmind-member") == role:
            return name, prop
    return None


SLUGS = spec_slugs()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

failures: list[str] = []


def fail(what: str) -> None:
    failures.append(what)
    print(f"FAIL {what}", file=sys.stderr)


def examples(slug: str) -> tuple[dict, dict]:
    """(a valid payload, an invalid one) from spec/examples/<slug>/."""
    valid = invalid = None
    for path in sorted((EXAMPLES / slug).glob("*.json")):
        doc = json.loads(path.read_text())
        if not doc["violations"]:
            # Prefer the document's own example when it is valid.
            if valid is None or path.stem == "document":
                valid = doc["request"]
        elif invalid is None:
            invalid = doc["request"]
    if valid is None or invalid is None:
        raise SystemExit(f"sdk_check: {EXAMPLES / slug} lacks a valid or an invalid example")
    return valid, invalid


def expected_size(slug: str, payload: dict) -> tuple[int, int] | None:
    """The size the spec's output-size member asks for: the payload's value,
    else the member's or its enum's default (the two numbers it names)."""
    marked = marked_member(slug, "output-size")
    if marked is None:
        return None
    name, prop = marked
    value = payload.get(name, prop.get("default", resolve(prop).get("default", "")))
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    return (numbers[0], numbers[1]) if len(numbers) == 2 else None


def png_size(body: bytes) -> tuple[int, int] | None:
    if body[:8] != PNG_MAGIC or body[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", body[16:24])


def check_png(label: str, body: bytes, slug: str, payload: dict) -> None:
    size = png_size(body)
    expected = expected_size(slug, payload)
    if size is None:
        fail(f"{label}: not a PNG (first bytes {body[:16]!r})")
    elif expected is None:
        fail(f"{label}: the spec marks no output size for {slug}")
    elif size != expected:
        fail(f"{label}: PNG is {size[0]}x{size[1]}, asked for {expected}")


def check_run_sync(client: SegmindClient, slug: str, payload: dict) -> None:
    label = f"{slug} run_sync"
    try:
        response = client.run_sync(slug, **payload)
    except SegmindError as e:
        fail(f"{label}: {e!r}")
        return
    if not isinstance(response, httpx.Response):
        fail(f"{label}: returned {type(response).__name__}, not httpx.Response")
        return
    if response.status_code != 200:
        fail(f"{label}: HTTP {response.status_code}")
    content_type = response.headers.get("content-type", "")
    if not content_type.startswith("image/png"):
        fail(f"{label}: content-type {content_type!r}")
    if "x-remaining-credits" not in response.headers:
        fail(f"{label}: no x-remaining-credits header")
    check_png(label, response.content, slug, payload)


def check_result(
    label: str, result: object, slug: str, payload: dict, http: httpx.Client
) -> None:
    if not isinstance(result, dict):
        fail(f"{label}: returned {type(result).__name__}, not dict")
        return
    if result.get("status") != "COMPLETED":
        fail(f"{label}: status {result.get('status')!r}")
    if not isinstance(result.get("metrics"), dict):
        fail(f"{label}: no metrics in {result}")
    output = result.get("output")
    if not (isinstance(output, str) and output.startswith(("http://", "https://"))):
        fail(f"{label}: output {output!r} is not a URL")
        return
    # The output URL is public, like a storage URL: fetched without the key.
    image = http.get(output)
    if image.status_code != 200:
        fail(f"{label}: GET output {output}: HTTP {image.status_code}")
        return
    check_png(f"{label} output", image.content, slug, payload)


def check_run(client: SegmindClient, slug: str, payload: dict, http: httpx.Client) -> None:
    label = f"{slug} run"
    try:
        result = client.run(slug, **payload)
    except SegmindError as e:
        fail(f"{label}: {e!r}")
        return
    check_result(label, result, slug, payload, http)


def check_submit_async(
    client: SegmindClient, slug: str, payload: dict, http: httpx.Client
) -> None:
    label = f"{slug} submit_async"
    try:
        job = client.submit_async(slug, **payload)
        if job.submit_response.get("status") != "QUEUED":
            fail(f"{label}: submit answered {job.submit_response}")
        if job.request_id not in job.status_url or job.request_id not in job.response_url:
            fail(f"{label}: URLs {job.status_url}, {job.response_url} lack the id")
        first = job.status()
        if first.get("status") not in ("QUEUED", "PROCESSING", "COMPLETED"):
            fail(f"{label}: first status {first}")
        result = job.wait(timeout=30, interval=0.05)
    except SegmindError as e:
        fail(f"{label}: {e!r}")
        return
    check_result(label, result, slug, payload, http)
    if job.status().get("status") != "COMPLETED":
        fail(f"{label}: status after wait is not COMPLETED")


def expect_error(label: str, call, statuses: tuple[int, ...]) -> None:
    try:
        outcome = call()
    except InferenceFailed as e:
        fail(f"{label}: InferenceFailed {e!r}, expected SegmindError {statuses}")
    except SegmindError as e:
        if e.status not in statuses:
            fail(f"{label}: SegmindError status {e.status}, expected {statuses}")
        elif not e.detail:
            fail(f"{label}: SegmindError {e.status} without the server's message")
    else:
        fail(f"{label}: no error raised (got {outcome!r:.80})")


def check_failed_job(client: SegmindClient, word: str, valid: dict[str, dict]) -> None:
    """A job whose prompt holds `word`, on the first endpoint with a prompt."""
    slug, prompt = next(
        (slug, marked[0])
        for slug in SLUGS
        if (marked := marked_member(slug, "prompt")) is not None
    )
    payload = {**valid[slug], prompt: f"a poster that says {word}"}
    expect_error(f"{slug} run_sync with {word!r}", lambda: client.run_sync(slug, **payload), (422,))
    label = f"{slug} submit_async with {word!r}"
    job = client.submit_async(slug, **payload)
    try:
        outcome = job.wait(timeout=30, interval=0.05)
    except InferenceFailed as e:
        if e.status_body.get("status") != "FAILED" or word not in (e.detail or ""):
            fail(f"{label}: InferenceFailed {e!r} body {e.status_body}")
        # The result of a FAILED job comes under HTTP 422; the SDK returns it.
        body = job.result()
        if body.get("status") != "FAILED" or not body.get("error"):
            fail(f"{label}: result() {body}")
    except SegmindError as e:
        fail(f"{label}: {e!r}, expected InferenceFailed")
    else:
        fail(f"{label}: no InferenceFailed (got {outcome!r:.80})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_v1_url")
    parser.add_argument("--fail-word", help="the server fails prompts containing this word")
    parser.add_argument(
        "--wrong-key", action="store_true", help="the server accepts only SEGMIND_API_KEY"
    )
    args = parser.parse_args()
    key = os.environ.get("SEGMIND_API_KEY") or "sdk-check-key"
    started = time.monotonic()

    client = SegmindClient(api_key=key, base_url=args.base_v1_url, timeout=30)
    payloads = {slug: examples(slug) for slug in SLUGS}
    with httpx.Client(timeout=30) as http:
        for slug, (valid, _) in payloads.items():
            check_run_sync(client, slug, valid)
        # run() polls at the SDK's fixed 1 s: all run side by side.
        with ThreadPoolExecutor(len(SLUGS)) as pool:
            for future in [
                pool.submit(check_run, client, slug, valid, http)
                for slug, (valid, _) in payloads.items()
            ]:
                future.result()
        for slug, (valid, _) in payloads.items():
            check_submit_async(client, slug, valid, http)
    for slug, (_, invalid) in payloads.items():
        expect_error(f"{slug} run_sync invalid", lambda: client.run_sync(slug, **invalid), (422, 400))
        expect_error(f"{slug} run invalid", lambda: client.run(slug, **invalid), (422, 400))
    expect_error(
        "unknown slug", lambda: client.run_sync("ideogram-no-such-model", prompt="x"), (404,)
    )
    extra = []
    if args.fail_word:
        check_failed_job(client, args.fail_word, {s: v for s, (v, _) in payloads.items()})
        extra.append("failed job")
    if args.wrong_key:
        wrong = SegmindClient(api_key="not-" + key, base_url=args.base_v1_url)
        expect_error("wrong key", lambda: wrong.run_sync(SLUGS[0], **payloads[SLUGS[0]][0]), (401,))
        extra.append("wrong key")

    elapsed = time.monotonic() - started
    checks = ", ".join(["run_sync", "run", "submit_async", "invalid payloads", "unknown slug"] + extra)
    if failures:
        print(f"sdk_check: FAILED {len(failures)} check(s) against {args.base_v1_url} "
              f"with segmind {segmind.__version__} in {elapsed:.1f}s")
        return 1
    print(f"sdk_check: ok, segmind {segmind.__version__} against {args.base_v1_url}: "
          f"{len(SLUGS)} endpoints ({checks}) in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
