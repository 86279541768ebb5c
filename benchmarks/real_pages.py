"""Reading real saved news pages, through the door a user uses, next to trafilatura and newspaper4k.

    python benchmarks/real_pages.py --aeb DIR --readability DIR --newspaper4k DIR [--l3s DIR] [--newspaper DIR]
                                    [--dragnet DIR] [--cleanportal DIR] [--limit N] [--no-model] [--misses N] [--dump FILE]
                                    [--reading-only] [--cache DIR] [--no-timing] [--timing-pages N] [--no-newspaper4k]

Each DIR is a public repository holding saved pages with hand-made ground truth, either a checkout or a git
directory (read with `git archive`; nothing of them is stored in this repository):

--aeb          scrapinghub/article-extraction-benchmark: html/<id>.html.gz, ground-truth.json (articleBody);
               181 pages of 2019-2020 from as many sites.
--readability  mozilla/readability: test/test-pages/<name>/{source.html, expected.html,
               expected-metadata.json (title)}; the 100 or so real pages of its 130 (those filled with
               "Lorem ipsum" are its synthetic layout cases, left out), 2010-2023, many old or odd layouts.
--newspaper4k  AndyTheFactory/newspaper4k: tests/data/{html,txt,metadata}/<name>.*; 2018-2023, several
               languages, with titles.
--l3s          geodrome/page-signal: L3S-GN1-*/{original,annotated}/<uuid>.html; the L3S-GN1 set of 621 news
               pages of 2008 from 408 sites, each labelled by hand (Kohlschuetter et al., WSDM 2010): the spans
               marked headline (x-nc-sel1) are the headline, those marked full text (x-nc-sel2) the body
               (captions, related links and comments are not).
--newspaper    codelucas/newspaper: tests/data/{html,text}/<name>.*; 157 pages of 2013-2016. Its expected
               texts were made with newspaper itself, so this source favours newspaper4k (reported apart);
               the 21 pages whose expected text is empty or a note on newspaper's own failure in capitals
               ("MISSED LAST PARAGRAPH", "EXTRACTED NOTHING") are left out (124 remain): not the article.
--dragnet      j-szulc/html-cleaning-dataset-merged (its dragnet_data/{input,GoldStandard}: Moz's Dragnet set,
               seomoz/dragnet_data, whose own repository has the HTML only as an absent large file): 1,381 news
               and blog pages of 2012, the content copied out by hand; the comments after its
               "!@#$%^&*()  COMMENTS" line are not the body. The gold text keeps the headline, the date and
               the captions, which no reader here puts in its body text. No headlines.
--cleanportal  the same repository (CleanPortalEval-master/{input,GoldStandard}, ppke-nlpg/CleanPortalEval):
               69 pages of 2012-13 from five portals (BBC news, WSJ and Washington Post blogs, MSNBC) in
               CleanEval's hand-made format; its first <h> block is the headline, the rest the body.

For every page: body F1 (4-gram word shingles, mean precision and mean recall over pages, F1 of the two),
headline right (token F1 >= 0.8 against the hand-made headline, where the source has one, or against it
without a trailing site part: readability's expected titles keep some site names, which presslens cuts), pages refused
or failed, and, with the model, the share of summary and evidence sentences that are not in the hand-made
body (3-gram shingles, less than half inside). presslens is run as a user runs it: `presslens batch
IN.jsonl OUT.jsonl --include-text` (python -m classifier.cli, with all its defaults, limits included);
its `article.sentences` are the body, `article.title` the headline. Reading time: `read_article` and
`trafilatura.extract` page by page in this process, side by side, so the ratio holds on a busy machine.

Pages are split by a hash of their id: one in three is held out (never looked at while tuning); both parts
are reported. newspaper4k is optional (pip install newspaper4k; benchmark only).

--reading-only is the fast mode for tuning the reading chain: `read_article` is called in this process on each
page (with the batch's default article-size limit, no subprocess, no model), so body F1, headline right and
refusals are reported as in the full run, without summary and evidence figures. --cache DIR keeps
trafilatura's and newspaper4k's answers per page (keyed by the page's bytes and the reader's version), which
do not change while presslens is tuned; --no-timing skips the side-by-side reading-time pass, and
--timing-pages N times it on every k-th page only (about N pages) on a machine too busy for all.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r"\w+")


@dataclasses.dataclass
class Page:
    source: str
    name: str
    html: bytes
    body: str
    headline: str | None = None

    @property
    def id(self) -> str:
        return f"{self.source}/{self.name}"

    @property
    def held_out(self) -> bool:
        return int(hashlib.sha1(self.id.encode()).hexdigest(), 16) % 3 == 0


# ------------------------------------------------------------------------------------------------ sources
def checkout(path: Path, parts: list[str], scratch: Path) -> Path:
    """A folder with the repository's files: `path` itself, or its files exported from a git directory."""
    if not ((path / "HEAD").is_file() and (path / "objects").is_dir()):
        return path
    target = Path(tempfile.mkdtemp(dir=scratch))
    archive = subprocess.run(["git", "--git-dir", str(path), "archive", "HEAD", *parts],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def html_text(markup: str) -> str:
    """The text of an expected-content HTML fragment, one block per line."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(markup)
    for element in tree.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre"):
        element.tail = "\n" + (element.tail or "")
    return tree.text_content()


def aeb_pages(root: Path) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [Page("aeb", key, gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()), value["articleBody"])
            for key, value in sorted(truth.items())]


def readability_pages(root: Path) -> list[Page]:
    pages = []
    for folder in sorted((root / "test" / "test-pages").iterdir()):
        meta_path = folder / "expected-metadata.json"
        if not meta_path.is_file() or not (folder / "expected.html").is_file():
            continue
        if b"Lorem ipsum" in (folder / "source.html").read_bytes():
            continue  # readability's own synthetic test pages (layout cases filled with Lorem ipsum), not news
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        body = html_text((folder / "expected.html").read_text(encoding="utf-8"))
        pages.append(Page("readability", folder.name, (folder / "source.html").read_bytes(), body,
                          meta.get("title") or None))
    return pages


def newspaper4k_pages(root: Path) -> list[Page]:
    data, pages = root / "tests" / "data", []
    for html_path in sorted((data / "html").glob("*.html")):
        text_path, meta_path = data / "txt" / f"{html_path.stem}.txt", data / "metadata" / f"{html_path.stem}.json"
        if not text_path.is_file():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        pages.append(Page("newspaper4k", html_path.stem, html_path.read_bytes(),
                          text_path.read_text(encoding="utf-8"), meta.get("title") or None))
    return pages


def newspaper_pages(root: Path) -> list[Page]:
    data, pages = root / "tests" / "data", []
    for path in sorted((data / "html").glob("*.html")):
        text_path = data / "text" / f"{path.stem}.txt"
        if not text_path.is_file():
            continue
        expected = text_path.read_text(encoding="utf-8", errors="replace")
        if not expected.strip() or not re.search(r"[a-z]", expected):
            continue  # empty, or a note on newspaper's own failure ("MISSED LAST PARAGRAPH"), not the article
        pages.append(Page("newspaper*", path.stem, path.read_bytes(), expected))
    return pages


def l3s_pages(root: Path) -> list[Page]:
    from lxml import html as lxml_html

    pages = []
    for folder in sorted(root.glob("L3S-GN1-*")):
        for original in sorted((folder / "original").glob("*.html")):
            annotated = folder / "annotated" / original.name
            if not annotated.is_file():
                continue
            tree = lxml_html.fromstring(annotated.read_bytes())
            # Labels are on text blocks (text not broken by a tag other than <a>): a labelled span that
            # wraps other elements is the annotator's markup spilling over a whole menu, not a block.
            parts = lambda label: [span.text_content().strip() for span in tree.xpath(  # noqa: E731
                f'//span[contains(concat(" ", @class, " "), " {label} ")][not(.//*[not(self::a)])]')]
            body = "\n".join(part for part in parts("x-nc-sel2") if part)
            headline = " ".join(" ".join(parts("x-nc-sel1")).split())
            if body:
                pages.append(Page("l3s-gn1", original.stem, original.read_bytes(), body, headline or None))
    return pages


def dragnet_pages(root: Path) -> list[Page]:
    folder = root / "dragnet_data"
    pages = []
    for html_path in sorted((folder / "input").glob("*.html"), key=lambda path: path.name):
        gold = folder / "GoldStandard" / f"{html_path.stem}.txt"
        if not gold.is_file():
            continue
        raw = gold.read_bytes()
        try:
            text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # most gold files are Windows-1252
        body = text.split(_DRAGNET_COMMENTS)[0]
        if body.strip():
            pages.append(Page("dragnet", html_path.stem, html_path.read_bytes(), body))
    return pages


_DRAGNET_COMMENTS = "!@#$%^&*()"  # the gold files' own line between the article and its comments


def cleanportal_pages(root: Path) -> list[Page]:
    import html as html_module

    folder, pages = root / "CleanPortalEval-master", []
    for html_path in sorted((folder / "input").glob("*.html")):
        gold = folder / "GoldStandard" / f"{html_path.stem}.txt"
        if not gold.is_file():
            continue
        text = re.sub(r"<!--.*?-->", "", gold.read_text(encoding="utf-8", errors="replace"), flags=re.S)
        lines = [line for line in text.splitlines() if not line.startswith("URL:")]
        blocks = [" ".join(block.split()) for block in re.split(r"<(?:h|p|l)>", "\n".join(lines))]
        blocks = [html_module.unescape(block) for block in blocks if block]
        first = re.search(r"<(h|p|l)>", "\n".join(lines))
        headline = blocks[0] if blocks and first and first.group(1) == "h" else None
        body = blocks[1:] if headline else blocks  # the headline is reported apart, as in L3S-GN1
        if not body:
            continue  # "this page contains no article"
        pages.append(Page("cleanportal", html_path.stem, html_path.read_bytes(), "\n".join(body), headline))
    return pages


SOURCES = {"aeb": (aeb_pages, ["html", "ground-truth.json"]), "readability": (readability_pages, ["test/test-pages"]),
           "newspaper4k": (newspaper4k_pages, ["tests/data"]), "l3s": (l3s_pages, [f"L3S-GN1-20100130203947-00001/{part}" for part in ("original", "annotated")]),
           "newspaper": (newspaper_pages, ["tests/data"]),
           "dragnet": (dragnet_pages, ["dragnet_data/input", "dragnet_data/GoldStandard"]),
           "cleanportal": (cleanportal_pages, ["CleanPortalEval-master/input", "CleanPortalEval-master/GoldStandard"])}


# ------------------------------------------------------------------------------------------------ metrics
def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall((text or "").casefold())
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_prf(truth: str, prediction: str) -> tuple[float, float]:
    true, pred = shingles(truth), shingles(prediction)
    tp = sum((true & pred).values())
    precision = tp / sum(pred.values()) if pred else (1.0 if not true else 0.0)
    recall = tp / sum(true.values()) if true else 1.0
    return precision, recall


def f1_of(rows: list[tuple[float, float]]) -> float:
    if not rows:
        return float("nan")
    precision, recall = statistics.mean(r[0] for r in rows), statistics.mean(r[1] for r in rows)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def without_site_tail(title: str) -> str:
    """The expected title without a trailing site part: readability's expected titles keep some."""
    parts = re.split(r"\s+(?:[|\-\u2013\u2014\u00b7]|::)\s+|\s*_\s*(?=[^\x00-\x7f])", title)
    return parts[0] if len(parts) > 1 and len(parts[-1].split()) <= 4 else title


def headline_right(expected: str, found: str | None) -> bool:
    """Token F1 >= 0.8 with the expected headline, or with it without a trailing site part."""
    return any(_token_f1(variant, found) >= 0.8 for variant in {expected, without_site_tail(expected)})


def _token_f1(expected: str, found: str | None) -> float:
    a, b = Counter(_TOKEN.findall(expected.casefold())), Counter(_TOKEN.findall((found or "").casefold()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(b.values()), common / sum(a.values())
    return 2 * precision * recall / (precision + recall)


def outside(sentence: str, body_shingles: Counter) -> bool:
    own = shingles(sentence, 3)
    return sum((own & body_shingles).values()) / max(1, sum(own.values())) < 0.5


# ------------------------------------------------------------------------------------------------ readers
def run_presslens_batch(pages: list[Page], work: Path, model: bool) -> dict[str, dict]:
    """`presslens batch --include-text` over all pages, as a user runs it; results by page id."""
    from classifier.reading.decode import decode_bytes

    source, target = work / "pages.jsonl", work / "results.jsonl"
    with open(source, "w", encoding="utf-8") as stream:
        for page in pages:
            stream.write(json.dumps({"id": page.id, "text": decode_bytes(page.html, [])}, ensure_ascii=False) + "\n")
    command = [sys.executable, "-m", "classifier.cli", "batch", str(source), str(target), "--include-text",
               "--overwrite", "--no-progress"]
    if not model:
        command += ["--tasks", "topic"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    subprocess.run(command, check=True, env=environment, cwd=ROOT)
    print(f"presslens batch: {len(pages)} pages in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    results = {}
    for line in target.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        results[record["id"]] = record
    return results


def run_reading_only(pages: list[Page]) -> dict[str, dict]:
    """`read_article` on every page in this process, as `presslens batch` reads it (the page's text decoded
    the same way, the default article-size limit); results in the batch's record form, by page id."""
    from classifier.inputs import MAX_CHARS
    from classifier.reading import read_article
    from classifier.reading.decode import decode_bytes

    results, started = {}, time.perf_counter()
    for page in pages:
        try:
            article = read_article(decode_bytes(page.html, []), max_chars=MAX_CHARS)
        except Exception as error:  # an InputError is the batch's error record; anything else too, never fatal
            results[page.id] = {"id": page.id, "error": f"{type(error).__name__}: {error}"}
            continue
        results[page.id] = {"id": page.id, "article": {"title": article.title, "sentences": list(article.sentences)}}
    print(f"read_article: {len(pages)} pages in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return results


def cached(read, name: str, cache: Path | None):
    """`read`, with its answers kept in `cache` (one JSON file per reader): third-party readers do not change
    while presslens is tuned, and reading every page with them again is most of a reading-only run."""
    if cache is None:
        return read
    module = __import__({"trafilatura": "trafilatura", "newspaper4k": "newspaper"}[name])
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}-{getattr(module, '__version__', 'unknown')}.json"
    store = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def read_cached(markup: bytes) -> tuple[str, str | None]:
        key = hashlib.sha1(markup).hexdigest()
        if key not in store:
            text, title = read(markup)
            store[key] = [text, title]
        return tuple(store[key])

    read_cached.save = lambda: path.write_text(json.dumps(store, ensure_ascii=False), encoding="utf-8")
    return read_cached


def trafilatura_read(markup: bytes) -> tuple[str, str | None]:
    import trafilatura

    document = trafilatura.bare_extraction(markup, with_metadata=True)
    return (document.text or "", document.title) if document else ("", None)


def newspaper_read(markup: bytes) -> tuple[str, str | None]:
    from newspaper import Article

    article = Article("https://example.org/article", fetch_images=False)
    article.download(input_html=markup.decode("utf-8", errors="replace"))
    article.parse()
    return article.text or "", article.title or None


def reading_times(pages: list[Page]) -> tuple[float, float]:
    """Seconds per page of presslens's reading chain and of trafilatura.extract, page by page alternately."""
    import trafilatura

    from classifier.reading import read_article

    read_article(b"<html><body><p>Warm up the imports and the language model once.</p></body></html>")
    ours = theirs = 0.0
    for page in pages:
        started = time.perf_counter()
        try:
            read_article(page.html)
        except Exception:
            pass
        middle = time.perf_counter()
        trafilatura.extract(page.html)
        ours, theirs = ours + middle - started, theirs + time.perf_counter() - middle
    return ours / len(pages), theirs / len(pages)


# ------------------------------------------------------------------------------------------------ report
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in SOURCES:
        parser.add_argument(f"--{name}", type=Path, help=f"{name} checkout or git directory")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each source")
    parser.add_argument("--no-model", action="store_true", help="skip summary/evidence (topic only: faster)")
    parser.add_argument("--no-newspaper4k", action="store_true", help="do not run newspaper4k")
    parser.add_argument("--misses", type=int, default=0,
                        help="print up to N headline and body misses (tuning part only: the held-out part is never shown)")
    parser.add_argument("--reading-only", action="store_true",
                        help="read_article in this process, no batch and no model: body and headline only (fast)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep trafilatura's and newspaper4k's answers here between runs")
    parser.add_argument("--no-timing", action="store_true", help="skip the side-by-side reading-time pass")
    parser.add_argument("--timing-pages", type=int, default=0,
                        help="time reading on every k-th page only, about this many (0 = all pages)")
    parser.add_argument("--dump", type=Path, default=None,
                        help="write per-page figures (JSON lines) of the tuning part here, for looking at misses")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    scratch = Path(tempfile.mkdtemp(prefix="real-pages-"))
    pages: list[Page] = []
    for name, (load, parts) in SOURCES.items():
        path = getattr(args, name)
        if path:
            loaded = load(checkout(path, parts, scratch))
            pages += loaded[: args.limit] if args.limit else loaded
    if not pages:
        parser.error("give at least one source")
    results = run_reading_only(pages) if args.reading_only else run_presslens_batch(pages, scratch,
                                                                                       model=not args.no_model)
    readers = {"trafilatura": cached(trafilatura_read, "trafilatura", args.cache)}
    if not args.no_newspaper4k:
        try:
            import newspaper  # noqa: F401

            readers["newspaper4k"] = cached(newspaper_read, "newspaper4k", args.cache)
        except ImportError:
            print("newspaper4k is not installed: left out", file=sys.stderr)

    body_rows: dict[tuple[str, str, str], list] = defaultdict(list)  # (system, source, part) -> rows
    head_rows: dict[tuple[str, str, str], list] = defaultdict(list)
    counts: Counter = Counter()
    misses: list[tuple[str, bool]] = []  # (line, held out)
    dump_rows: list[dict] = []
    for page in pages:
        part = "held-out" if page.held_out else "tuning"
        record = results.get(page.id, {})
        article = record.get("article") or {}
        found = {"presslens": (" ".join(article.get("sentences", [])), article.get("title"))}
        if "error" in record:
            counts[("refused", page.source)] += 1
            counts[("refused for size", page.source)] += "limit" in record["error"]
            misses.append((f"REFUSED {page.id}: {record['error'][:150]}", page.held_out))
        for name, read in readers.items():
            try:
                found[name] = read(page.html)
            except Exception as error:  # counted as an empty answer, never fatal
                found[name] = ("", None)
                counts[(f"{name} failed", page.source)] += 1
        for name, (text, title) in found.items():
            body_rows[(name, page.source, part)].append(page_prf(page.body, text))
            if page.headline:
                head_rows[(name, page.source, part)].append(headline_right(page.headline, title))
        if page.headline and not headline_right(page.headline, found["presslens"][1]):
            misses.append((f"HEADLINE {page.id}: expected {page.headline!r}, got {found['presslens'][1]!r}",
                           page.held_out))
        if args.dump and not page.held_out:
            dump_rows.append({"id": page.id, "headline": page.headline, **{
                name: {"title": title, "prf": page_prf(page.body, text), "chars": len(text)}
                for name, (text, title) in found.items()}})
        body = shingles(page.body, 3)
        for role, chosen in (("summary", record.get("summary", {}).get("sentences", [])),
                             ("evidence", [e for s in record.get("stances", []) for e in s.get("evidence", [])])):
            for sentence in chosen:
                counts[(role, page.source)] += 1
                if outside(sentence["text"], body):
                    counts[(role + " outside", page.source)] += 1
                    misses.append((f"{role.upper()} {page.id}: {sentence['text'][:140]!r}", page.held_out))

    for read in readers.values():
        if hasattr(read, "save"):
            read.save()
    if args.dump:
        args.dump.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in dump_rows), encoding="utf-8")
    systems = ["presslens", *readers]
    sources = sorted({p.source for p in pages})
    print(f"\n{len(pages)} pages ({sum(p.held_out for p in pages)} held out) from {len(sources)} sources")
    print(f"\nbody F1 (4-gram shingles)              " + "".join(f"{s:>14}" for s in systems) + f"{'pages':>8}")
    for source in [*sources, "all"]:
        for part in ("tuning", "held-out", "both"):
            keys = [(src, prt) for src in (sources if source == "all" else [source])
                    for prt in (("tuning", "held-out") if part == "both" else (part,))]
            rows = {s: [r for k in keys for r in body_rows[(s, *k)]] for s in systems}
            if rows["presslens"]:
                print(f"  {source:14}{part:>10}              " + "".join(f"{f1_of(rows[s]):14.3f}" for s in systems)
                      + f"{len(rows['presslens']):8d}")
    print(f"\nheadline right (token F1 >= 0.8)        " + "".join(f"{s:>14}" for s in systems) + f"{'pages':>8}")
    for source in [*sources, "all"]:
        for part in ("tuning", "held-out", "both"):
            keys = [(src, prt) for src in (sources if source == "all" else [source])
                    for prt in (("tuning", "held-out") if part == "both" else (part,))]
            rows = {s: [r for k in keys for r in head_rows[(s, *k)]] for s in systems}
            if rows["presslens"]:
                print(f"  {source:14}{part:>10}              "
                      + "".join(f"{sum(rows[s]) / len(rows[s]):14.1%}" for s in systems) + f"{len(rows['presslens']):8d}")
    what = "read_article" if args.reading_only else "presslens batch"
    print(f"\n{what}, per source: refused (for size), summary and evidence sentences not in the body"
          + (" (no model in this mode)" if args.reading_only else ""))
    for source in [*sources, "all"]:
        pick = sources if source == "all" else [source]
        total = lambda key: sum(counts[(key, s)] for s in pick)  # noqa: E731
        print(f"  {source:14} refused {total('refused')} ({total('refused for size')} for size); summary "
              f"{total('summary outside')}/{total('summary')} ({total('summary outside') / max(1, total('summary')):.1%})"
              f"; evidence {total('evidence outside')}/{total('evidence')} "
              f"({total('evidence outside') / max(1, total('evidence')):.1%})")
    if not args.no_timing:
        step = max(1, len(pages) // args.timing_pages) if args.timing_pages else 1
        ours, theirs = reading_times(pages[::step])
        print(f"\nreading time per page: presslens read_article {1000 * ours:.1f} ms, trafilatura.extract "
              f"{1000 * theirs:.1f} ms (x{ours / theirs:.2f}), same run, page by page, {len(pages[::step])} pages")
    for line in [m for m, held in misses if not held][: args.misses]:
        print("  " + line)


if __name__ == "__main__":
    main()
