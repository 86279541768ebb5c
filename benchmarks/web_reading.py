"""How well presslens reads real web pages, next to trafilatura used alone on the same pages.

    python benchmarks/web_reading.py --bodies DIR [--headlines DIR] [--summaries] [--limit N]

--bodies DIR     a checkout of the public article-extraction benchmark (scrapinghub/article-extraction-
                 benchmark): DIR/html/<id>.html.gz and DIR/ground-truth.json with hand-made `articleBody`.
--headlines DIR  the test pages of mozilla/readability (DIR/<name>/source.html + expected-metadata.json with
                 the page's `title` and `lang`).
--summaries      also run the shipped model on the --bodies pages and count summary sentences that are not
                 in the hand-made body (slow: minutes).

Prints, for presslens (classifier.reading.read_article) and trafilatura.extract with its defaults:
body-text precision/recall/F1 on 4-gram word shingles (the benchmark's own measure: mean precision and
mean recall over pages, F1 from the two), headline accuracy (exact after case and punctuation folding;
also with a trailing " - Site" part of the expected title ignored, since readability's expected titles
keep some site names), language accuracy, pages that failed, and milliseconds per page (both readers
timed page by page in the same run, so the ratio holds on a busy machine). No page is stored in the repo.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(truth: str, prediction: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over shingles, normalised to sum to 1 so that long pages do not weigh more."""
    true, pred = shingles(truth), shingles(prediction)
    tp, fp, fn = sum((true & pred).values()), sum((pred - true).values()), sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def ratio(a: float, b: float, other: float) -> float:
        if b == other == 0:
            return 1.0
        return 0.0 if a == b == 0 else a / (a + b)

    precision = statistics.mean(ratio(tp, fp, fn) for tp, fp, fn in rows if tp + fp > 0)
    recall = statistics.mean(ratio(tp, fn, fp) for tp, fp, fn in rows if tp + fn > 0)
    return precision, recall, 2 * precision * recall / (precision + recall)


def fold(text: str | None) -> list[str]:
    return _TOKEN.findall((text or "").casefold())


def without_site_tail(title: str) -> str:
    parts = re.split(r"\s+(?:[|\-\u2013\u2014\u00b7]|::)\s+|\s*_\s*(?=[^\x00-\x7f])", title)
    return parts[0] if len(parts) > 1 and len(parts[-1].split()) <= 4 else title


def timed(function, *args):
    started = time.perf_counter()
    try:
        return function(*args), time.perf_counter() - started, None
    except Exception as error:  # a failure is counted and reported, never fatal to the run
        return None, time.perf_counter() - started, error


def read(markup: bytes):
    from classifier.reading import read_article

    return read_article(markup)


def trafilatura_alone(markup: bytes):
    import trafilatura

    return trafilatura.extract(markup)


def trafilatura_title(markup: bytes):
    import trafilatura

    document = trafilatura.bare_extraction(markup, with_metadata=True)
    return document.title if document else None


def bodies(folder: Path, limit: int | None, summaries: bool) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit] if limit else sorted(truth)
    rows = {"presslens": [], "trafilatura": []}
    seconds = {"presslens": 0.0, "trafilatura": 0.0}
    failures: list[tuple[str, str]] = []
    listing, articles = 0, {}
    read("<html><body><p>warm up the imports and the language model once.</p></body></html>".encode())
    trafilatura_alone(b"<html><body><p>warm up</p></body></html>")
    for page_id in ids:
        markup = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        body = truth[page_id]["articleBody"]
        article, took, error = timed(read, markup)
        seconds["presslens"] += took
        if error is not None:
            failures.append((page_id, f"{type(error).__name__}: {error}"))
            rows["presslens"].append(page_counts(body, ""))
        else:
            rows["presslens"].append(page_counts(body, " ".join(article.sentences)))
            listing += any("listing" in w for w in article.warnings)
            articles[page_id] = markup
        text, took, _ = timed(trafilatura_alone, markup)
        seconds["trafilatura"] += took
        rows["trafilatura"].append(page_counts(body, text or ""))
    print(f"Body text, {len(ids)} pages with hand-made article bodies (4-gram shingles)")
    print(f"{'':14}{'precision':>10}{'recall':>10}{'F1':>8}{'ms/page':>10}")
    for name in rows:
        precision, recall, f1 = prf(rows[name])
        print(f"{name:14}{precision:10.3f}{recall:10.3f}{f1:8.3f}{1000 * seconds[name] / len(ids):10.1f}")
    print(f"pages that failed: {len(failures)}; flagged as listing pages: {listing}")
    for page_id, message in failures[:10]:
        print(f"  {page_id[:12]}: {message[:160]}")
    if summaries:
        outside_body(articles, truth)


