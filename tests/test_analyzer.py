"""The Analyzer's contract, ordering, laziness and windows, on a tiny random checkpoint; postprocessing."""

from __future__ import annotations

import itertools
import math
import shutil
import subprocess
import sys

import pytest

from classifier import Analysis, Analyzer, ArticleInput, InputError, ModelLoadError
from classifier.analyzer import DEFAULT_MODEL_DIR, PreparedArticle
from classifier.postprocess import probabilities, select_summary, select_summary_among, sigmoid, softmax, top_sentences

ARTICLE = """Central bank raises rates again

The central bank raised interest rates by half a point on Tuesday, its third rise this year.
Analysts had expected a smaller move. Shares in lenders rose 3.5% in early trading.

"Inflation is still too high," the governor, Dr. Maria Lopez, told reporters in Washington.

Unions warned that higher mortgage costs would hurt families. The next meeting is in June.
"""
LONG_ARTICLE = "\n\n".join(
    f"Paragraph {i} says the council approved budget item number {i} after a long debate on Monday. "
    f"Members said item {i} would cost about {i * 3} million dollars over five years."
    for i in range(1, 16)
)
CONTRACT_KEYS = {"id", "topic", "stances", "summary", "warnings", "notes", "model"}


@pytest.fixture(scope="module")
def analyzer(tiny_analyzer) -> Analyzer:
    return tiny_analyzer


# -- contract -------------------------------------------------------------------------------------------
def test_to_dict_is_exactly_the_output_contract(analyzer):
    result = analyzer.analyze(ARTICLE, id="a1", targets=["Rates went up", "Rates went down"])
    data = result.to_dict()
    assert set(data) == CONTRACT_KEYS
    assert data["id"] == "a1"
    assert set(data["topic"]) == {"label", "score", "scores"}
    assert set(data["summary"]) == {"text", "sentences"}
    assert all(set(s) == {"index", "text", "score"} for s in data["summary"]["sentences"])
    assert [s["target"] for s in data["stances"]] == ["Rates went up", "Rates went down"]
    for stance in data["stances"]:
        assert set(stance) == {"target", "label", "score", "scores", "confidence", "evidence"}
        assert stance["confidence"] in ("high", "low")
        assert all(set(e) == {"index", "text"} for e in stance["evidence"])
    assert data["model"] == {"name": "presslens-tiny-test", "version": "0.0.1"}
    assert isinstance(data["warnings"], list)


def test_labels_and_probabilities(analyzer):
    result = analyzer.analyze(ARTICLE)
    assert analyzer.labels == {
        "topic": ["Business", "Sci/Tech", "Sports", "World"],
        "stance": ["agree", "disagree", "discuss", "unrelated"],
    }
    assert list(result.topic.scores) == analyzer.labels["topic"]
    assert result.topic.label in analyzer.labels["topic"]
    assert result.topic.score == max(result.topic.scores.values())
    assert math.isclose(sum(result.topic.scores.values()), 1.0, rel_tol=1e-6)
    (stance,) = result.stances
    assert stance.target == "Central bank raises rates again"  # the detected headline is the default claim
    assert stance.label in analyzer.labels["stance"]
    assert math.isclose(sum(stance.scores.values()), 1.0, rel_tol=1e-6)
    assert all(0.0 <= s.score <= 1.0 for s in result.summary.sentences)


def test_summary_sentences_are_article_sentences_in_order(analyzer):
    result = analyzer.analyze(ARTICLE, summary_sentences=3)
    indices = [s.index for s in result.summary.sentences]
    assert indices == sorted(indices) and len(indices) == 3
    for sentence in result.summary.sentences:
        assert result.sentences[sentence.index] == sentence.text
    assert result.summary.text == " ".join(s.text for s in result.summary.sentences)


def test_evidence_indices_are_valid(analyzer):
    result = analyzer.analyze(LONG_ARTICLE, targets="The council approved the budget")
    (stance,) = result.stances
    assert len(stance.evidence) == 2
    indices = [e.index for e in stance.evidence]
    assert indices == sorted(indices)
    for evidence in stance.evidence:
        assert result.sentences[evidence.index] == evidence.text


