"""The one inference object: load a checkpoint once, analyze one article or a stream of them.

    from classifier import Analyzer
    analyzer = Analyzer.from_pretrained()              # the default model shipped in the package
    result = analyzer.analyze(text, title="Headline")  # -> Analysis; result.to_dict() is the contract
    for result in analyzer.analyze_many(records):      # lazy: batched, length-sorted, input order kept
        ...

Three steps, as in a transformers Pipeline: prepare (clean, segment, validate) -> forward (windows sorted by
length, batched, under torch.inference_mode) -> postprocess (probabilities, summary, evidence).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
from warnings import warn
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .encoding import (
    Window,
    collate_documents,
    collate_pairs,
    first_document_window,
    note_windows,
    pack_windows,
    tokenize_sentences,
)
from .errors import InputError, ModelLoadError
from .fast_tokenizer import load_fast_tokenizer
from .inputs import ArticleInput, PreparedArticle, as_input, check_languages, check_tasks
from .model import PresslensConfig, PresslensModel, apply_stance_decision, load_tokenizer
from .postprocess import average, best, probabilities, select_summary_among, sigmoid, top_sentences
from .precision import BACKENDS, PRECISIONS, compute_context, load_dtypes, native_bf16, prepare_model, resolve_precision
from .results import Analysis, ModelInfo, Sentence, Stance, Summary, Topic
from .reading import read_article
from .reading.language import language_name, preload as preload_language_model
from .stance_input import stance_window

EVIDENCE_SENTENCES = 2
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"


class Analyzer:
    """A loaded checkpoint plus its tokenizer. Thread-compatible for reading; one per process is enough."""

    def __init__(self, model: PresslensModel, tokenizer: Any, *, batch_size: int = 16, precision: str = "auto",
                 backend: str = "torch"):
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        if precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.backend = _check_backend(backend, precision)
        self.precision = _resolve_precision(precision)
        if self.backend == "openvino":
            # OpenVINO runs the encoder (at self.precision); the heads around it stay torch float32.
            from .openvino_backend import OpenVINOEncoder

            if not isinstance(model.encoder, OpenVINOEncoder):
                model = copy.copy(model.eval())  # the caller's model keeps its torch encoder
                model._modules = dict(model._modules)
                model.encoder = OpenVINOEncoder(model.encoder, self.precision)
            self.model = model.eval()
        else:
            self.model = prepare_model(model.eval(), self.precision)  # int8: a copy with a quantised encoder
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    @classmethod
    def from_pretrained(
        cls, path: str | Path | None = None, *, batch_size: int = 16, precision: str = "auto",
        backend: str = "torch",
    ) -> "Analyzer":
        """Load a checkpoint directory; None means the default model shipped inside the package.

        `backend` "openvino" runs the encoder with OpenVINO (the `[openvino]` extra; fp32 or bf16).
        """
        if path is None:
            path = DEFAULT_MODEL_DIR
            if not (path / "config.json").is_file():
                raise ModelLoadError(
                    f"no default model is installed ({path} does not exist yet): pass a checkpoint "
                    "directory (`--model PATH`, or Analyzer.from_pretrained(PATH)) or train one with "
                    "`presslens-train`"
                )
        preload_language_model()  # in a thread: it overlaps loading the encoder
        _check_backend(backend, precision)
        path, resolved = Path(path), _resolve_precision(precision)
        torch_side = resolved if backend == "torch" else "fp32"  # OpenVINO converts a float32 encoder
        model = PresslensModel.from_pretrained(path, dtypes=functools.partial(load_dtypes, precision=torch_side))
        model = prepare_model(model, torch_side, copy_model=False)
        if backend == "openvino":
            from .openvino_backend import OpenVINOEncoder

            model.encoder = OpenVINOEncoder(model.encoder, resolved)  # the torch encoder is freed
        tokenizer = load_fast_tokenizer(path) or load_tokenizer(path)  # tokenizers alone: no transformers import
        return cls(model, tokenizer, batch_size=batch_size, precision=precision, backend=backend)

    # -- what the model knows -------------------------------------------------------------------------
    @property
    def config(self) -> PresslensConfig:
        return self.model.config

    @property
    def labels(self) -> dict[str, list[str]]:
        return {"topic": list(self.config.topic_labels), "stance": list(self.config.stance_labels)}

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(name=self.config.name, version=self.config.version)

    # -- preprocess -----------------------------------------------------------------------------------
    def prepare(
        self, article: ArticleInput | Mapping[str, Any] | str | bytes, *, languages: Iterable[str] | str | None = None
    ) -> PreparedArticle:
        """Read (decode, extract, clean, segment, identify the language) and validate one article.

        InputError says what is wrong with it; with `languages` (e.g. ["en"]) an article found to be in
        another language is an InputError too.
        """
        if isinstance(article, PreparedArticle):
            return article
        accepted = check_languages(languages)
        item = as_input(article)
        read = read_article(item.text, item.title)
        if accepted is not None and read.language is not None and read.language not in accepted:
            raise InputError(
                f"the article is in {language_name(read.language)} ({read.language}), and only "
                f"{', '.join(sorted(accepted))} was asked for (languages); the model reads English only"
            )
        targets = item.targets or ((read.title,) if read.title else ())
        metadata = tuple((key, value) for key in ("date", "author", "site") if (value := getattr(read, key)))
        return PreparedArticle(
            id=item.id,
            title=read.title,
            sentences=read.sentences,
            targets=targets,
            warnings=item.notes + read.warnings,
            language=read.language,
            metadata=metadata,
        )

    # -- analyze --------------------------------------------------------------------------------------
    def analyze(
        self,
        article: str | bytes | ArticleInput | PreparedArticle | Mapping[str, Any],
        *,
        title: str | None = None,
        targets: Sequence[str] | str | None = None,
        id: str | None = None,
        tasks: Iterable[str] | None = None,
        summary_sentences: int = 3,
        languages: Iterable[str] | str | None = None,
    ) -> Analysis:
        """Analyze one article. Keyword arguments override the same fields of an ArticleInput."""
        if isinstance(article, (str, bytes, bytearray)):
            article = ArticleInput(text=article)
        overrides = {"title": title, "targets": targets, "id": id}
        overrides = {key: value for key, value in overrides.items() if value is not None}
        if overrides:
            if isinstance(article, ArticleInput):
                article = dataclasses.replace(article, **overrides)
            elif isinstance(article, Mapping):
                article = {**article, **overrides}
            else:
                raise InputError("title/targets/id cannot override an already prepared article")
        return next(
            self.analyze_many([article], tasks=tasks, summary_sentences=summary_sentences, languages=languages)
        )

    def analyze_many(
        self,
        articles: Iterable[ArticleInput | PreparedArticle | Mapping[str, Any] | str | bytes],
        *,
        tasks: Iterable[str] | None = None,
        summary_sentences: int = 3,
        batch_size: int | None = None,
        languages: Iterable[str] | str | None = None,
    ) -> Iterator[Analysis]:
        """Analyze a stream lazily: `batch_size` articles are read at a time and results come in input order.

        A bad article raises InputError (naming its position) after the results before it were yielded;
        call `prepare` first to report bad records and go on instead. `languages`: see `prepare`.
        """
        wanted = check_tasks(tasks)
        accepted = check_languages(languages)
        if isinstance(summary_sentences, bool) or not isinstance(summary_sentences, int) or summary_sentences < 1:
            raise InputError(f"summary_sentences must be an integer >= 1, got {summary_sentences!r}")
        size = self.batch_size if batch_size is None else batch_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InputError(f"batch_size must be an integer >= 1, got {size!r}")
        return self._stream(iter(articles), wanted, summary_sentences, size, accepted)

    def _stream(
        self, articles: Iterator, tasks: frozenset[str], k: int, size: int, languages: frozenset[str] | None = None
    ) -> Iterator[Analysis]:
        position = 0
        while True:
            chunk: list[PreparedArticle] = []
            error: InputError | None = None
            for raw in itertools.islice(articles, size):
                try:
                    chunk.append(self.prepare(raw, languages=languages))
                except InputError as exc:
                    error = InputError(f"article {position + len(chunk)} (0-based): {exc}", code=exc.code)
                    break
            if chunk:
                yield from self._analyze_chunk(chunk, tasks, k, size)
                position += len(chunk)
            if error is not None:
                raise error
            if len(chunk) < size:
                return

    # -- forward + postprocess ------------------------------------------------------------------------
    def _analyze_chunk(
        self, chunk: list[PreparedArticle], tasks: frozenset[str], k: int, size: int
    ) -> list[Analysis]:
        tokens = _tokenize_chunk(self.tokenizer, chunk)
        warnings = [list(article.warnings) for article in chunk]
        doc_windows = [self._document_windows(a, t, tasks, w) for a, t, w in zip(chunk, tokens, warnings)]
        pair_windows = [self._pair_windows(a, t, tasks, w) for a, t, w in zip(chunk, tokens, warnings)]

        doc_outputs = self._run(
            [w for windows in doc_windows for w in windows], self._forward_documents, size
        )
        pair_outputs = self._run(
            [w for per_target in pair_windows for windows in per_target for w in windows],
            self._forward_pairs,
            size,
        )

        results = []
        doc_iter, pair_iter = iter(doc_outputs), iter(pair_outputs)
        for i, article in enumerate(chunk):
            docs = [(w, next(doc_iter)) for w in doc_windows[i]]
            topic = self._topic(docs) if "topic" in tasks else None
            summary = self._summary(article, docs, k) if "summary" in tasks else None
            stances = None
            if "stance" in tasks:
                stances = tuple(
                    self._stance(article, target, [(w, next(pair_iter)) for w in windows])
                    for target, windows in zip(article.targets, pair_windows[i])
                )
            results.append(
                Analysis(
                    model=self.model_info,
                    sentences=article.sentences,
                    title=article.title,
                    language=article.language,
                    metadata=article.metadata,
                    id=article.id,
                    topic=topic,
                    stances=stances,
                    summary=summary,
                    warnings=tuple(_unique(warnings[i])),
                )
            )
        return results

    def _document_windows(
        self, article: PreparedArticle, tokens: list[list[int]], tasks: frozenset[str], warnings: list[str]
    ) -> list[Window]:
        """The first [CLS] headline [SEP] sentences... window only: it feeds the topic and summary heads."""
        if not tasks & {"topic", "summary"}:
            return []
        config = self.config
        self._note_cut(article.title, config.max_title_tokens, "headline", warnings)
        packed = first_document_window(self.tokenizer, article.title, tokens, config)
        read = max(packed.windows[0].sentence_ids, default=-1) + 1
        if "summary" not in tasks and "stance" not in tasks and read < len(article.sentences):
            warnings.append(  # topic only: nothing else says that the rest of the article was not read
                f"topic judged from the first {read} of {len(article.sentences)} sentences (the first "
                f"{config.max_length}-token window: headline and lead, what the topic head was trained on)"
            )
        if "summary" in tasks:
            if read < len(article.sentences):
                warnings.append(
                    f"summary picked from the first {read} of {len(article.sentences)} sentences "
                    f"(the first {config.max_length}-token window, where the summary head was trained)"
                )
            if "stance" not in tasks and packed.split_sentences:
                warnings.append("a sentence longer than one window was split")
        return packed.windows

    def _pair_windows(
        self, article: PreparedArticle, tokens: list[list[int]], tasks: frozenset[str], warnings: list[str]
    ) -> list[list[Window]]:
        """For each stance target its pair windows: one short window of the claim's most related sentences
        ("related" checkpoints), or [CLS] claim [SEP] sentences... windows over the whole article."""
        if "stance" not in tasks:
            return []
        if not article.targets:
            warnings.append("no claim and no headline: stance skipped")
        config = self.config
        per_target = []
        for j, target in enumerate(article.targets):
            self._note_cut(target, config.max_claim_tokens, "claim", warnings)
            if config.stance_input == "related":
                window, read = stance_window(self.tokenizer, target, article.sentences, tokens,
                                             config.stance_max_length, config.max_claim_tokens)
                per_target.append([window])
                if read < len(article.sentences):
                    warnings.append(
                        f'stance toward "{_short(target)}" read {read} of {len(article.sentences)} sentences '
                        "(the lead and those most related to the claim)"
                    )
                continue
            packed = pack_windows(
                self.tokenizer, target, tokens, config.max_length, config.max_claim_tokens, pair=True
            )
            per_target.append(packed.windows)
            if j == 0:  # the only pass that reads the whole article
                note_windows(len(packed.windows), packed.split_sentences, config.max_length, warnings)
        return per_target

    def forward_windows(self, windows: list[Window], kind: str) -> list[tuple[list[float], list[float]]]:
        """Raw outputs per window, in the windows' order (evaluation scores these against gold labels).

        kind "documents": (topic logits, sentence logits); kind "pairs": (stance logits, body token weights).
        """
        forward = {"documents": self._forward_documents, "pairs": self._forward_pairs}[kind]
        return self._run(windows, forward, self.batch_size)

    def _run(self, windows: list[Window], forward, size: int) -> list[tuple[Any, Any]]:
        """Run windows longest first in batches of `size`; outputs come back in the windows' order."""
        outputs: list[Any] = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].input_ids))
        with compute_context(self.precision if self.backend == "torch" else "fp32"):
            for start in range(0, len(order), size):
                batch = order[start : start + size]
                for i, output in zip(batch, forward([windows[i] for i in batch])):
                    outputs[i] = output
        return outputs

    def _forward_documents(self, windows: list[Window]) -> list[tuple[list[float], list[float]]]:
        batch = collate_documents(windows, self.tokenizer.pad_token_id)
        topic_logits, sentence_logits = self.model.encode_documents(**batch)
        topic_logits, sentence_logits = topic_logits.float().tolist(), sentence_logits.float().tolist()
        return [(topic_logits[row], sentence_logits[row][: len(w.sentence_ids)]) for row, w in enumerate(windows)]

    def _forward_pairs(self, windows: list[Window]) -> list[tuple[list[float], list[float]]]:
        batch = collate_pairs(windows, self.tokenizer.pad_token_id)
        stance_logits, weights = self.model.classify_pairs(**batch)
        stance_logits, weights = stance_logits.float().tolist(), weights.float().tolist()
        return [(stance_logits[row], weights[row][: len(w.input_ids)]) for row, w in enumerate(windows)]

    def _topic(self, docs: list[tuple[Window, Any]]) -> Topic:
        topic_logits, _ = docs[0][1]  # headline + lead: what the topic head was trained on
        scores = probabilities(topic_logits, self.config.topic_labels, self._temperature("topic"))
        label, score = best(scores)
        return Topic(label=label, score=score, scores=scores)

    def _summary(self, article: PreparedArticle, docs: list[tuple[Window, Any]], k: int) -> Summary:
        temperature = self._temperature("summary")
        scores: dict[int, float] = {}  # candidates: the sentences of the first window
        for window, (_, sentence_logits) in docs:
            for index, logit in zip(window.sentence_ids, sentence_logits):
                scores[index] = max(scores.get(index, 0.0), sigmoid(logit, temperature))  # split: best part
        chosen = select_summary_among(scores, article.sentences, k)
        return Summary(tuple(Sentence(i, article.sentences[i], scores[i]) for i in chosen))

    def _stance(self, article: PreparedArticle, target: str, pairs: list[tuple[Window, Any]]) -> Stance:
        temperature = self._temperature("stance")
        labels = self.config.stance_labels
        scores = average([
            probabilities(apply_stance_decision(self.config, logits, window.features), labels, temperature)
            for window, (logits, _) in pairs
        ])
        mass = [0.0] * len(article.sentences)
        share = 1.0 / len(pairs)  # each window counts as much in total, however many windows there are
        for window, (_, weights) in pairs:
            for local, weight in zip(window.token_sentence, weights):
                if local >= 0:
                    mass[window.sentence_ids[local]] += weight * share
        # A "related" window always holds the lead; it is evidence only if it is about the claim (or nothing is).
        about = {w.sentence_ids[k]: r for w, _ in pairs if w.relevance for k, r in enumerate(w.relevance)}
        if any(r > 0 and mass[i] > 0 for i, r in about.items()):
            mass = [m if about.get(i, 0.0) > 0 else 0.0 for i, m in enumerate(mass)]
        evidence = [i for i in top_sentences(mass, EVIDENCE_SENTENCES) if mass[i] > 0]
        label, score = best(scores)
        return Stance(
            target=target,
            label=label,
            score=score,
            scores=scores,
            evidence=tuple(Sentence(i, article.sentences[i]) for i in evidence),
        )

    def _temperature(self, head: str) -> float:
        value = float(self.config.temperatures.get(head, 1.0))
        return value if value > 0 else 1.0

    def _note_cut(self, text: str | None, limit: int, what: str, warnings: list[str]) -> None:
        if text and len(self.tokenizer(text, add_special_tokens=False)["input_ids"]) > limit:
            warnings.append(f'{what} cut to its first {limit} tokens for the model: "{_short(text)}"')


