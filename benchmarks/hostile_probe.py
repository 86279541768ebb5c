"""Re-run issue 9's reliability probe against a real server and the batch CLI, and print what happened.

    python benchmarks/hostile_probe.py                      # the shipped default model
    python benchmarks/hostile_probe.py --model CHECKPOINT   # any checkpoint (e.g. a tiny one: fast)

Cases: lone surrogates in text/title/targets/id (server and `presslens batch`), 100k nested lists, a
5,000-digit integer, other methods, a neighbour sending bad input beside 4 normal clients, the probe's
stalling request (25 articles x 199,999 characters x 16 claims), small-request latency from concurrent
clients while a heavy request runs (and without it, side by side), a client that goes away, and SIGTERM
during a long request (exit status, what the clients got, how long the stop took). Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from demo.process import ServerProcess  # noqa: E402

SMALL = {"title": "Harbour City reach the cup final",
         "text": "Harbour City will play in their first cup final for 23 years. Daniel Okafor headed in a late "
                 "winner against Northvale. The manager praised her young substitute. The final is in May."}


def long_text(chars: int) -> str:
    sentence = "The council said on Monday that the harbour budget would rise again next year, officials said. "
    return (sentence * (chars // len(sentence) + 1))[:chars]


def post_raw(session: httpx.Client, body: bytes) -> httpx.Response:
    return session.post("/api/v1/analyze", content=body, headers={"content-type": "application/json"})


def show(name: str, response: httpx.Response, seconds: float | None = None) -> None:
    kind = response.headers.get("content-type", "")
    try:
        body = response.json()
        detail = body.get("error") or [w for w in body.get("warnings", []) if "Unicode" in w][:1]
    except Exception:
        detail = response.text[:80]
    took = f" {seconds:.2f}s" if seconds is not None else ""
    print(f"  {name:<44} {response.status_code} {kind.split(';')[0]:<17} {detail}{took}")


def hostile_bodies(session: httpx.Client) -> None:
    print("hostile bodies:")
    base = json.dumps({"id": "a", "title": "Cup final", "text": SMALL["text"], "targets": ["The final is in May"]})
    for field, old in (("text", '"' + SMALL["text"] + '"'), ("title", '"Cup final"'),
                       ("targets", '"The final is in May"'), ("id", '"a"')):
        show(f"lone surrogate in {field}", post_raw(session, base.replace(old, old[:-1] + '\\ud800"', 1).encode()))
    show("100,000 nested lists", post_raw(session, b"[" * 100_000 + b"]" * 100_000))
    show("5,000-digit integer id", post_raw(session, b'{"text": "a b.", "id": ' + b"9" * 5000 + b"}"))
    show("GET /api/v1/analyze", session.get("/api/v1/analyze"))
    show("surrogate in a field name", post_raw(session, b'{"text": "a b.", "\\ud800": 1}'))
    started = time.monotonic()
    probe = [{"text": long_text(199_999), "targets": [f"claim {k}" for k in range(16)]}] * 25
    show("25 x 199,999 chars x 16 claims", session.post("/api/v1/analyze", json=probe), time.monotonic() - started)


def neighbours(url: str) -> None:
    poisoned = json.dumps({**SMALL, "title": "T"}).replace('"T"', '"T\\ud800"').encode()
    counts = {"ok": 0, "failed": 0, "hostile": 0}
    stop = threading.Event()

    def normal() -> None:
        with httpx.Client(base_url=url, timeout=300) as session:
            for _ in range(10):
                ok = session.post("/api/v1/analyze", json=SMALL).status_code == 200
                counts["ok" if ok else "failed"] += 1

    def hostile() -> None:
        with httpx.Client(base_url=url, timeout=300) as session:
            while not stop.is_set():
                post_raw(session, poisoned)
                counts["hostile"] += 1
                time.sleep(0.5)

    bad = threading.Thread(target=hostile)
    bad.start()
    threads = [threading.Thread(target=normal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    bad.join()
    print(f"neighbours: 4 clients x 10 normal requests beside one sending a surrogate title every 0.5 s: "
          f"{counts['ok']} ok, {counts['failed']} failed ({counts['hostile']} hostile requests)")


def small_latencies(url: str, clients: int = 3, each: int = 4) -> list[float]:
    times: list[float] = []

    def run() -> None:
        with httpx.Client(base_url=url, timeout=600) as session:
            for _ in range(each):
                started = time.monotonic()
                assert session.post("/api/v1/analyze", json=SMALL).status_code == 200
                times.append(time.monotonic() - started)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def fairness(url: str, heavy_chars: int, heavy_claims: int) -> None:
    alone = small_latencies(url)
    heavy: dict = {}

    def send_heavy() -> None:
        with httpx.Client(base_url=url, timeout=900) as session:
            started = time.monotonic()
            response = session.post("/api/v1/analyze", json={"text": long_text(heavy_chars),
                                                             "targets": [f"claim {k}" for k in range(heavy_claims)]})
            heavy.update(status=response.status_code, seconds=time.monotonic() - started, body=response.text[:200],
                         done_at=time.monotonic())

    thread = threading.Thread(target=send_heavy)
    thread.start()
    time.sleep(3.0)
    beside = small_latencies(url)
    beside_done = time.monotonic()
    thread.join()
    print(f"fairness: small requests from 3 clients, median / max seconds: alone {statistics.median(alone):.2f} / "
          f"{max(alone):.2f}; while a heavy request ({heavy_chars:,} chars x {heavy_claims} claims) runs "
          f"{statistics.median(beside):.2f} / {max(beside):.2f}; the heavy one: {heavy.get('status')} in "
          f"{heavy.get('seconds', 0):.1f} s; the small ones were all done before it: "
          f"{beside_done < heavy.get('done_at', 0)}")


def disconnect(url: str, session: httpx.Client) -> None:
    try:
        httpx.post(url + "/api/v1/analyze", json={"text": long_text(150_000), "targets": ["a", "b"]}, timeout=3)
    except httpx.ReadTimeout:
        pass
    started = time.monotonic()
    while session.get("/healthz").json()["queue"]["pending_articles"] and time.monotonic() - started < 120:
        time.sleep(0.1)
    print(f"disconnect: a heavy request abandoned after 3 s left the queue {time.monotonic() - started:.1f} s later")


def sigterm(model: str | None, args: list[str], log_dir: Path) -> None:
    process = ServerProcess(model, args=args, log_path=log_dir / "sigterm.log", nice=10).start()
    answers: list = []

    def send(chars: int) -> None:
        with httpx.Client(base_url=process.url, timeout=300) as session:
            try:
                response = session.post("/api/v1/analyze", json={"text": long_text(chars), "targets": ["a", "b"]})
                answers.append((response.status_code, response.headers.get("content-type"),
                                response.headers.get("retry-after"), response.text[:90]))
            except httpx.HTTPError as error:
                answers.append(("no answer", type(error).__name__))

    threads = [threading.Thread(target=send, args=(120_000,)) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.5)
    time.sleep(4.0)
    started = time.monotonic()
    code = process.stop(timeout=60)
    took = time.monotonic() - started
    for thread in threads:
        thread.join()
    print(f"SIGTERM during long requests: exit status {code} after {took:.1f} s; the 3 clients got:")
    for answer in answers:
        print("   ", answer)


def batch_cli(model: str | None, log_dir: Path) -> None:
    source, target = log_dir / "hostile.jsonl", log_dir / "hostile.out.jsonl"
    source.write_text("\n".join([
        '{"id": "t", "text": "Bad \\ud800 text. ' + SMALL["text"] + '"}',
        '{"id": "h", "title": "Head \\udc00", "text": "' + SMALL["text"] + '"}',
        '{"id": "c", "targets": ["claim \\udfff"], "text": "' + SMALL["text"] + '"}',
        '{"id": "i\\ud800", "text": "' + SMALL["text"] + '"}',
        '{"id": ' + "9" * 5000 + ', "text": "x"}',
        "[" * 100_000 + "]" * 100_000,
        '{"id": "ok", "text": "' + SMALL["text"] + '"}',
    ]) + "\n", encoding="ascii")
    command = [sys.executable, "-m", "classifier.cli", "batch", str(source), str(target), "--no-progress"]
    if model:
        command += ["--model", model]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] if target.exists() else []
    print(f"batch CLI on 7 hostile records: exit status {done.returncode}, {len(records)} records written, "
          f"{sum('error' in r for r in records)} error records ({[r.get('error', '')[:40] for r in records if 'error' in r]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--heavy-chars", type=int, default=60_000)
    parser.add_argument("--heavy-claims", type=int, default=3)
    options = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="presslens-probe-"))
    batch_cli(options.model, log_dir)
    args = ["--max-wait", "0.01"]
    with ServerProcess(options.model, args=args, log_path=log_dir / "server.log", nice=10) as server, \
            httpx.Client(base_url=server.url, timeout=600) as session:
        hostile_bodies(session)
        neighbours(server.url)
        fairness(server.url, options.heavy_chars, options.heavy_claims)
        disconnect(server.url, session)
    sigterm(options.model, args, log_dir)
    print(f"(server logs in {log_dir})")


if __name__ == "__main__":
    main()