@pytest.mark.parametrize(
    "tasks", [["topic"], ["stance"], ["summary"], ["topic", "summary"], "topic,stance", ("stance", "summary")]
)
def test_switched_off_tasks_are_absent(analyzer, tasks):
    wanted = set(tasks.split(",") if isinstance(tasks, str) else tasks)
    data = analyzer.analyze(ARTICLE, tasks=tasks).to_dict()
    assert {"topic", "stances", "summary"} & set(data) == {"stances" if t == "stance" else t for t in wanted}


def test_topic_alone_gives_the_same_topic_as_all_tasks(analyzer):
    alone = analyzer.analyze(LONG_ARTICLE, tasks=["topic"])
    everything = analyzer.analyze(LONG_ARTICLE)
    assert alone.topic.scores == pytest.approx(everything.topic.scores, abs=1e-5)


def test_results_are_frozen(analyzer):
    result = analyzer.analyze(ARTICLE)
    with pytest.raises(AttributeError):
        result.topic = None  # type: ignore[misc]


# -- windows and warnings -------------------------------------------------------------------------------
def test_long_article_is_read_in_windows_without_cutting_sentences(analyzer):
    result = analyzer.analyze(LONG_ARTICLE, title="Council approves budget", summary_sentences=4)
    windows = [w for w in result.notes if w.startswith("read in ")]
    assert windows and windows[0].endswith("windows of up to 64 tokens")
    assert int(windows[0].split()[2]) > 3
    assert not any("split" in w for w in result.warnings)
    assert len(result.sentences) == 30


@pytest.mark.parametrize(("tasks", "reported"), [(["topic"], False), (["stance"], True), (["topic", "stance"], True)])
def test_windows_are_reported_by_whichever_pass_reads_the_whole_article(analyzer, tasks, reported):
    result = analyzer.analyze(LONG_ARTICLE, title="Council approves budget", tasks=tasks)
    assert any(w.startswith("read in ") for w in result.notes) == reported
    assert len([w for w in result.notes if w.startswith("read in ")]) <= 1


def test_summary_is_picked_from_the_first_window_with_a_note(analyzer):
    # Each sentence has its own trigrams (the index is every other word), so any of the 30 could be picked;
    # only those in the first 64-token window are candidates, and every one of them gets a real score.
    text = " ".join(f"Council {i} approved {i} budget {i} items {i}." for i in range(30))
    result = analyzer.analyze(text, summary_sentences=30)
    indices = [s.index for s in result.summary.sentences]
    assert 2 <= len(indices) < 30
    assert indices == list(range(len(indices)))
    assert all(s.score > 0.0 for s in result.summary.sentences)
    assert f"summary picked from the first {len(indices)} of 30 sentences" in " ".join(result.notes)


def test_short_article_has_no_first_window_warning(analyzer):
    result = analyzer.analyze("The dam broke at noon. Nobody was hurt, officials said.")
    assert len(result.summary.sentences) == 2
    assert not any(w.startswith("summary picked from") for w in result.notes)


def test_giant_sentence_is_split_with_a_warning(analyzer):
    giant = "The report lists " + ", ".join(f"item {i}" for i in range(80)) + "."
    result = analyzer.analyze(f"Report published\n\n{giant}\n\nIt ends here today.")
    assert "a sentence longer than one window was split" in result.warnings
    assert result.summary.sentences  # the split sentence still gets one score (its best piece)


def test_no_claim_and_no_headline_skips_stance(analyzer):
    result = analyzer.analyze("The dam broke at noon. Nobody was hurt, officials said.")
    assert result.stances == ()
    assert result.to_dict()["stances"] == []
    assert "no claim and no headline: stance skipped" in result.warnings


def test_long_claim_and_headline_are_cut_with_warnings(analyzer):
    claim = "The central bank " + "really " * 30 + "raised rates"
    title = "Bank " + "news " * 30 + "today"
    result = analyzer.analyze(ARTICLE, title=title, targets=[claim])
    assert any(w.startswith("claim cut to its first 16 tokens") for w in result.warnings)
    assert any(w.startswith("headline cut to its first 16 tokens") for w in result.warnings)
    assert result.stances[0].target == claim  # the output names the full claim


