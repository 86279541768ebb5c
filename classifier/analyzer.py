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
import logging
from warnings import warn
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .encoding import (
    Window,
    collate_documents,
    collate_pairs,
    collate_pairs_by_sentence,
    first_document_window,
    note_windows,
    pack_windows,
    tokenize_sentences,
)
from .errors import InputError, ModelLoadError, PresslensError
from .fast_tokenizer import load_fast_tokenizer
from .inputs import DEFAULT_LIMITS, ArticleInput, PreparedArticle, SizeLimits, as_input, check_languages, check_tasks, scrub
from .model import PresslensConfig, PresslensModel, apply_stance_decision, load_tokenizer, untrained_heads
from .postprocess import average, best, decide_topic, probabilities, select_summary_among, sigmoid, top_sentences
from .precision import BACKENDS, PRECISIONS, compute_context, load_dtypes, native_bf16, prepare_model, resolve_precision
from .results import Analysis, Evidence, ModelInfo, Note, Sentence, Stance, Summary, Topic
from .reading import read_article
from .reading.language import REFUSE_OPTION, language_name, not_english, preload as preload_language_model
from .stance_input import stance_window

EVIDENCE_SENTENCES = 2
LOW_CONFIDENCE = 0.5  # a top stance score under this is reported as a low-confidence answer
VERDICT_THRESHOLD = 0.5  # a sentence carries a verdict when the per-sentence head gives it at least this
_NONE_OF_THESE = "no topic label fits"  # the start of the warning that says so
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"
ERROR_MODES = ("raise", "record")  # analyze_many(errors=...)
log = logging.getLogger("presslens.analyzer")


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
                model.fold_stance_adapter()  # on the copy: the stance layers' own graph is compiled below
                model.encoder = OpenVINOEncoder(model.encoder, self.precision,
                                                stance_layers=getattr(model, "stance_layers", None))
            self.model = model.eval()
        else:
            self.model = prepare_model(model.eval(), self.precision)  # int8: a copy with a quantised encoder
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        # Heads the checkpoint's training never touched (e.g. `presslens-train --tasks topic` from the base
        # encoder): their outputs are random, so say so now and in every result that shows them.
        self.untrained_heads = untrained_heads(self.config)
        if self.untrained_heads:
            warn(untrained_message(self.config, self.untrained_heads), RuntimeWarning, stacklevel=2)

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

            model.encoder = OpenVINOEncoder(model.encoder, resolved,  # the torch encoder is freed
                                            stance_layers=getattr(model, "stance_layers", None))
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
        self, article: ArticleInput | Mapping[str, Any] | str | bytes, *, languages: Iterable[str] | str | None = None,
        language_option: str | None = REFUSE_OPTION,
        limits: SizeLimits = DEFAULT_LIMITS,
    ) -> PreparedArticle:
        """Read (decode, extract, clean, segment, identify the language) and validate one article.

        InputError says what is wrong with it; with `languages` (e.g. ["en"]) an article found to be in
        another language is an InputError too. `language_option`: how the caller's surface spells that
        option, for the warning on an article in another language (the CLI: "--languages en"). `limits`: the
        raw input's size and the article text's (after reading), 0 = no limit
        (`SizeLimits(max_chars=0, max_input_bytes=0)` for none at all).
        """
        if isinstance(article, PreparedArticle):
            return article
        accepted = check_languages(languages)
        item = as_input(article, limits=limits)
        read = read_article(item.text, item.title, max_chars=limits.max_chars, chars_option=limits.chars_option)
        if accepted is not None and read.language is not None and read.language not in accepted:
            raise InputError(
                f"the article is in {language_name(read.language)} ({read.language}), and only "
                f"{', '.join(sorted(accepted))} was asked for (languages); the model reads English only"
            )
        warnings = read.warnings
        if language_option != REFUSE_OPTION and read.language is not None:  # the surface's own spelling
            default = not_english(read.language)
            warnings = tuple(not_english(read.language, language_option) if w == default else w for w in warnings)
        targets = item.targets or ((read.title,) if read.title else ())
        metadata = tuple((key, value) for key in ("date", "author", "site") if (value := getattr(read, key)))
        return PreparedArticle(
            id=item.id,
            title=read.title,
            sentences=read.sentences,
            targets=targets,
            warnings=item.notes + tuple(warnings),
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
        limits: SizeLimits = DEFAULT_LIMITS,
        min_topic_score: float | None = None,
    ) -> Analysis:
        """Analyze one article. Keyword arguments override the same fields of an ArticleInput.

        `min_topic_score`: below this best-label score the topic is "none of these" (label None, and a
        warning); None = the checkpoint's own minimum (`config.min_topic_score`, 0 for the shipped model)."""
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
        return next(self._many([article], tasks, summary_sentences, None, languages, "raise", hint=False,
                               limits=limits, min_topic_score=min_topic_score))

    def analyze_many(
        self,
        articles: Iterable[ArticleInput | PreparedArticle | Mapping[str, Any] | str | bytes],
        *,
        tasks: Iterable[str] | None = None,
        summary_sentences: int = 3,
        batch_size: int | None = None,
        languages: Iterable[str] | str | None = None,
        errors: str = "raise",
        limits: SizeLimits = DEFAULT_LIMITS,
        min_topic_score: float | None = None,
    ) -> Iterator[Analysis]:
        """Analyze a stream lazily: `batch_size` articles are read at a time and results come in input order.

        errors="raise" (the default): a bad article raises InputError naming its position, after the results
        before it were yielded. errors="record": as `presslens batch` does, a bad article gets an Analysis with
        `error` set (to_dict() {"id": ..., "error": "..."}) in its place and the stream goes on; so does an
        article whose analysis fails unexpectedly (its traceback is logged, its neighbours are analyzed one
        by one). `languages`: see `prepare`; `min_topic_score`: see `analyze`.
        """
        if errors not in ERROR_MODES:
            raise InputError(f"errors must be one of {', '.join(map(repr, ERROR_MODES))}, got {scrub(repr(errors))[:40]}")
        return self._many(articles, tasks, summary_sentences, batch_size, languages, errors, hint=True, limits=limits,
                          min_topic_score=min_topic_score)

    def _many(self, articles: Iterable, tasks: Iterable[str] | None, summary_sentences: int, batch_size: int | None,
              languages: Iterable[str] | str | None, errors: str, *, hint: bool,
              limits: SizeLimits = DEFAULT_LIMITS, min_topic_score: float | None = None) -> Iterator[Analysis]:
        wanted = check_tasks(tasks)
        min_score = self.check_min_topic_score(min_topic_score)
        accepted = check_languages(languages)
        if isinstance(summary_sentences, bool) or not isinstance(summary_sentences, int) or summary_sentences < 1:
            raise InputError(f"summary_sentences must be an integer >= 1, got {summary_sentences!r}")
        size = self.batch_size if batch_size is None else batch_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InputError(f"batch_size must be an integer >= 1, got {size!r}")
        return self._stream(iter(articles), wanted, summary_sentences, size, accepted, errors, hint, limits,
                            min_score)

    def _stream(
        self, articles: Iterator, tasks: frozenset[str], k: int, size: int, languages: frozenset[str] | None = None,
        errors: str = "raise", hint: bool = False, limits: SizeLimits = DEFAULT_LIMITS, min_score: float = 0.0,
    ) -> Iterator[Analysis]:
        position = 0
        while True:
            chunk: list[PreparedArticle | Analysis] = []  # errors="record": a failed article's result in place
            error: InputError | None = None
            for raw in itertools.islice(articles, size):
                try:
                    chunk.append(self.prepare(raw, languages=languages, limits=limits))
                except InputError as exc:
                    if errors == "record":
                        chunk.append(self._failed(raw, str(exc)))
                        continue
                    how = ' (analyze_many(..., errors="record") gives it an error result and goes on)' if hint else ""
                    error = InputError(f"article {position + len(chunk)} (0-based): {exc}{how}", code=exc.code)
                    break
                except Exception as exc:  # a bug in reading: this article only, when asked to go on
                    if errors == "raise":
                        raise
                    log.exception("preparing article %d failed", position + len(chunk))
                    chunk.append(self._failed(raw, _failure(exc)))
            if chunk:
                yield from self._analyze_in_place(chunk, tasks, k, size, errors, min_score)
                position += len(chunk)
            if error is not None:
                raise error
            if len(chunk) < size:
                return

    def _analyze_in_place(self, chunk: list, tasks: frozenset[str], k: int, size: int, errors: str,
                          min_score: float = 0.0) -> list[Analysis]:
        ready = [article for article in chunk if isinstance(article, PreparedArticle)]
        if not ready:
            return chunk
        if errors == "raise":
            results = iter(self._analyze_chunk(ready, tasks, k, size, min_score))
        else:
            results = iter(self._analyze_or_record(ready, tasks, k, size, min_score))
        return [next(results) if isinstance(article, PreparedArticle) else article for article in chunk]

    def _analyze_or_record(self, ready: list[PreparedArticle], tasks: frozenset[str], k: int, size: int,
                           min_score: float = 0.0) -> list[Analysis]:
        """errors="record": the chunk at once; if that fails, one by one, so that only the culprit fails."""
        try:
            return self._analyze_chunk(ready, tasks, k, size, min_score)
        except Exception:
            log.warning("a chunk of %d articles failed; analysing them one by one", len(ready), exc_info=True)
        results = []
        for article in ready:
            try:
                results.extend(self._analyze_chunk([article], tasks, k, size, min_score))
            except PresslensError as exc:
                results.append(self._failed(article, str(exc)))
            except Exception as exc:
                log.error("analysing article %s failed", article.id, exc_info=True)
                results.append(self._failed(article, _failure(exc)))
        return results

    def _failed(self, raw: Any, message: str) -> Analysis:
        """The result of an article that could not be analyzed (errors="record"), with its id when it has one."""
        value = raw.get("id") if isinstance(raw, Mapping) else getattr(raw, "id", None)
        known = value if isinstance(value, str) and value else str(value) if type(value) is int else None
        return Analysis(model=self.model_info, sentences=(), id=scrub(known) if known else None, error=message)

    # -- forward + postprocess ------------------------------------------------------------------------
    def _analyze_chunk(
        self, chunk: list[PreparedArticle], tasks: frozenset[str], k: int, size: int, min_score: float = 0.0
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
            topic = self._topic(docs, min_score, warnings[i]) if "topic" in tasks else None
            warnings[i].extend(self._untrained_notes(tasks))
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
                    warnings=tuple(_unique(w for w in warnings[i] if not isinstance(w, Note))),
                    notes=tuple(_unique(str(w) for w in warnings[i] if isinstance(w, Note))),
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
            warnings.append(Note(  # topic only: nothing else says that the rest of the article was not read
                f"topic judged from the first {read} of {len(article.sentences)} sentences (the first "
                f"{config.max_length}-token window: headline and lead, what the topic head was trained on)"
            ))
        if "summary" in tasks:
            if read < len(article.sentences):
                warnings.append(Note(
                    f"summary picked from the first {read} of {len(article.sentences)} sentences "
                    f"(the first {config.max_length}-token window, where the summary head was trained)"
                ))
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
                    warnings.append(Note(
                        f'stance toward "{_short(target)}" read {read} of {len(article.sentences)} sentences '
                        "(the lead and those most related to the claim)"
                    ))
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

    def _forward_pairs(self, windows: list[Window]) -> list[tuple[list[float], list[float], list | None]]:
        """(stance logits, body token weights, per-sentence verdict logits or None) per window."""
        if not self.config.stance_sentence_labels:
            batch = collate_pairs(windows, self.tokenizer.pad_token_id)
            stance_logits, weights = self.model.classify_pairs(**batch)
            stance_logits, weights = stance_logits.float().tolist(), weights.float().tolist()
            return [(stance_logits[row], weights[row][: len(w.input_ids)], None) for row, w in enumerate(windows)]
        batch = collate_pairs_by_sentence(windows, self.tokenizer.pad_token_id)
        stance_logits, weights, sentence_logits = self.model.classify_pairs_by_sentence(**batch)
        stance_logits, weights = stance_logits.float().tolist(), weights.float().tolist()
        sentence_logits = sentence_logits.float().tolist()
        return [
            (stance_logits[row], weights[row][: len(w.input_ids)], sentence_logits[row][: len(w.sentence_ids)])
            for row, w in enumerate(windows)
        ]

    def _topic(self, docs: list[tuple[Window, Any]], min_score: float, warnings: list[str]) -> Topic:
        topic_logits, _ = docs[0][1]  # headline + lead: what the topic head was trained on
        return self._topic_from_scores(self.topic_scores(topic_logits), min_score, warnings)

    def _topic_from_scores(self, scores: dict[str, float], min_score: float, warnings: list[str]) -> Topic:
        topic = self.decide_topic(scores, min_score)
        if topic.label is None:
            best_label = max(topic.scores, key=topic.scores.__getitem__)
            warnings.append(
                f"{_NONE_OF_THESE}: the best, {best_label} ({topic.score:.2f}), is below the minimum topic "
                f"score {min_score:.2f}" + (" or its label's threshold" if topic.topics is not None else "")
                + " (none of these)"
            )
        return topic

    def topic_scores(self, logits: Sequence[float]) -> dict[str, float]:
        """Topic probabilities from the topic head's logits: softmax, or one sigmoid per label (multi-label)."""
        labels, temperature = self.config.topic_labels, self._temperature("topic")
        if self.config.topic_multi_label:
            return {label: sigmoid(logit, temperature) for label, logit in zip(labels, logits)}
        return probabilities(logits, labels, temperature)

    def decide_topic(self, scores: dict[str, float], min_score: float | None = None) -> Topic:
        """The Topic for these scores at `min_score` (None: the checkpoint's minimum); see postprocess.decide_topic."""
        minimum = self.check_min_topic_score(min_score)
        thresholds = dict(self.config.topic_thresholds) if self.config.topic_multi_label else None
        label, score, topics = decide_topic(scores, min_score=minimum, thresholds=thresholds)
        return Topic(label=label, score=score, scores=scores, topics=topics)

    def with_min_topic_score(self, analysis: Analysis, min_score: float | None) -> Analysis:
        """The same analysis with its topic decided at another minimum score (the HTTP API's per-article
        `min_topic_score`: the micro-batcher shares model calls across requests, so this is decided after)."""
        if analysis.topic is None or min_score is None:
            return analysis
        warnings = [w for w in analysis.warnings if not w.startswith(_NONE_OF_THESE)]
        topic = self._topic_from_scores(analysis.topic.scores, self.check_min_topic_score(min_score), warnings)
        return dataclasses.replace(analysis, topic=topic, warnings=tuple(warnings))

    def check_min_topic_score(self, value: float | None) -> float:
        """A minimum topic score as given (a number from 0 to 1), or the checkpoint's own when None."""
        if value is None:
            return float(self.config.min_topic_score)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise InputError(f"min_topic_score must be a number from 0 to 1, got {value!r}", code="invalid_request")
        return float(value)

    def _untrained_notes(self, tasks: frozenset[str]) -> list[str]:
        return [f"this checkpoint's {head} head was never trained: its {head} output is random"
                for head in self.untrained_heads if head in tasks]

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
            probabilities(apply_stance_decision(self.config, output[0], window.features), labels, temperature)
            for window, output in pairs
        ])
        label, score = best(scores)
        mass = [0.0] * len(article.sentences)
        share = 1.0 / len(pairs)  # each window counts as much in total, however many windows there are
        for window, output in pairs:
            for local, weight in zip(window.token_sentence, output[1]):
                if local >= 0:
                    mass[window.sentence_ids[local]] += weight * share
        # A "related" window always holds the lead; it is evidence only if it is about the claim (or nothing is).
        about = {w.sentence_ids[k]: r for w, _ in pairs if w.relevance for k, r in enumerate(w.relevance)}
        if any(r > 0 and mass[i] > 0 for i, r in about.items()):
            mass = [m if about.get(i, 0.0) > 0 else 0.0 for i, m in enumerate(mass)]
        attended = [i for i in top_sentences(mass, EVIDENCE_SENTENCES) if mass[i] > 0]
        verdicts = self._sentence_verdicts(pairs)
        if not verdicts:
            evidence = tuple(Evidence(i, article.sentences[i]) for i in attended)
            return Stance(target, label, score, scores, evidence, "low" if score < LOW_CONFIDENCE else "high")
        # What the label needs a sentence to say (agree: supports, disagree: refutes); the sentences that say
        # it are the evidence. An agree / disagree that no sentence says on its own is a low-confidence answer.
        needed = self.config.stance_label_verdicts.get(label)
        carrying = sorted((i for i, v in verdicts.items() if needed and v[needed] >= VERDICT_THRESHOLD),
                          key=lambda i: (-verdicts[i][needed], i))[:EVIDENCE_SENTENCES]
        chosen = sorted(carrying) if carrying else attended
        evidence = tuple(Evidence(i, article.sentences[i], *best(verdicts[i])) if i in verdicts
                         else Evidence(i, article.sentences[i]) for i in chosen)
        unsure = score < LOW_CONFIDENCE or (needed is not None and not carrying)
        return Stance(target, label, score, scores, evidence, "low" if unsure else "high")

    def _sentence_verdicts(self, pairs: list[tuple[Window, Any]]) -> dict[int, dict[str, float]]:
        """{article sentence index: {verdict: probability}} for the sentences the stance window read."""
        names = self.config.stance_sentence_labels
        out: dict[int, dict[str, float]] = {}
        for window, output in pairs:
            if len(output) < 3 or output[2] is None:
                continue
            for local, logits in enumerate(output[2]):
                out[window.sentence_ids[local]] = probabilities(logits, names)
        return out

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


def untrained_message(config: PresslensConfig, heads: Sequence[str]) -> str:
    return (f"the checkpoint {config.name} {config.version} has untrained {' and '.join(heads)} head(s) "
            f"(its training covered only {', '.join(h for h in ('topic', 'stance', 'summary') if h not in heads)}): "
            f"their outputs are random; leave them out with --tasks (tasks=[...]), or fit your own topics on a "
            f"fully trained checkpoint with `presslens train-topics` instead")


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


def _failure(error: BaseException) -> str:
    return f"analysis failed: {type(error).__name__}: {scrub(str(error))[:500]}"  # as presslens batch says


def _check_backend(backend: str, precision: str) -> str:
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "openvino" and precision == "int8":
        raise InputError("the openvino backend runs fp32 or bf16 ('auto' picks one); int8 is torch's "
                         "(--backend torch --precision int8)")
    return backend


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