# -- helpers --------------------------------------------------------------------------------------------
def _tokenize_chunk(tokenizer: Any, chunk: list[PreparedArticle]) -> list[list[list[int]]]:
    """Tokenize every sentence of the chunk in one call (the fast tokenizer batches it natively)."""
    flat = [sentence for article in chunk for sentence in article.sentences]
    ids = tokenize_sentences(tokenizer, flat)
    out, start = [], 0
    for article in chunk:
        out.append(ids[start : start + len(article.sentences)])
        start += len(article.sentences)
    return out


def _resolve_precision(precision: str) -> str:
    """'auto' -> bf16 where the CPU computes bf16 natively, else fp32; 'int8' only when asked (precision.py)."""
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "bf16" and not native_bf16():
        # Allowed (to compare outputs across machines), but a user asking for speed should hear that this
        # CPU emulates bf16: 1.2 against 5.6 sequences/s of 512 tokens for fp32 on an AVX2-only AMD EPYC.
        warn("precision 'bf16' without native bfloat16 here (no AVX512-BF16/AMX, or oneDNN capped below "
             "AVX512_CORE_BF16 by ONEDNN_MAX_CPU_ISA) is emulated and several times "
             "slower than 'fp32' ('auto' picks the fast one)", RuntimeWarning, stacklevel=3)
    return resolve_precision(precision)


def _check_backend(backend: str, precision: str) -> str:
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "openvino" and precision == "int8":
        raise InputError("the openvino backend runs fp32 or bf16 ('auto' picks one); int8 is torch's "
                         "(--backend torch --precision int8)")
    return backend


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