def test_cleaning_warnings_reach_the_output(analyzer):
    result = analyzer.analyze("Storm hits town\n\nThe storm hit at dawn.\nMore news: Other things\n\nRoofs were lost.")
    assert any(w.startswith("removed 1 boilerplate line") for w in result.warnings)
    assert result.title == "Storm hits town"


def test_shared_messy_example(analyzer, messy_example):
    result = analyzer.analyze(messy_example.read_bytes())
    data = result.to_dict()
    assert data["stances"][0]["target"].startswith("Led coalition conducts")
    assert any("More news" in w for w in data["warnings"])
    assert all("More news" not in s for s in result.sentences)


# -- many articles --------------------------------------------------------------------------------------
def _varied_articles():
    return [
        ArticleInput(text="Short note\n\nThe match ended 2-1. Fans cheered.", id="short"),
        {"text": LONG_ARTICLE, "title": "Council approves budget", "id": 7},
        ArticleInput(text=ARTICLE, targets=("Rates went up",)),
        "Markets fell on Friday. Oil rose 2%. Gold was flat.",
        ArticleInput(text=LONG_ARTICLE[:400], title="Budget debate"),
        {"text": b"Caf\xe9 owners protest\n\nThey marched on Monday.", "targets": ["Owners protested"]},
        "The vote is set for Sept. 30. Both parties agreed to the date.",
    ]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 16])
def test_analyze_many_keeps_input_order_and_matches_analyze(analyzer, batch_size):
    articles = _varied_articles()
    many = list(analyzer.analyze_many(articles, batch_size=batch_size))
    assert len(many) == len(articles)
    for article, result in zip(articles, many):
        single = analyzer.analyze(article)
        assert result.sentences == single.sentences
        assert result.id == single.id
        assert result.topic.scores == pytest.approx(single.topic.scores, abs=1e-4)
        assert [s.index for s in result.summary.sentences] == [s.index for s in single.summary.sentences]
        assert [s.target for s in result.stances] == [s.target for s in single.stances]
        for a, b in zip(result.stances, single.stances):
            assert a.scores == pytest.approx(b.scores, abs=1e-4)
    assert many[0].id == "short" and many[1].id == "7"


def test_analyze_many_is_lazy(analyzer):
    consumed = []

    def source():
        for i in range(100):
            consumed.append(i)
            yield f"Article number {i} says prices rose. Officials said little more."

    results = analyzer.analyze_many(source(), batch_size=3)
    assert consumed == []  # nothing is read before the first result is asked for
    first = next(results)
    assert first.sentences[0] == "Article number 0 says prices rose."
    assert len(consumed) <= 3
    following = list(itertools.islice(results, 4))
    assert [r.sentences[0] for r in following] == [f"Article number {i} says prices rose." for i in range(1, 5)]
    assert len(consumed) <= 6


def test_analyze_many_of_nothing(analyzer):
    assert list(analyzer.analyze_many([])) == []


def test_a_bad_article_in_a_stream_raises_after_the_good_ones_before_it(analyzer):
    results = analyzer.analyze_many(["Prices rose. Shares fell.", "Rates held. Banks gained.", "   ", "x y z."], batch_size=4)
    assert next(results).sentences == ("Prices rose.", "Shares fell.")
    assert next(results).sentences == ("Rates held.", "Banks gained.")
    with pytest.raises(InputError, match=r"article 2 \(0-based\).*empty"):
        next(results)


def test_the_raised_error_says_how_to_go_on_instead(analyzer):
    with pytest.raises(InputError, match=r'article 1 \(0-based\).*empty.*errors="record"'):
        list(analyzer.analyze_many(["Prices rose. Shares fell.", ""]))
    with pytest.raises(InputError) as single:
        analyzer.analyze("")
    assert "errors=" not in str(single.value)  # one article: nothing to go on with


