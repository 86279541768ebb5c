"""Articles per second next to the raw encoder's sequences per second, per precision, in one process.

    python benchmarks/throughput.py                                   # shipped model, fp32 bf16 int8, 48 articles
    python benchmarks/throughput.py --precisions bf16,int8 --rounds 3 --model path/to/checkpoint
    python benchmarks/throughput.py --input articles.jsonl           # your own articles ("text", "title")
    python benchmarks/throughput.py --cpu both --precisions bf16,openvino:bf16,auto   # + the AVX2 class
    python benchmarks/throughput.py --cpu avx2 --precisions fp32,openvino:fp32,openvino+f16:fp32,openvino+f32:fp32

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
Paths (precision, or backend:precision) are measured in turns, `--rounds` times, and the median of each
figure is printed, so that a shared machine's noise hits them alike. `--cpu avx2` measures as on an AVX2-only
CPU (the ISA caps of benchmarks/cpu_classes.py, set in a subprocess before torch is imported); `--cpu both`
measures this CPU, then the AVX2 class, and prints both tables and each side's ratios to its own first
path. A path BACKEND+WEIGHTS:PRECISION sets how the OpenVINO graphs store their weights (f16, f32; plain
`openvino` is the backend's own choice, `auto`: classifier/openvino_backend.py convert_encoder); for every
OpenVINO path the kernels it ran are printed, with how many are MLAS or AVX-512 (under the avx2 class those
escaped the cap, so that path's figure is an upper bound). Numbers only; nothing is asserted.
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
sys.path.insert(0, str(REPO / "benchmarks"))

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


def load_path(spec: str, args):
    """'fp32' or 'torch:int8' or 'openvino:bf16' or 'openvino+f16:fp32' (OpenVINO with its graphs' weights
    stored as float16, see classifier/openvino_backend.py convert_encoder) -> (name, Analyzer)."""
    from classifier.analyzer import Analyzer

    backend, _, precision = spec.rpartition(":")
    backend, _, weights = (backend or "torch").partition("+")
    if weights:  # the Analyzer's own choice is 'auto': build the encoder with the asked storage, then hand it over
        from classifier.openvino_backend import OpenVINOEncoder

        torch_side = Analyzer.from_pretrained(args.model, precision="fp32", batch_size=args.batch_size)
        model = torch_side.model
        model.fold_stance_adapter()
        from classifier.precision import resolve_precision

        resolved = resolve_precision(precision)
        model.encoder = OpenVINOEncoder(model.encoder, resolved, stance_layers=model.stance_layers, weights=weights)
        analyzer = Analyzer(model, torch_side.tokenizer, batch_size=args.batch_size, precision=resolved,
                            backend=backend)
    else:
        analyzer = Analyzer.from_pretrained(args.model, precision=precision, batch_size=args.batch_size,
                                            backend=backend)
    name = precision if precision != "auto" else f"auto={analyzer.precision}"
    short = {"openvino": "ov"}.get(backend, backend) + (f"+{weights}" if weights else "")
    return (name if backend == "torch" else f"{short}:{name}"), analyzer


def kernel_census(analyzer) -> dict[str, int] | None:
    """The OpenVINO encoder's kernels per node type (None for torch): shows what escaped an ISA cap."""
    kernels = getattr(analyzer.model.encoder, "kernels", None)
    return kernels() if kernels is not None else None


