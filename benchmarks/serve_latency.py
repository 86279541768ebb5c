"""`presslens serve` under load: request latency (p50/p95) for 1 and 8 clients, and the server's memory.

    python benchmarks/serve_latency.py                                  # shipped model, default precision
    python benchmarks/serve_latency.py --precision int8 --requests 40
    python benchmarks/serve_latency.py --variant "" --variant MALLOC_ARENA_MAX=8   # environment side by side

For each variant (environment settings for the server process; "" = as configured) the script starts
`python -m demo.server` in a child process, warms it up, then
  1. one client POSTs one ~700-token article (a CNN/DailyMail validation article with its headline, as in
     benchmarks/throughput.py; else the longest demo example) `--requests` times, one after another;
  2. 8 clients each POST the same article until 8 x `--requests` answers are in;
while a thread samples the server's resident memory (VmRSS) every 0.2 s. Prints latency p50/p95 (seconds per
request, client side, full analysis), articles/s, and RSS idle (after warm-up), peak and steady state (the
median of the samples taken during the 8-client phase), and RSS after the load; then, after the server has
stopped, the same article analyzed `--requests` times in this process (`Analyzer.prepare` + `analyze`, same
model and precision): what the API adds is the difference. Numbers only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def one_article() -> dict:
    from classifier.fast_tokenizer import load_fast_tokenizer

    try:
        from throughput import cnn_dailymail_articles

        return cnn_dailymail_articles(1, load_fast_tokenizer(REPO / "classifier" / "default_model"))[0]
    except SystemExit:  # no data here: the longest demo example
        from demo.ui import load_examples

        example = max(load_examples(), key=lambda e: len(e.text))
        return {"id": "example", "title": example.title, "text": example.text}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.stopped = pid, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.samples.append(rss_mib(self.pid))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_clients(url: str, article: dict, clients: int, total: int) -> tuple[list[float], float]:
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    left = [total]

    def client() -> None:
        with httpx.Client(base_url=url, timeout=600) as session:
            while True:
                with lock:
                    if left[0] == 0:
                        return
                    left[0] -= 1
                started = time.perf_counter()
                session.post("/api/v1/analyze", json=article).raise_for_status()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return latencies, total / (time.perf_counter() - started)


def in_process(args, article: dict) -> list[float]:
    """Seconds per `Analyzer.prepare` + `analyze` of the article in this process (no server, no HTTP)."""
    from classifier import Analyzer

    analyzer = Analyzer.from_pretrained(args.model, precision=args.precision)
    for _ in range(3):
        analyzer.analyze(analyzer.prepare(article))
    seconds = []
    for _ in range(args.requests):
        started = time.perf_counter()
        analyzer.analyze(analyzer.prepare(article))
        seconds.append(time.perf_counter() - started)
    return seconds


def measure(variant: str, args, article: dict) -> None:
    import httpx

    from demo.process import ServerProcess

    saved = dict(os.environ)
    server_args = ["--precision", args.precision]
    if variant.startswith("--"):  # server options, e.g. "--max-batch 4"
        server_args += variant.split()
    else:
        for setting in filter(None, variant.split(",")):
            key, _, value = setting.partition("=")
            os.environ[key.strip()] = value.strip()
    try:
        server = ServerProcess(args.model, args=server_args, nice=args.nice).start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        pid = server.process.pid
        with httpx.Client(base_url=server.url, timeout=600) as warm:
            for _ in range(4):
                warm.post("/api/v1/analyze", json=article).raise_for_status()
        time.sleep(1.0)
        idle = rss_mib(pid)
        sampler = Sampler(pid)
        sampler.start()
        single, single_rate = run_clients(server.url, article, 1, args.requests)
        mark = len(sampler.samples)
        many, many_rate = run_clients(server.url, article, args.clients, args.clients * args.requests)
        loaded = sampler.samples[mark:] or [rss_mib(pid)]
        time.sleep(2.0)
        after = rss_mib(pid)
        sampler.stopped.set()
    finally:
        server.stop()
    name = variant or "default environment"
    print(f"[{name}] precision {args.precision}")
    if args.in_process:
        local = in_process(args, article)
        print(f"  in process (Analyzer.prepare + analyze, no server): p50 {percentile(local, 0.5):.3f} s  "
              f"p95 {percentile(local, 0.95):.3f} s")
    print(f"  1 client : p50 {percentile(single, 0.5):.3f} s  p95 {percentile(single, 0.95):.3f} s  "
          f"{single_rate:.2f} articles/s  ({len(single)} requests)")
    print(f"  {args.clients} clients: p50 {percentile(many, 0.5):.3f} s  p95 {percentile(many, 0.95):.3f} s  "
          f"{many_rate:.2f} articles/s  ({len(many)} requests)")
    print(f"  RSS MiB  : idle {idle:.0f}  under {args.clients} clients: steady {statistics.median(loaded):.0f}, "
          f"peak {max(loaded):.0f}  after {after:.0f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "int8"])
    parser.add_argument("--requests", type=int, default=30, help="requests per client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--nice", type=int, default=0, help="niceness of the server process")
    parser.add_argument("--no-in-process", dest="in_process", action="store_false",
                        help="skip timing the same article in this process (no server), after the server runs")
    parser.add_argument("--variant", action="append", default=None,
                        help='server environment, e.g. "MALLOC_ARENA_MAX=2" ("" = unchanged), or server options '
                             '(starting with --, e.g. "--max-batch 4"); repeatable')
    args = parser.parse_args(argv)
    article = one_article()
    print(f"article: {len(article['text'].split())} words, headline {article['title']!r}")
    for variant in args.variant or [""]:
        measure(variant, args, article)
    return 0


if __name__ == "__main__":
    sys.exit(main())