def test_analyze_many_errors_record_gives_bad_articles_an_error_result_and_goes_on(analyzer):
    """Before (issue 21): one empty record stopped the whole loop with InputError; batch's per-record
    failure mode was not available in Python."""
    articles = [{"id": "a", "text": ARTICLE}, {"id": "empty", "text": ""}, "Rates held. Banks gained.",
                {"id": "typed", "text": 5}, ArticleInput(text="   ", id="blank"), {"text": ARTICLE, "colour": "red"},
                {"id": "z", "text": "x y z."}]
    results = list(analyzer.analyze_many(articles, batch_size=2, errors="record"))
    assert [r.id for r in results] == ["a", "empty", None, "typed", "blank", None, "z"]
    assert [r.error is None for r in results] == [True, False, True, False, False, False, True]
    assert results[1].to_dict() == {"id": "empty", "error": "text is empty: give the article's text (plain text or HTML)"}
    assert results[3].to_dict() == {"id": "typed", "error": "text must be a string, got a number"}
    assert results[5].to_dict() == {"error": "unknown article fields ['colour']; an article has text, title, targets, id"}
    assert results[1].topic is None and results[1].stances is None and results[1].summary is None
    good = analyzer.analyze(ARTICLE, id="a")
    assert results[0].to_dict() == good.to_dict()  # the good ones as if alone
    with pytest.raises(InputError, match="errors must be"):
        analyzer.analyze_many(articles, errors="ignore")


class _Poisoned(Analyzer):
    """The real tiny analyzer with a fault injected: cleaning, or the model pass over a chunk, fails with an
    unexpected exception for an article holding a marker word (as a bug deep in the code would)."""

    def prepare(self, article, **options):
        prepared = super().prepare(article, **options)
        if "CLEANBUG" in " ".join(prepared.sentences):
            raise RuntimeError("injected cleaning bug")
        return prepared

    def _analyze_chunk(self, chunk, *args):
        if any("MODELBUG" in " ".join(a.sentences) for a in chunk):
            raise TypeError("injected model bug")
        return super()._analyze_chunk(chunk, *args)


def test_analyze_many_errors_record_keeps_an_unexpected_failure_with_its_article(tiny_analyzer, caplog):
    poisoned = _Poisoned(tiny_analyzer.model, tiny_analyzer.tokenizer, batch_size=4, precision="fp32")
    texts = ["Rates rose today.", "Rates fell CLEANBUG today.", "Rates held MODELBUG today.", "Banks gained today."]
    results = list(poisoned.analyze_many(texts, errors="record"))
    assert [r.error for r in results] == [None, "analysis failed: RuntimeError: injected cleaning bug",
                                          "analysis failed: TypeError: injected model bug", None]
    assert results[3].topic is not None  # its neighbour in the failed chunk was analyzed one by one
    assert any(r.exc_info and r.exc_info[0] is TypeError for r in caplog.records)
    with pytest.raises(RuntimeError):  # the default still raises
        list(poisoned.analyze_many(texts))


def test_prepared_articles_can_be_passed_on(analyzer):
    prepared = analyzer.prepare({"text": ARTICLE, "id": "p1", "targets": "Rates rose"})
    assert isinstance(prepared, PreparedArticle)
    assert prepared.targets == ("Rates rose",) and prepared.title == "Central bank raises rates again"
    (result,) = analyzer.analyze_many([prepared])
    assert isinstance(result, Analysis) and result.id == "p1"


# -- bad input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("article", "message"),
    [
        ("", "empty"),
        (" \n ", "empty"),
        (None, "got NoneType"),
        (42, "got int"),
        ({"title": "No text"}, "no 'text' field"),
        ({"text": 5}, "must be a string"),
        ({"text": "Fine text here.", "body": "x"}, r"unknown article fields \['body'\]"),
        ({"text": "Fine text here.", "targets": [1, 2]}, "must be a string"),
        ({"text": "Fine text here.", "targets": {"a": 1}}, "string or a list of strings"),
        ({"text": "Fine text here.", "title": 3}, "title must be a string"),
        ({"text": "Fine text here.", "id": 1.5}, "id must be a string or an integer"),
        ("Advertisement\nRead more", "nothing is left"),
    ],
)
def test_bad_articles_are_input_errors(analyzer, article, message):
    with pytest.raises(InputError, match=message):
        analyzer.prepare(article)
    with pytest.raises(InputError, match=message):
        analyzer.analyze(article)


def test_blank_claims_mean_no_claim(analyzer):
    prepared = analyzer.prepare({"text": "The dam broke. Nobody was hurt.", "targets": ["", "  "]})
    assert prepared.targets == ()