def measure(args, specs: list[str]) -> dict:
    """Every figure of every path, `--rounds` turns, in this process: {'header', 'paths', 'medians', 'feed'}."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    analyzers = dict(load_path(spec, args) for spec in specs)
    first = next(iter(analyzers.values()))
    if args.input:
        articles = jsonl_articles(args.input, args.articles)
    else:
        articles = cnn_dailymail_articles(args.articles, first.tokenizer)
    tokens = [len(first.tokenizer(a["text"], add_special_tokens=False)["input_ids"]) for a in articles]
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA") or "none"
    header = (f"{len(articles)} articles, {statistics.mean(tokens):.0f} tokens on average (min {min(tokens)}, "
              f"max {max(tokens)}); model {first.model_info.name} {first.model_info.version}; torch "
              f"{torch.__version__}, {torch.get_num_threads()} threads; batch {args.batch_size}; oneDNN ISA cap {cap}")
    print(header, flush=True)

    figures: dict[str, dict[str, list[float]]] = {name: {} for name in analyzers}
    feed: dict[str, tuple[float, float, float]] = {}
    for analyzer in analyzers.values():  # warm-up: first calls allocate and pick kernels
        list(analyzer.analyze_many(articles[: args.batch_size]))
    for round_ in range(args.rounds):
        for name, analyzer in analyzers.items():
            # Each analysis figure is taken next to an encoder figure, so that both see the same machine load.
            row = figures[name]
            counter = EncoderCounter(analyzer.model.encoder)
            row.setdefault("full", []).append(analysis_rate(analyzer, articles, MODES["full"]))
            counter.close()
            feed[name] = (counter.sequences / len(articles), counter.padded / max(1, counter.sequences),
                          1 - counter.real / max(1, counter.padded))
            row.setdefault("enc512", []).append(encoder_rate(analyzer, 512, args.batch_size, args.encoder_seconds))
            row.setdefault("topic+summary", []).append(analysis_rate(analyzer, articles, MODES["topic+summary"]))
            row.setdefault("enc256", []).append(encoder_rate(analyzer, 256, args.batch_size, args.encoder_seconds))
            row.setdefault("stance", []).append(analysis_rate(analyzer, articles, MODES["stance"]))
            row.setdefault("enc128", []).append(encoder_rate(analyzer, 128, args.batch_size, args.encoder_seconds))
            row.setdefault("full/enc512", []).append(row["full"][-1] / row["enc512"][-1])
            print(f"  round {round_ + 1}/{args.rounds} {name}: " + "  ".join(
                f"{k} {v[-1]:.2f}" for k, v in row.items()), flush=True)
    medians = {name: {k: statistics.median(v) for k, v in row.items()} for name, row in figures.items()}
    kernels = {name: kernel_census(analyzer) for name, analyzer in analyzers.items()}
    return {"header": header, "paths": list(analyzers), "medians": medians, "feed": feed, "kernels": kernels}


def print_table(result: dict, title: str) -> None:
    print(f"\n{title}\n{result['header']}")
    print("articles/s (full, topic+summary, stance) and encoder sequences/s at 512/256/128 tokens, medians")
    print(f"{'path':<16}{'full':>7}{'top+sum':>9}{'stance':>8}{'enc512':>8}{'enc256':>8}{'enc128':>8}"
          f"{'full/enc512':>13}{'seq/article':>13}{'mean len':>10}{'padding':>9}")
    for name in result["paths"]:
        med = result["medians"][name]
        per_article, length, padding = result["feed"][name]
        print(f"{name:<16}{med['full']:>7.2f}{med['topic+summary']:>9.2f}{med['stance']:>8.2f}"
              f"{med['enc512']:>8.1f}{med['enc256']:>8.1f}{med['enc128']:>8.1f}{med['full/enc512']:>13.2f}"
              f"{per_article:>13.2f}{length:>10.0f}{padding:>9.1%}")
    for name, kernels in result.get("kernels", {}).items():
        if kernels:
            escaped = sum(n for kernel, n in kernels.items() if "mlas" in kernel or "avx512" in kernel)
            print(f"kernels of {name} (both graphs): " + ", ".join(f"{k} {n}" for k, n in sorted(kernels.items()))
                  + f"; {escaped} of {sum(kernels.values())} are MLAS or AVX-512")
    if len(result["paths"]) > 1:
        base = result["paths"][0]
        print(f"speed-up over {base} (same run):")
        for name in result["paths"][1:]:
            cells = [f"{key} x{result['medians'][name][key] / result['medians'][base][key]:.2f}"
                     for key in ("full", "topic+summary", "stance", "enc512", "enc256", "enc128")]
            print(f"  {name:<14} " + "  ".join(cells))


def measure_in_child(args, cpu: str, specs: list[str]) -> dict:
    """The same measurement in a fresh interpreter with `cpu`'s ISA caps set before torch is imported."""
    import subprocess
    import tempfile

    from cpu_classes import CPU_CLASSES

    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "figures.json"
        command = [sys.executable, __file__, "--cpu", cpu, "--precisions", ",".join(specs), "--report-json",
                   str(report), "--articles", str(args.articles), "--batch-size", str(args.batch_size),
                   "--rounds", str(args.rounds), "--encoder-seconds", str(args.encoder_seconds),
                   "--threads", str(args.threads)]
        command += ["--model", args.model] if args.model else []
        command += ["--input", str(args.input)] if args.input else []
        subprocess.run(command, env={**os.environ, **CPU_CLASSES[cpu]}, check=True)
        return json.loads(report.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--input", type=Path, default=None, help="JSONL articles with 'text' (and 'title')")
    parser.add_argument("--articles", type=int, default=48)
    parser.add_argument("--precisions", default="fp32,bf16,int8",
                        help="paths: PRECISION (torch) or BACKEND:PRECISION, e.g. fp32,bf16,openvino:bf16,auto")
    parser.add_argument("--cpu", choices=("native", "avx2", "both"), default="native",
                        help="avx2: as on an AVX2-only CPU (benchmarks/cpu_classes.py), in a subprocess with the "
                             "ISA caps set before torch is imported; both: native here, then avx2")
    parser.add_argument("--avx2-precisions", default="fp32,int8,openvino:fp32,auto",
                        help="the paths of the avx2 side of --cpu both")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="turns over all paths; medians are printed")
    parser.add_argument("--encoder-seconds", type=float, default=2.0, help="minimum time per encoder figure")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch (and OpenVINO) threads [default: torch's, which follows $OMP_NUM_THREADS]")
    parser.add_argument("--report-json", type=Path, default=None, help=argparse.SUPPRESS)  # the child's answer
    args = parser.parse_args(argv)
    specs = [p.strip() for p in args.precisions.split(",") if p.strip()]

    from cpu_classes import CPU_CLASSES

    if args.cpu == "avx2" and any(os.environ.get(k) != v for k, v in CPU_CLASSES["avx2"].items()):
        result = measure_in_child(args, "avx2", specs)  # the caps must be set before torch is imported
    elif args.cpu == "both":
        native = measure(args, specs)
        avx2 = measure_in_child(args, "avx2", [p.strip() for p in args.avx2_precisions.split(",") if p.strip()])
        print_table(native, "native CPU (as the machine is)")
        print_table(avx2, "avx2 CPU class (oneDNN, MKL, FBGEMM and ATen capped at AVX2; an OpenVINO path whose "
                          "kernels below show MLAS or AVX-512 escaped the cap there: an upper bound)")
        base = native["paths"][0]
        print(f"\navx2 side against native {base} (full articles/s; two processes one after the other, so "
              "machine load may differ between them):")
        for name in avx2["paths"]:
            print(f"  avx2 {name:<14} x{avx2['medians'][name]['full'] / native['medians'][base]['full']:.2f}")
        return 0
    else:
        result = measure(args, specs)
    if args.report_json:
        args.report_json.write_text(json.dumps(result), encoding="utf-8")
        return 0
    print_table(result, f"{args.cpu} CPU class")
    return 0


if __name__ == "__main__":
    sys.exit(main())
