"""The stance stage's training mixture, as windows the Analyzer would build: FNC-1 (honest train split),
ARC's train split, claim-evidence pairs (NLI / fact verification) and news-style minimal pairs made from
CNN/DailyMail sentences (training/stance_synth.py).

    examples = build_mixture(tokenizer, config)     # [StanceExample], shuffled, seeded
    python -m training.stance_data                  # prints the mixture's sizes per source and label

Each example carries the article label and, where the data says it, the verdict of each window sentence
(supports / refutes / neutral) for the per-sentence head; -100 where unknown (a long FNC or ARC body).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
from collections import Counter
from pathlib import Path

from classifier.encoding import Window, tokenize_sentences
from classifier.errors import InputError
from classifier.reading import read_article
from classifier.stance_input import stance_window

from .data import default_data_dir, local_file
from .examples import body_sentences
from .stance_split import stance_split
from .stance_synth import NEUTRAL, REFUTES, SUPPORTS, cnn_stories, fnc_stories, make_examples

WRITTEN_DIR = Path(__file__).resolve().parent / "written"
SENTENCE_LABELS = sorted([NEUTRAL, REFUTES, SUPPORTS])  # labels travel sorted (style.md #2)
IGNORE = -100
# claim_evidence sets used for training, and how many pairs of each (NLI label -> FNC label below).
EVIDENCE_SETS = {
    "fever_rte_dev": 2500, "mnli_taxinli": 2000, "anli_dev_test": 1500, "cad_snli": 1000, "covid_fact": 1200,
    "climate_fever": 1000, "healthver_dev_test": 1000, "perspectrum": 800, "conjnli": 800, "scifact_rte": 500,
    "liar_plus_val_test": 800,
}
EVIDENCE_LABEL = {"support": "agree", "refute": "disagree", "neutral": "discuss"}
VERDICT = {"agree": SUPPORTS, "disagree": REFUTES, "discuss": NEUTRAL}
LABEL_VERDICTS = {"agree": SUPPORTS, "disagree": REFUTES}  # the labels that take a side (model config)


@dataclasses.dataclass
class StanceExample:
    window: Window
    label: int
    sentence_labels: list[int]  # one per window-local sentence
    source: str


@dataclasses.dataclass
class MixtureConfig:
    data_dir: str | None = None
    fnc_related: int = 9000  # FNC-1 honest-train related pairs (all disagree kept)
    fnc_unrelated: int = 2500
    arc_unrelated: int = 1200
    synthetic_stories: int = 3200  # from CNN/DailyMail highlights
    fnc_stories: int = 0  # from FNC-1 honest-train agree headlines
    evidence_scale: float = 1.0
    max_length: int = 192
    max_claim: int = 64
    seed: int = 13
    written_dir: str | None = str(WRITTEN_DIR)  # hand-written news-style items: folder(s) of *.jsonl, comma-separated
    written_repeat: int = 4  # each written item this many times: a few hundred natural items among ~40k


def build_mixture(tokenizer, config: MixtureConfig, stance_labels: list[str], log=print) -> list[StanceExample]:
    rng = random.Random(config.seed)
    label_id = {name: i for i, name in enumerate(stance_labels)}
    verdict_id = {name: i for i, name in enumerate(SENTENCE_LABELS)}
    out: list[StanceExample] = []
    data_dir = Path(config.data_dir) if config.data_dir else default_data_dir()

    def add(claim, sentences, label, source, verdicts=None, tokens=None):
        tokens = tokens if tokens is not None else tokenize_sentences(tokenizer, sentences)
        window, _ = stance_window(tokenizer, claim, sentences, tokens, config.max_length, config.max_claim)
        if verdicts is None:
            local = [IGNORE] * len(window.sentence_ids)
        else:
            local = [verdict_id[verdicts[i]] if verdicts[i] is not None else IGNORE for i in window.sentence_ids]
        out.append(StanceExample(window, label_id[label], local, source))

    # FNC-1, honest train split: related pairs (disagree all), some unrelated
    train_rows, _ = stance_split(config.data_dir)
    related = [r for r in train_rows if r["label"] != "unrelated"]
    disagree = [r for r in related if r["label"] == "disagree"]
    others = [r for r in related if r["label"] != "disagree"]
    rng.shuffle(others)
    unrelated = [r for r in train_rows if r["label"] == "unrelated"]
    rng.shuffle(unrelated)
    chosen = disagree + others[: max(0, config.fnc_related - len(disagree))] + unrelated[: config.fnc_unrelated]
    bodies: dict = {}  # FNC and ARC repeat bodies on many rows: read and tokenize each once

    def read_body(key, body: str, claim: str):
        if key not in bodies:
            sentences = body_sentences(body, claim)
            bodies[key] = (sentences, tokenize_sentences(tokenizer, sentences))
        return bodies[key]

    for row in chosen:
        sentences, tokens = read_body(("fnc", row["body_id"]), row["body"], row["claim"])
        add(row["claim"], sentences, row["label"], "fnc1", tokens=tokens)
    log(f"fnc1: {len(chosen)} pairs")

    # ARC (another domain, FNC-1's labels): its train split only; the test split is an evaluation
    arc = [r for r in _rows(data_dir / "claim_evidence" / "arc.jsonl.gz") if r["split"] == "train"]
    arc_related = [r for r in arc if r["label_orig"] != "unrelated"]
    arc_unrelated = [r for r in arc if r["label_orig"] == "unrelated"]
    rng.shuffle(arc_unrelated)
    for row in arc_related + arc_unrelated[: config.arc_unrelated]:
        sentences, tokens = read_body(("arc", row["premise"]), row["premise"], row["hypothesis"])
        add(row["hypothesis"], sentences, row["label_orig"], "arc", tokens=tokens)
    log(f"arc: {len(arc_related) + min(len(arc_unrelated), config.arc_unrelated)} pairs")

    # claim-evidence pairs: a short premise is one "article"; a one-sentence premise gets a verdict
    for name, count in EVIDENCE_SETS.items():
        rows = [r for r in _rows(data_dir / "claim_evidence" / f"{name}.jsonl.gz")
                if r["label3"] in EVIDENCE_LABEL and "test" not in str(r.get("split"))]  # test splits stay untouched
        rng.shuffle(rows)
        rows = rows[: round(count * config.evidence_scale)]
        for row in rows:
            sentences = body_sentences(row["premise"], row["hypothesis"]) or [row["premise"]]
            label = EVIDENCE_LABEL[row["label3"]]
            verdicts = [VERDICT[label]] if len(sentences) == 1 else None
            add(row["hypothesis"], sentences, label, name, verdicts)
        log(f"{name}: {len(rows)} pairs")

    # news-style minimal pairs from CNN/DailyMail train articles
    from sentencex import segment

    stories = cnn_stories(_rows(local_file("summary", "train", config.data_dir)), config.synthetic_stories,
                          lambda text: list(segment("en", text)))
    fnc_agree = [r for r in train_rows if r["label"] == "agree"]
    rng.shuffle(fnc_agree)
    stories += fnc_stories(fnc_agree, config.fnc_stories, body_sentences)
    rng.shuffle(stories)
    for ex in make_examples(stories, rng):
        verdicts = [NEUTRAL] * len(ex.sentences)
        if ex.decisive >= 0:
            verdicts[ex.decisive] = ex.verdict
        add(ex.claim, ex.sentences, ex.label, f"synthetic:{ex.kind}", verdicts)
    log(f"synthetic: {len(stories)} stories ({config.synthetic_stories} asked from CNN/DM, {config.fnc_stories} from FNC-1)")

    # hand-written news-style items (training/written/): natural wording the templates above lack
    if config.written_dir and config.written_repeat > 0:
        items = load_written(config.written_dir)
        for item in items:
            sentences, verdicts = written_sentences(item)
            if not sentences:
                continue
            for _ in range(config.written_repeat):
                add(item["claim"], sentences, item["label"], f"written:{item['kind']}", verdicts)
        log(f"written: {len(items)} items x {config.written_repeat}")

    rng.shuffle(out)
    return out


WRITTEN_FIELDS = ("id", "group", "kind", "label", "claim", "title", "text", "decisive")


def load_written(directories: str | Path) -> list[dict]:
    """Every item of every *.jsonl file in `directories`: one folder, or several joined by commas (each
    round of writing keeps its own folder; none when a folder is absent). A malformed item, or an id that
    two items share (within a folder or across them), is an error that names its file and line: training
    data is ours, so it is fixed, not skipped."""
    items, seen = [], {}
    for directory in _folders(directories):
        for path in sorted(directory.glob("*.jsonl")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                item = json.loads(line)
                missing = [f for f in WRITTEN_FIELDS if f not in item]
                if missing or item["label"] not in VERDICT and item["label"] != "unrelated":
                    raise ValueError(f"{path}:{number}: bad item {item.get('id')!r} (missing {missing}, label {item.get('label')!r})")
                if item["id"] in seen:
                    raise ValueError(f"{path}:{number}: id {item['id']!r} is also at {seen[item['id']]}")
                seen[item["id"]] = f"{path}:{number}"
                items.append(item)
    return items


def _folders(directories: str | Path) -> list[Path]:
    if isinstance(directories, Path):
        return [directories]
    return [Path(part.strip()) for part in str(directories).split(",") if part.strip()]


def written_sentences(item: dict) -> tuple[list[str], list[str | None]]:
    """The item's body read as inference reads it, and a verdict per sentence: its own label's verdict for
    the sentences that hold a decisive passage, neutral everywhere in an unrelated article, else unknown
    (a background sentence of a refutation may still lean one way: not taught either way)."""
    try:
        sentences = list(read_article(item["text"], title=item["title"]).sentences)
    except InputError:
        return [], []
    if item["label"] == "unrelated":
        return sentences, [NEUTRAL] * len(sentences)
    verdict = VERDICT[item["label"]]
    decisive = [d.strip() for d in item["decisive"] if d.strip()]
    verdicts = [verdict if any(d in s or s in d for d in decisive) else None for s in sentences]
    return sentences, verdicts


def describe(examples: list[StanceExample], stance_labels: list[str]) -> str:
    counts = Counter((e.source.split(":")[0], stance_labels[e.label]) for e in examples)
    sources = sorted({s for s, _ in counts})
    lines = [f"{'source':<22}" + "".join(f"{l:>10}" for l in stance_labels)]
    for s in sources:
        lines.append(f"{s:<22}" + "".join(f"{counts[(s, l)]:>10}" for l in stance_labels))
    return "\n".join(lines)


def _rows(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


if __name__ == "__main__":
    from classifier.model import load_tokenizer

    tok = load_tokenizer(Path(__file__).resolve().parent.parent / "classifier" / "default_model")
    labels = ["agree", "disagree", "discuss", "unrelated"]
    ex = build_mixture(tok, MixtureConfig(synthetic_stories=200, fnc_related=500, fnc_unrelated=100,
                                          arc_unrelated=100, evidence_scale=0.1), labels)
    print(describe(ex, labels))