@pytest.mark.parametrize("tasks", [["topic", "sentiment"], [], "nothing"])
def test_unknown_tasks_are_input_errors(analyzer, tasks):
    with pytest.raises(InputError, match="choose any of topic, stance, summary"):
        analyzer.analyze(ARTICLE, tasks=tasks)
    with pytest.raises(InputError):
        analyzer.analyze_many([ARTICLE], tasks=tasks)  # raised at the call, before iterating


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_bad_summary_sentences(analyzer, k):
    with pytest.raises(InputError, match="summary_sentences"):
        analyzer.analyze(ARTICLE, summary_sentences=k)


def test_bad_batch_size(analyzer):
    with pytest.raises(InputError, match="batch_size"):
        analyzer.analyze_many([ARTICLE], batch_size=0)


# -- loading --------------------------------------------------------------------------------------------
def test_missing_default_model_says_how_to_get_one():
    if DEFAULT_MODEL_DIR.exists():
        pytest.skip("a default model is installed")
    with pytest.raises(ModelLoadError, match=r"--model PATH.*presslens-train"):
        Analyzer.from_pretrained()


def test_checkpoint_without_tokenizer_files(tiny_checkpoint, tmp_path):
    target = tmp_path / "no_tokenizer"
    shutil.copytree(tiny_checkpoint, target)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (target / name).unlink(missing_ok=True)
    with pytest.raises(ModelLoadError, match="tokenizer"):
        Analyzer.from_pretrained(target)


def test_missing_checkpoint_directory(tmp_path):
    with pytest.raises(ModelLoadError, match="no such checkpoint directory"):
        Analyzer.from_pretrained(tmp_path / "missing")


def test_bad_precision(tiny_checkpoint):
    with pytest.raises(InputError, match="precision"):
        Analyzer.from_pretrained(tiny_checkpoint, precision="fp8")


def test_bf16_gives_close_results(tiny_checkpoint, analyzer):
    bf16 = Analyzer.from_pretrained(tiny_checkpoint, precision="bf16")
    assert bf16.precision == "bf16"
    fast, exact = bf16.analyze(ARTICLE), analyzer.analyze(ARTICLE)
    assert fast.topic.scores == pytest.approx(exact.topic.scores, abs=0.05)
    assert fast.sentences == exact.sentences


