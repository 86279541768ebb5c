"""How much the "read as running text" validation figure depends on how the tokenised text is turned back into text.

    python benchmarks/cnndm_running_text.py [--form evaluate|quotes|cased] [--articles 1000] [--model DIR]

The local CNN/DM files are lower-cased and PTB-tokenised. training/evaluate.py's running-text figure joins the
detokenised sentences, which leaves quote tokens standing alone (`ya ' alon`, `' we are sad , ' she said`) and
every sentence in lower case; the inference segmenter then runs sentences together, so Lead-3 of "the same
sentences" is longer than the published lead. This reads evaluate.py's 1,000 validation articles (same seeded
rows) in one of three forms and scores the summary next to Lead-3 of the same sentences:

* evaluate: exactly evaluate.py's running text;
* quotes: quote tokens glued back to the word they open or close (the published spelling: 'We are sad,' she said);
* cased: quotes glued and each sentence (and "I") capitalised, closer to published text (names stay lower-case).

A probe of raw-like Daily Mail text while no raw Daily Mail train/validation articles are at hand; the raw CNN
benchmark is benchmarks/cnndm_raw_summary.py. Prints numbers only.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from summary_report import print_scores  # noqa: E402  (benchmarks/)

_OPENING, _CLOSING = {"\u2018", "\u201c", "``"}, {"''"}
_PLAIN = {"'", '"', "`", "\u2019", "\u201d"}  # the source uses the right quote for opening too
_BEFORE_OPENING = {None, ":", ",", "(", "--", "-", ";", ".", "!", "?"}


def glue_quotes(tokens: list[str], open_quote: dict[str, bool]) -> list[str]:
    """Tokens with each quote glued to the word it opens or closes; `open_quote` carries parity across calls."""
    out: list[str] = []
    glue_next = False
    for i, token in enumerate(tokens):
        previous = tokens[i - 1] if i else None
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in _OPENING or token in _CLOSING or token in _PLAIN:
            kind = '"' if token in {'"', "``", "''", "\u201c", "\u201d"} else "'"
            mark = {"``": '"', "''": '"', "`": "'"}.get(token, token)
            possessive = (kind == "'" and token in {"'", "\u2019"} and not open_quote[kind] and previous not in _BEFORE_OPENING
                          and previous.endswith("s") and following is not None and re.match(r"\w", following))
            closing = token in _CLOSING or possessive or (token in _PLAIN and open_quote[kind]) or (
                token in {"\u2019", "\u201d"} and previous not in _BEFORE_OPENING)
            if closing and out:
                out[-1] += mark
                if not possessive:
                    open_quote[kind] = False
            else:
                out.append(mark)
                open_quote[kind] = True
                glue_next = True
            continue
        if glue_next:
            out[-1] += token
            glue_next = False
        else:
            out.append(token)
    return out


_SENTENCE_END = re.compile(r"^[.!?]+[\"'\u2019\u201d)]*$")  # a sentence-final token (PTB keeps it apart), quotes glued


def running_text(article: str, form: str) -> str:
    from training.summary_labels import detokenize, split_sentences

    if form == "evaluate":
        return " ".join(split_sentences(article))
    sentences, current = [], []
    for word in glue_quotes(article.split(), {"'": False, '"': False}):
        current.append(word)
        if _SENTENCE_END.match(word):
            sentences.append(detokenize(" ".join(current)))
            current = []
    if current:
        sentences.append(detokenize(" ".join(current)))
    if form == "cased":
        sentences = [re.sub(r"^([^a-z]*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), re.sub(r"\bi\b", "I", t))
                     for t in sentences]
    return " ".join(sentences)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--form", choices=("evaluate", "quotes", "cased"), default="evaluate")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    from classifier import Analyzer
    from training.evaluate import summary_rows

    rows = summary_rows(args.data_dir, args.articles)
    texts = [running_text(row["article"], args.form) for row in rows]
    references = list(rows["highlights"])
    analyzer = Analyzer.from_pretrained(args.model)
    started = time.time()
    model, lead, sentences = [], [], 0
    for analysis in analyzer.analyze_many(({"text": t} for t in texts), tasks=["summary"]):
        model.append("\n".join(s.text for s in analysis.summary.sentences))
        lead.append("\n".join(analysis.sentences[:3]))
        sentences += len(analysis.sentences)
    print(f"{len(texts)} validation articles, running text '{args.form}', model {analyzer.config.version}, "
          f"{sentences / len(texts):.1f} sentences each, {time.time() - started:.0f} s")
    print_scores({"presslens": model, "lead-3": lead}, references, baselines=["lead-3"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
