"""Articles per second next to the raw encoder's sequences per second, per precision, in one process.

    python benchmarks/throughput.py                                   # shipped model, fp32 bf16 int8, 48 articles
    python benchmarks/throughput.py --precisions bf16,int8 --rounds 3 --model path/to/checkpoint
    python benchmarks/throughput.py --input articles.jsonl           # your own articles ("text", "title")

Articles: by default ~700-token CNN/DailyMail validation articles (../shared/data/cnn_dailymail, or
$PRESSLENS_DATA_DIR) with their first highlight as the headline, roughly detokenised and re-cased (the data is
lower-cased PTB tokens), so that cleaning, segmentation and tokenization cost what they cost on real text.

For each precision the script measures, through `Analyzer.analyze_many` (batch 16, as `presslens batch`):
  full           topic + stance (toward the headline) + summary
  topic+summary  one document window per article
  stance         the stance pass alone
and the raw encoder (`model.encoder`, the same precision, inference mode) on batches of 16 random token
sequences of exactly 512, 256 and 128 tokens (no padding): sequences/s, each taken right after an analysis
figure. Then the ratio of full articles/s to 512-token encoder sequences/s, per round (1.0 would be one
unpadded 512-token pass per article and no other work), and
what the encoder saw during the full analysis (sequences per article, mean padded length, padding share).
Precisions are measured in turns, `--rounds` times, and the median of each figure is printed, so that a
shared machine's noise hits them alike. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LENGTHS = (512, 256, 128)
MODES = {"full": ("topic", "stance", "summary"), "topic+summary": ("topic", "summary"), "stance": ("stance",)}


# -- articles ---------------------------------------------------------------------------------------------
def detokenize(text: str) -> str:
    """Lower-cased PTB tokens -> roughly what a news site prints (spacing, quotes, sentence capitals)."""
    text = text.replace("-lrb-", "(").replace("-rrb-", ")").replace("``", '"').replace("''", '"')
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    text = re.sub(r" ([.,:;!?%)\]])", r"\1", text)
    text = re.sub(r"([(\[$]) ", r"\1", text)
    text = re.sub(r"(\w) - (\w)", r"\1-\2", text)
    text = re.sub(r'" ([^"]*?) "', r'"\1"', text)
    text = re.sub(r"\bi\b", "I", text)
    text = re.sub(r"\(cnn\)", "(CNN)", text)
    return re.sub(r"(^|[.!?]\"? +)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def cnn_dailymail_articles(count: int, tokenizer, low: int = 600, high: int = 820) -> list[dict]:
    """`count` validation articles of low..high wordpiece tokens (headline excluded), in file order."""
    data_dir = Path(os.environ.get("PRESSLENS_DATA_DIR") or REPO.parent / "shared" / "data")
    path = data_dir / "cnn_dailymail" / "validation.jsonl.gz"
    if not path.is_file():
        sys.exit(f"{path} is missing: pass --input articles.jsonl (one {{'text', 'title'}} object per line)")
    articles = []
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            text = detokenize(row["article"])
            if low <= len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= high:
                title = detokenize(row["highlights"].split("\n")[0]).rstrip(" .")
                articles.append({"id": row["id"], "title": title, "text": text})
                if len(articles) == count:
                    break
    return articles


def jsonl_articles(path: Path, count: int) -> list[dict]:
    with open(path, encoding="utf-8") as stream:
        rows = [json.loads(line) for line in stream if line.strip()]
    return [{"id": str(i), "title": r.get("title"), "text": r["text"]} for i, r in enumerate(rows[:count])]


# -- measurements -----------------------------------------------------------------------------------------
def rate(work: Callable[[], int], min_seconds: float = 0.0) -> float:
    """Items per second of `work` (which returns how many items it did), repeated to last min_seconds."""
    done, started = 0, time.perf_counter()
    while True:
        done += work()
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return done / elapsed


def analysis_rate(analyzer, articles: list[dict], tasks: tuple[str, ...]) -> float:
    from classifier.inputs import ArticleInput

    inputs = [ArticleInput(a["text"], title=a["title"], id=a["id"]) for a in articles]
    return rate(lambda: sum(1 for _ in analyzer.analyze_many(inputs, tasks=tasks)))


def encoder_rate(analyzer, length: int, batch: int, min_seconds: float) -> float:
    import torch

    from classifier.precision import compute_context

    generator = torch.Generator().manual_seed(length)
    ids = torch.randint(1000, analyzer.config.encoder["vocab_size"], (batch, length), generator=generator)
    mask = torch.ones_like(ids)
    encoder = analyzer.model.encoder

    def work() -> int:
        with compute_context(analyzer.precision):
            encoder(input_ids=ids, attention_mask=mask)
        return batch

    return rate(work, min_seconds)


class EncoderCounter:
    """Counts what the encoder is fed: sequences, padded tokens, real tokens."""

    def __init__(self, encoder) -> None:
        self.sequences = self.padded = self.real = 0
        self.handle = encoder.register_forward_pre_hook(self.hook, with_kwargs=True)

    def hook(self, module, args, kwargs) -> None:
        ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        self.sequences += ids.shape[0]
        self.padded += ids.numel()
        self.real += int(mask.sum()) if mask is not None else ids.numel()

    def close(self) -> None:
        self.handle.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--input", type=Path, default=None, help="JSONL articles with 'text' (and 'title')")
    parser.add_argument("--articles", type=int, default=48)
    parser.add_argument("--precisions", default="fp32,bf16,int8")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="turns over all precisions; medians are printed")
    parser.add_argument("--encoder-seconds", type=float, default=2.0, help="minimum time per encoder figure")
    args = parser.parse_args(argv)

    import torch

    from classifier.analyzer import Analyzer

    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    analyzers = {p: Analyzer.from_pretrained(args.model, precision=p, batch_size=args.batch_size) for p in precisions}
    first = next(iter(analyzers.values()))
    if args.input:
        articles = jsonl_articles(args.input, args.articles)
    else:
        articles = cnn_dailymail_articles(args.articles, first.tokenizer)
    tokens = [len(first.tokenizer(a["text"], add_special_tokens=False)["input_ids"]) for a in articles]
    print(f"{len(articles)} articles, {statistics.mean(tokens):.0f} tokens on average (min {min(tokens)}, "
          f"max {max(tokens)}); model {first.model_info.name} {first.model_info.version}; torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads; batch {args.batch_size}", flush=True)

    figures: dict[str, dict[str, list[float]]] = {p: {} for p in precisions}
    feed: dict[str, tuple[float, float, float]] = {}
    for analyzer in analyzers.values():  # warm-up: first calls allocate and pick kernels
        list(analyzer.analyze_many(articles[: args.batch_size]))
    for round_ in range(args.rounds):
        for precision, analyzer in analyzers.items():
            # Each analysis figure is taken next to an encoder figure, so that both see the same machine load.
            row = figures[precision]
            counter = EncoderCounter(analyzer.model.encoder)
            row.setdefault("full", []).append(analysis_rate(analyzer, articles, MODES["full"]))
            counter.close()
            feed[precision] = (counter.sequences / len(articles), counter.padded / max(1, counter.sequences),
                               1 - counter.real / max(1, counter.padded))
            row.setdefault("enc512", []).append(encoder_rate(analyzer, 512, args.batch_size, args.encoder_seconds))
            row.setdefault("topic+summary", []).append(analysis_rate(analyzer, articles, MODES["topic+summary"]))
            row.setdefault("enc256", []).append(encoder_rate(analyzer, 256, args.batch_size, args.encoder_seconds))
            row.setdefault("stance", []).append(analysis_rate(analyzer, articles, MODES["stance"]))
            row.setdefault("enc128", []).append(encoder_rate(analyzer, 128, args.batch_size, args.encoder_seconds))
            row.setdefault("full/enc512", []).append(row["full"][-1] / row["enc512"][-1])
            print(f"  round {round_ + 1}/{args.rounds} {precision}: " + "  ".join(
                f"{k} {v[-1]:.2f}" for k, v in row.items()), flush=True)

    print()
    print("articles/s (full, topic+summary, stance) and encoder sequences/s at 512/256/128 tokens, medians")
    header = (f"{'precision':<10}{'full':>7}{'top+sum':>9}{'stance':>8}{'enc512':>8}{'enc256':>8}{'enc128':>8}"
              f"{'full/enc512':>13}{'seq/article':>13}{'mean len':>10}{'padding':>9}")
    print(header)
    for precision in precisions:
        med = {k: statistics.median(v) for k, v in figures[precision].items()}
        per_article, length, padding = feed[precision]
        print(f"{precision:<10}{med['full']:>7.2f}{med['topic+summary']:>9.2f}{med['stance']:>8.2f}"
              f"{med['enc512']:>8.1f}{med['enc256']:>8.1f}{med['enc128']:>8.1f}{med['full/enc512']:>13.2f}"
              f"{per_article:>13.2f}{length:>10.0f}{padding:>9.1%}")
    if len(precisions) > 1:
        base = precisions[0]
        print(f"\nspeed-up over {base} (same run):")
        for precision in precisions[1:]:
            cells = []
            for key in ("full", "topic+summary", "stance", "enc512", "enc256", "enc128"):
                cells.append(f"{key} x{statistics.median(figures[precision][key]) / statistics.median(figures[base][key]):.2f}")
            print(f"  {precision:<6} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