@pytest.mark.parametrize("native", [True, False])
def test_asking_for_bf16_where_the_cpu_emulates_it_warns(tiny_checkpoint, monkeypatch, native):
    import warnings

    import classifier.analyzer

    # The CPU cannot be swapped in a test; an AVX2-only CPU answers False here.
    monkeypatch.setattr(classifier.analyzer, "native_bf16", lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Analyzer.from_pretrained(tiny_checkpoint, precision="bf16").precision == "bf16"
        Analyzer.from_pretrained(tiny_checkpoint, precision="fp32")
    slow = [w for w in caught if "emulated" in str(w.message)]
    assert bool(slow) is not native
    assert all(w.category is RuntimeWarning for w in slow)


def test_properties(analyzer):
    assert analyzer.model_info.name == "presslens-tiny-test"
    assert analyzer.config.max_length == 64
    assert analyzer.precision in ("fp32", "bf16")


def test_importing_classifier_is_light():
    code = "import sys, classifier; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# -- the shipped default model --------------------------------------------------------------------------
@pytest.mark.slow
def test_default_model_analyzes_an_article():
    if not (DEFAULT_MODEL_DIR / "config.json").is_file():
        pytest.skip("no default model is shipped yet")
    analyzer = Analyzer.from_pretrained()
    data = analyzer.analyze(ARTICLE, summary_sentences=2).to_dict()
    assert set(data) == CONTRACT_KEYS - {"id"}
    assert data["topic"]["label"] in analyzer.labels["topic"]
    assert len(data["summary"]["sentences"]) == 2
    assert not any(label.startswith("LABEL_") for label in analyzer.labels["topic"] + analyzer.labels["stance"])


@pytest.mark.slow
def test_default_model_reads_the_business_story_as_business():
    if not (DEFAULT_MODEL_DIR / "config.json").is_file():
        pytest.skip("no default model is shipped yet")
    result = Analyzer.from_pretrained().analyze(ARTICLE, tasks=["topic"])
    assert result.topic.label == "Business"


# -- postprocessing -------------------------------------------------------------------------------------
def test_softmax_with_temperature():
    assert sum(softmax([1.0, 2.0, 3.0])) == pytest.approx(1.0)
    sharp, flat = softmax([1.0, 2.0], 0.5), softmax([1.0, 2.0], 4.0)
    assert sharp[1] > softmax([1.0, 2.0])[1] > flat[1] > 0.5
    assert softmax([1000.0, 0.0]) == pytest.approx([1.0, 0.0])  # no overflow
    assert probabilities([0.0, 0.0], ["a", "b"]) == {"a": 0.5, "b": 0.5}
    with pytest.raises(ValueError):
        probabilities([0.0], ["a", "b"])
    with pytest.raises(ValueError):
        softmax([1.0], 0.0)


def test_sigmoid():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0
    assert sigmoid(2.0, 2.0) == pytest.approx(sigmoid(1.0))


def test_select_summary_top_k_in_article_order():
    sentences = ["The bank raised rates today.", "Shares rose in early trading.", "The governor spoke later on."]
    assert select_summary([0.2, 0.9, 0.8], sentences, 2) == [1, 2]
    assert select_summary([0.2, 0.9, 0.8], sentences, 10) == [0, 1, 2]
    assert select_summary([0.2, 0.9, 0.8], sentences, 0) == []


def test_select_summary_skips_a_sentence_sharing_a_trigram():
    sentences = [
        "The central bank raised rates on Tuesday.",
        "On Tuesday the central bank raised rates again.",  # shares "the central bank"
        "Unions warned families would suffer.",
    ]
    assert select_summary([0.9, 0.8, 0.1], sentences, 2) == [0, 2]
    # Redundant sentences are never used to fill up: fewer than k is fine.
    assert select_summary([0.9, 0.8], sentences[:2], 2) == [0]


def test_select_summary_skips_short_sentences_unless_nothing_else_is_left():
    sentences = ["Yes.", "The bank raised rates today.", "Shares rose."]
    assert select_summary([0.9, 0.5, 0.8], sentences, 1) == [1]
    assert select_summary([0.9, 0.5, 0.8], sentences, 2) == [0, 1]
    assert select_summary([0.1, 0.9], ["No.", "Yes indeed."], 1) == [1]


def test_select_summary_skips_subheadings_unless_nothing_else_is_left():
    """A subheading ("What the council decided next") or a table label is article text, not a summary sentence."""
    sentences = ["What the council decided next about the harbour", "The council voted to build the barrier.",
                 "Residents applauded when the vote passed.", "\u201cIt is the only option,\u201d she said."]
    assert select_summary([0.9, 0.5, 0.4, 0.3], sentences, 2) == [1, 2]
    assert select_summary([0.9, 0.5, 0.4, 0.3], sentences, 3) == [1, 2, 3]
    assert select_summary([0.9, 0.1], sentences[:2], 2) == [0, 1]


def test_select_summary_ties_and_nan():
    sentences = ["Alpha beta gamma delta.", "Epsilon zeta eta theta.", "Iota kappa lambda mu."]
    assert select_summary([0.5, 0.5, 0.5], sentences, 1) == [0]
    assert select_summary([float("nan"), 0.1, 0.2], sentences, 1) == [2]
    with pytest.raises(ValueError):
        select_summary([0.1], sentences, 1)


def test_top_sentences():
    assert top_sentences([0.1, 0.5, 0.3, 0.5], 2) == [1, 3]
    assert top_sentences([0.2], 2) == [0]


def test_select_summary_among_only_the_scored_sentences():
    sentences = ["The dam broke at noon.", "Rain fell for days upstream.", "Engineers had warned twice.",
                 "Nobody was hurt, officials said.", "Repairs will cost millions."]
    assert select_summary_among({3: 0.9, 0: 0.2, 4: 0.5}, sentences, 2) == [3, 4]
    assert select_summary_among({3: 0.9, 0: 0.2}, sentences, 5) == [0, 3]  # never an unscored sentence
    assert select_summary_among({}, sentences, 3) == []