def outside_body(pages: dict[str, bytes], truth: dict) -> None:
    """Share of summary (and evidence) sentences whose text is not in the hand-made article body."""
    from classifier import Analyzer

    analyzer = Analyzer.from_pretrained()
    counts = Counter()
    examples = []
    for page_id, analysis in zip(pages, analyzer.analyze_many(pages.values(), tasks=("summary", "stance"))):
        body = truth[page_id]["articleBody"]
        body_shingles = shingles(body, 3)
        for role, chosen in (("summary", analysis.summary.sentences),
                             ("evidence", [s for st in analysis.stances for s in st.evidence])):
            for sentence in chosen:
                own = shingles(sentence.text, 3)
                inside = sum((own & body_shingles).values()) / max(1, sum(own.values()))
                counts[role] += 1
                if inside < 0.5:
                    counts[role + "_outside"] += 1
                    if len(examples) < 12:
                        examples.append(f"{role}: {sentence.text[:110]}")
    for role in ("summary", "evidence"):
        share = counts[role + "_outside"] / max(1, counts[role])
        print(f"{role} sentences not in the hand-made body: {counts[role + '_outside']} of {counts[role]} "
              f"({share:.1%})")
    for example in examples:
        print("  " + example)


def headlines(folder: Path, limit: int | None) -> None:
    pages = sorted(p for p in folder.iterdir() if (p / "expected-metadata.json").is_file())[:limit]
    scores = {"presslens": Counter(), "trafilatura": Counter()}
    language = Counter()
    misses = []
    for page in pages:
        meta = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
        markup = (page / "source.html").read_bytes()
        expected = meta.get("title") or ""
        article, _, error = timed(read, markup)
        found = {"presslens": None if error else article.title, "trafilatura": timed(trafilatura_title, markup)[0]}
        real = b"Lorem ipsum" not in markup  # readability's own synthetic test pages say "Lorem ipsum"
        for name, title in found.items():
            strict = fold(title) == fold(expected)
            loose = strict or fold(title) == fold(without_site_tail(expected))
            scores[name].update(pages=1, strict=strict, loose=loose, real=real, real_loose=real and loose)
        if found["presslens"] and not (fold(found["presslens"]) in (fold(expected), fold(without_site_tail(expected)))):
            misses.append(f"  {page.name}: expected {expected!r}, got {found['presslens']!r}")
        if meta.get("lang") and article is not None and len(" ".join(article.sentences)) > 200:
            language.update(pages=1, right=(article.language or "").split("-")[0] == meta["lang"].split("-")[0].lower())
        if error is not None:
            scores["presslens"].update(failed=1)
    print(f"\nHeadlines, {len(pages)} pages (readability's test pages; {scores['presslens']['real']} real sites)")
    print(f"{'':14}{'exact':>8}{'site tail ignored':>20}{'real sites only':>18}{'failed':>8}")
    for name, s in scores.items():
        print(f"{name:14}{s['strict'] / s['pages']:8.1%}{s['loose'] / s['pages']:20.1%}"
              f"{s['real_loose'] / max(1, s['real']):18.1%}{s['failed']:8d}")
    print(f"language right on {language['right']} of {language['pages']} pages that state theirs")
    print("presslens headline misses:")
    print("\n".join(misses[:40]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bodies", type=Path, help="article-extraction-benchmark checkout (html/, ground-truth.json)")
    parser.add_argument("--headlines", type=Path, help="readability's test/test-pages folder")
    parser.add_argument("--summaries", action="store_true", help="also measure summary sentences (runs the model)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    args = parser.parse_args(argv)
    if not args.bodies and not args.headlines:
        parser.error("give --bodies DIR and/or --headlines DIR")
    if args.bodies:
        bodies(args.bodies, args.limit, args.summaries)
    if args.headlines:
        headlines(args.headlines, args.limit)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
