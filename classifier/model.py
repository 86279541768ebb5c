"""The presslens network: one MiniLM (BERT) encoder with three heads, and its checkpoint format.

    model = PresslensModel.from_pretrained("path/to/checkpoint")
    topic_logits, sentence_logits = model.encode_documents(**document_batch)
    stance_logits, token_weights = model.classify_pairs(**pair_batch)

A checkpoint is a directory (design.md): `config.json` (this module's `PresslensConfig`), `model.safetensors`
(no pickle), the tokenizer files and a `README.md` model card. Label names live only in the config.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from .adapter import StanceAdapter
from .bert import BertEncoder, encoder_settings, weight_init_skipped
from .errors import ModelLoadError

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HEADS = ("topic", "stance", "summary")


@dataclasses.dataclass
class PresslensConfig:
    """Everything needed to rebuild the network, plus what inference needs to read its output."""

    encoder: dict[str, Any]
    topic_labels: list[str]
    stance_labels: list[str]
    max_length: int = 512  # tokens per encoder window, special tokens included
    max_title_tokens: int = 48  # the headline is cut to this inside a document window
    max_claim_tokens: int = 64  # a claim is cut to this inside a pair window
    max_sentence_positions: int = 64  # sentence index embedding; later sentences share the last one
    summary_context_layers: int = 0  # transformer layers over a window's sentence vectors (0: none)
    # What the stance head reads. "windows" (0.2.0): (claim, body) windows over the whole body, averaged.
    # "related": one window of `stance_max_length` tokens, the claim + the lead + the sentences most related
    # to it, with `stance_features` overlap features beside the pooled text (classifier/stance_input.py).
    stance_input: str = "windows"
    stance_max_length: int = 192
    stance_features: int = 0
    # The decision layer fitted on dev (training/stance_bias.py): final stance logits = weight @ [logits,
    # features] + bias. Empty: the head's logits as they are.
    stance_decision: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Low-rank updates of the top encoder layers for the stance pass only (classifier/adapter.py):
    # {"first_layer": 4, "rank": 16, "alpha": 32.0}. Empty: stance runs the shared encoder as it is.
    stance_adapter: dict[str, Any] = dataclasses.field(default_factory=dict)
    # What each body sentence of the stance window says about the claim (e.g. neutral / refutes / supports),
    # read off the same pass (PresslensModel.classify_pairs_by_sentence): the evidence's own verdicts. Empty:
    # no such head (0.3.0 and earlier).
    stance_sentence_labels: list[str] = dataclasses.field(default_factory=list)
    # The article labels that take a side, and the sentence verdict that carries each ({"agree": "supports",
    # "disagree": "refutes"}): such a label that no sentence carries on its own is a low-confidence answer.
    stance_label_verdicts: dict[str, str] = dataclasses.field(default_factory=dict)
    temperatures: dict[str, float] = dataclasses.field(
        default_factory=lambda: {head: 1.0 for head in HEADS}
    )
    # Own taxonomies (`presslens train-topics`, classifier/topics/). Multi-label: one sigmoid per label, and
    # a label is among the article's "topics" when its score reaches its threshold (fitted on validation).
    topic_multi_label: bool = False
    topic_thresholds: dict[str, float] = dataclasses.field(default_factory=dict)
    # Below this best-label score the topic is "none of these" (label null); 0 = always a label.
    min_topic_score: float = 0.0
    name: str = "presslens"
    version: str = "0.0.0"
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        for head, labels in (("topic", self.topic_labels), ("stance", self.stance_labels)):
            if not labels or len(set(labels)) != len(labels):
                raise ValueError(f"{head} labels must be a non-empty list of distinct names, got {labels!r}")
        if self.max_length > self.encoder.get("max_position_embeddings", 512):
            raise ValueError("max_length cannot exceed the encoder's max_position_embeddings")
        if self.stance_input not in ("windows", "related"):
            raise ValueError(f"stance_input must be 'windows' or 'related', got {self.stance_input!r}")
        if self.stance_input == "windows" and self.stance_features:
            raise ValueError("stance_features need stance_input 'related' (the windows layout has none)")
        if self.stance_input == "related" and not 32 <= self.stance_max_length <= self.max_length:
            raise ValueError(f"stance_max_length must be between 32 and max_length, got {self.stance_max_length}")
        if self.stance_decision:
            k, width = len(self.stance_labels), len(self.stance_labels) + self.stance_features
            weight, bias = self.stance_decision.get("weight"), self.stance_decision.get("bias")
            if (not isinstance(weight, list) or len(weight) != k or any(len(row) != width for row in weight)
                    or not isinstance(bias, list) or len(bias) != k):
                raise ValueError(f"stance_decision needs weight [{k} x {width}] and bias [{k}]")
        if self.stance_adapter:
            layers = self.encoder.get("num_hidden_layers", 0)
            first, rank = self.stance_adapter.get("first_layer"), self.stance_adapter.get("rank")
            if not (isinstance(first, int) and 0 <= first < layers and isinstance(rank, int) and rank >= 1):
                raise ValueError(f"stance_adapter needs first_layer in 0..{layers - 1} and rank >= 1, "
                                 f"got {self.stance_adapter!r}")
        if self.stance_sentence_labels and len(set(self.stance_sentence_labels)) != len(self.stance_sentence_labels):
            raise ValueError(f"stance_sentence_labels must be distinct, got {self.stance_sentence_labels!r}")
        if self.stance_sentence_labels and self.stance_input != "related":
            raise ValueError("stance_sentence_labels need stance_input 'related' (one window of chosen sentences)")
        for label, verdict in self.stance_label_verdicts.items():
            if label not in self.stance_labels or verdict not in self.stance_sentence_labels:
                raise ValueError(f"stance_label_verdicts maps {label!r} -> {verdict!r}: both must be known labels")
        unknown = set(self.topic_thresholds) - set(self.topic_labels)
        if unknown:
            raise ValueError(f"topic_thresholds name labels the topic head does not have: {sorted(unknown)}")
        if any(not 0.0 <= float(v) <= 1.0 for v in self.topic_thresholds.values()):
            raise ValueError("topic_thresholds must be probabilities between 0 and 1")
        if not 0.0 <= float(self.min_topic_score) <= 1.0:
            raise ValueError(f"min_topic_score must be between 0 and 1, got {self.min_topic_score!r}")
        if not 0 <= self.summary_context_layers <= 6:
            raise ValueError(f"summary_context_layers must be between 0 and 6, got {self.summary_context_layers}")

    def to_json_dict(self) -> dict[str, Any]:
        """The on-disk form: label maps written as `id2label` per head, as transformers does."""
        data = dataclasses.asdict(self)
        topic, stance = data.pop("topic_labels"), data.pop("stance_labels")
        data["heads"] = {
            "topic": {"id2label": {str(i): name for i, name in enumerate(topic)}},
            "stance": {"id2label": {str(i): name for i, name in enumerate(stance)}},
            "summary": {"output": "per-sentence probability of belonging in the summary"},
        }
        data["model_type"] = "presslens"
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any], source: str = "config") -> "PresslensConfig":
        data = dict(data)
        if data.pop("model_type", None) != "presslens":
            raise ModelLoadError(f"{source}: not a presslens config (model_type is not 'presslens')")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelLoadError(
                f"{source}: checkpoint format_version {version!r}, this presslens reads {FORMAT_VERSION}; "
                "retrain or convert the checkpoint with a matching presslens version"
            )
        heads = data.pop("heads", None) or {}
        try:
            labels = {
                head: _labels_from_id2label(heads[head]["id2label"]) for head in ("topic", "stance")
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(
                f"{source}: heads.topic.id2label and heads.stance.id2label are required label maps "
                f"(problem: {exc!r})"
            ) from exc
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ModelLoadError(f"{source}: unknown config fields {sorted(unknown)}")
        try:
            return cls(topic_labels=labels["topic"], stance_labels=labels["stance"], **data)
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"{source}: invalid config: {exc}") from exc


def _labels_from_id2label(id2label: dict[str, str]) -> list[str]:
    ids = sorted(int(i) for i in id2label)
    if ids != list(range(len(ids))):
        raise ValueError(f"label ids must be 0..n-1, got {ids}")
    return [id2label[str(i)] for i in ids]


class PresslensModel(nn.Module):
    """MiniLM encoder + topic head (document), stance head (claim/body pair), summary head (sentences)."""

    def __init__(self, config: PresslensConfig) -> None:
        super().__init__()
        self.config = config
        encoder = encoder_settings(config.encoder)  # transformers' BertModel, without importing transformers
        self.encoder = BertEncoder(encoder)
        hidden = encoder["hidden_size"]
        dropout = encoder["hidden_dropout_prob"]
        self.dropout = nn.Dropout(dropout)
        self.topic_head = nn.Linear(hidden, len(config.topic_labels))
        # Stance pools the body with learned attention; the weights double as the evidence for the decision.
        self.stance_attention = nn.Linear(hidden, 1)
        self.stance_head = nn.Linear(2 * hidden + config.stance_features, len(config.stance_labels))
        self.sentence_stance_head = (
            nn.Linear(2 * hidden, len(config.stance_sentence_labels)) if config.stance_sentence_labels else None
        )
        self.stance_adapter = _stance_adapter(encoder, config.stance_adapter) if config.stance_adapter else None
        self.stance_layers: nn.ModuleList | None = None  # the adapter folded into layer copies (inference)
        # Where a sentence sits in the article matters for news summaries (the lead), across windows too.
        self.sentence_position = nn.Embedding(config.max_sentence_positions, hidden)
        nn.init.zeros_(self.sentence_position.weight)
        # Optional: let each sentence's score see the window's other sentences (BertSumExt's inter-sentence
        # transformer), so that the head can weigh a sentence against its neighbours.
        self.summary_context = _sentence_context(hidden, config, dropout) if config.summary_context_layers else None
        self.summary_head = nn.Sequential(
            nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
        )

    # -- forward passes -------------------------------------------------------------------------------
    def encode_documents(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        sentence_index: torch.Tensor,
        sentence_position: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass over document windows -> (topic logits [B, C], sentence logits [B, S]).

        `sentence_index` [B, T] gives for each token the window-local sentence it belongs to, -1 for the
        headline and special tokens; `sentence_position` [B, S] gives each local sentence's index in the
        whole article (padding: -1). S = sentence_position.shape[1].
        """
        pooled, sentence_vectors = self.document_states(
            input_ids, attention_mask, sentence_index, sentence_position.shape[1]
        )
        return self.topic_head(self.dropout(pooled)), self.score_sentences(sentence_vectors, sentence_position)

    def document_states(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, sentence_index: torch.Tensor, n_sent: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder pass -> (mean-pooled window [B, H], mean-pooled vector of each local sentence [B, S, H])."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        slots = torch.arange(n_sent, device=input_ids.device)
        membership = (sentence_index.unsqueeze(1) == slots.view(1, -1, 1)).to(hidden.dtype)  # [B, S, T]
        sentence_vectors = membership @ hidden / membership.sum(-1, keepdim=True).clamp(min=1.0)
        return pooled, sentence_vectors

    def score_sentences(self, sentence_vectors: torch.Tensor, sentence_position: torch.Tensor) -> torch.Tensor:
        """Summary logits [B, S] from mean-pooled sentence vectors [B, S, H] and article positions [B, S].

        Split out of encode_documents so that a later training stage can fit the summary layers on cached
        vectors of a frozen encoder (training/summary_stage.py).
        """
        position = sentence_position.clamp(min=0, max=self.config.max_sentence_positions - 1)
        vectors = sentence_vectors + self.sentence_position(position).to(sentence_vectors.dtype)
        if self.summary_context is not None:
            padding = sentence_position < 0
            padding[:, 0] = False  # a row of padding only would make attention NaN; its logits are masked anyway
            vectors = self.summary_context(vectors, src_key_padding_mask=padding)
        sentence_logits = self.summary_head(self.dropout(vectors)).squeeze(-1)
        return sentence_logits.masked_fill(sentence_position < 0, float("-inf"))

    def classify_pairs(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass over (claim, body window) pairs -> (stance logits [B, K], body token weights [B, T]).

        `features` [B, F]: the overlap features of a "related" checkpoint (config.stance_features of them).

        The weights are the attention the stance head paid to each body token (they sum to 1 per row);
        summed per sentence they say which sentences drove the decision.
        """
        logits, weights, _ = self._pair_pass(input_ids, attention_mask, token_type_ids, features, None, 0)
        return logits, weights

    def classify_pairs_by_sentence(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        sentence_index: torch.Tensor,
        n_sent: int,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """classify_pairs plus what each window-local body sentence says about the claim: logits [B, S, L]
        over config.stance_sentence_labels (`sentence_index` [B, T]: each token's window-local sentence, -1
        for the claim and special tokens). Same single pass: a sentence's vector is its tokens' mean next to
        the [CLS] vector (which has read the claim)."""
        if self.sentence_stance_head is None:
            raise ValueError("this checkpoint has no per-sentence stance head (config.stance_sentence_labels)")
        return self._pair_pass(input_ids, attention_mask, token_type_ids, features, sentence_index, n_sent)

    def _pair_pass(self, input_ids, attention_mask, token_type_ids, features, sentence_index, n_sent):
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
            top_layers=self._stance_top_layers(),
        ).last_hidden_state
        body = (token_type_ids == 1) & (attention_mask == 1)
        scores = self.stance_attention(hidden).squeeze(-1).float()
        scores = scores.masked_fill(~body, float("-inf"))
        weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # a pair with no body tokens: all zero
        body_vector = (weights.unsqueeze(-1).to(hidden.dtype) * hidden).sum(1)
        pooled = self.dropout(torch.cat([hidden[:, 0], body_vector], dim=-1))
        if self.config.stance_features:
            if features is None or features.shape[-1] != self.config.stance_features:
                raise ValueError(f"this checkpoint's stance head needs {self.config.stance_features} features per pair")
            pooled = torch.cat([pooled, features.to(pooled.dtype)], dim=-1)
        sentence_logits = None
        if sentence_index is not None:
            slots = torch.arange(max(n_sent, 1), device=input_ids.device)
            membership = (sentence_index.unsqueeze(1) == slots.view(1, -1, 1)).to(hidden.dtype)  # [B, S, T]
            vectors = membership @ hidden / membership.sum(-1, keepdim=True).clamp(min=1.0)
            cls = hidden[:, :1].expand(-1, vectors.shape[1], -1)
            sentence_logits = self.sentence_stance_head(self.dropout(torch.cat([cls, vectors], dim=-1)))
        return self.stance_head(pooled), weights, sentence_logits

    def _stance_top_layers(self) -> list | None:
        """What runs in place of the encoder's top layers in the stance pass: the folded copies, or each
        adapted layer called with its merged weights (differentiable in the adapter); None: the encoder's."""
        if self.stance_layers is not None:
            return list(self.stance_layers)
        if self.stance_adapter is None:
            return None
        layers = self.encoder.encoder.layer
        return [
            functools.partial(_call_with, layers[i], self.stance_adapter.merged_weights(i, layers[i]))
            for i in range(self.stance_adapter.first_layer, len(layers))
        ]

    def add_stance_adapter(self, first_layer: int, rank: int, alpha: float) -> None:
        """A fresh adapter (changing nothing yet) on layers first_layer.. for the stance pass; recorded in
        the config so that the checkpoint rebuilds it."""
        settings = {"first_layer": first_layer, "rank": rank, "alpha": alpha}
        self.config = dataclasses.replace(self.config, stance_adapter=settings)  # validated there
        self.stance_adapter = _stance_adapter(encoder_settings(self.config.encoder), settings)

    def fold_stance_adapter(self) -> None:
        """Replace the adapter by copies of the top layers with its updates folded in: the same outputs
        without merging weights on every call, and plain layers that precision.py can convert or quantise.
        A folded model is for inference only (it cannot be saved as a checkpoint)."""
        if self.stance_adapter is None:
            return
        self.stance_layers = self.stance_adapter.merged_layers(self.encoder.encoder.layer)
        self.stance_adapter = None

    # -- checkpoints ----------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path, dtype: torch.dtype | None = None) -> None:
        """Write config.json and model.safetensors (optionally cast, e.g. to float16 for shipping)."""
        if self.stance_layers is not None:
            raise ValueError("this model's stance adapter was folded for inference; save the unfolded model")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            name: (t.detach().to(dtype) if dtype is not None and t.is_floating_point() else t.detach())
            .contiguous()
            .cpu()
            for name, t in self.state_dict().items()
        }
        save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
        (directory / CONFIG_FILE).write_text(
            json.dumps(self.config.to_json_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

    @classmethod
    def from_pretrained(cls, directory: str | Path, *, dtypes: Any = None) -> "PresslensModel":
        """Load a checkpoint directory; weights come back as float32 whatever they were saved as, except
        those that `dtypes(model, state)` (a dict: weight name -> torch dtype) names: each of those is
        converted once, straight from the file to the dtype it will be used in (precision.load_dtypes)."""
        config = load_config(directory)
        weights_path = Path(directory) / WEIGHTS_FILE
        if not weights_path.is_file():
            raise ModelLoadError(f"{weights_path}: missing; a presslens checkpoint needs {WEIGHTS_FILE}")
        try:
            state = load_file(str(weights_path))
        except Exception as exc:  # safetensors raises several types for a corrupt file
            raise ModelLoadError(f"{weights_path}: not a readable safetensors file ({exc})") from exc
        with weight_init_skipped():  # no random init of weights about to be replaced (~0.3-0.7 s of a cold start)
            model = cls(config)
        chosen = dtypes(model, state) if dtypes is not None else {}
        state = {k: v.to(chosen.get(k, torch.float32)) if v.is_floating_point() else v for k, v in state.items()}
        try:
            missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
        except RuntimeError as exc:  # tensor shapes that disagree with config.json (e.g. label count)
            raise ModelLoadError(f"{weights_path}: weights do not match config.json ({exc})") from exc
        if missing or unexpected:
            raise ModelLoadError(
                f"{weights_path}: weights do not match config.json "
                f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})"
            )
        model.eval()
        return model


def trained_heads(config: PresslensConfig) -> list[str] | None:
    """The heads this checkpoint's training fitted, or None when its config does not say.

    Training writes `training.trained_heads` (presslens-train: its --tasks, plus those of the checkpoint it
    started from; the summary stage and `presslens train-topics` add theirs). Older checkpoints are read from
    their recipes: each stage's `tasks`, and a summary stage trains the summary head.
    """
    info = config.training or {}
    if isinstance(info.get("trained_heads"), list):
        return [head for head in HEADS if head in info["trained_heads"]]
    stages = info.get("stages") or ([info] if info else [])
    found: set[str] = set()
    for stage in stages:
        recipe = stage.get("recipe") if isinstance(stage, dict) else None
        if not isinstance(recipe, dict):
            return None
        if recipe.get("stage") in ("summary", "stance"):  # the summary and stance stages (training/*_stage.py)
            found.add(recipe["stage"])
        elif recipe.get("stage") == "soup":  # an average of runs (training/soup.py) fits no head of its own
            continue
        elif isinstance(recipe.get("tasks"), str):
            found.update(task.strip() for task in recipe["tasks"].split(","))
        else:
            return None
    return [head for head in HEADS if head in found] if stages else None


def untrained_heads(config: PresslensConfig) -> list[str]:
    """Heads that training never fitted (random weights); [] when all were, or when the config cannot tell."""
    trained = trained_heads(config)
    return [] if trained is None else [head for head in HEADS if head not in trained]


def apply_stance_decision(config: PresslensConfig, logits: list[float], features: list[float] | None) -> list[float]:
    """The checkpoint's stance decision layer on one pair's logits (and features); identity without one."""
    decision = config.stance_decision
    if not decision:
        return list(logits)
    inputs = list(logits) + list(features or [])
    return [sum(w * x for w, x in zip(row, inputs)) + b for row, b in zip(decision["weight"], decision["bias"])]


def _stance_adapter(encoder: dict[str, Any], settings: dict[str, Any]) -> StanceAdapter:
    return StanceAdapter(
        encoder["num_hidden_layers"], settings["first_layer"], encoder["hidden_size"], encoder["intermediate_size"],
        settings["rank"], settings.get("alpha"),
    )


def _call_with(layer: nn.Module, weights: dict[str, torch.Tensor], hidden: torch.Tensor, mask) -> torch.Tensor:
    return torch.func.functional_call(layer, weights, (hidden, mask))


def _sentence_context(hidden: int, config: PresslensConfig, dropout: float) -> nn.TransformerEncoder:
    heads = config.encoder.get("num_attention_heads", 12)
    layer = nn.TransformerEncoderLayer(
        hidden, heads, 4 * hidden, dropout, activation="gelu", batch_first=True, norm_first=True
    )
    return nn.TransformerEncoder(
        layer, config.summary_context_layers, norm=nn.LayerNorm(hidden), enable_nested_tensor=False
    )


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer  # deferred: importing transformers is slow
    from transformers.utils import logging as hf_logging

    # AutoTokenizer peeks at config.json and warns that model_type "presslens" is not a transformers model;
    # that is expected here, so keep the user's console quiet while loading.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return AutoTokenizer.from_pretrained(str(path))
    except Exception as exc:  # transformers raises OSError, ValueError, ... for missing or bad files
        raise ModelLoadError(
            f"{path}: cannot load the tokenizer ({exc}); a presslens checkpoint needs its tokenizer files "
            "(tokenizer.json / vocab.txt, tokenizer_config.json) beside config.json"
        ) from exc
    finally:
        hf_logging.set_verbosity(verbosity)


def load_config(directory: str | Path) -> PresslensConfig:
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelLoadError(f"{directory}: no such checkpoint directory")
    path = directory / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError(f"{path}: missing; a presslens checkpoint needs {CONFIG_FILE}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    return PresslensConfig.from_json_dict(data, source=str(path))
