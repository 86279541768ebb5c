"""The article in the output (--include-text / include_text) and language refusal (--languages / languages)
through the Python API, `presslens analyze`, `presslens batch` and the HTTP API (tiny random model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import main
from classifier.errors import InputError

PAGES = Path(__file__).parent / "pages"
ENGLISH = PAGES / "no_h1.html"
GERMAN = PAGES / "german_page.html"


def assert_indices_point_into_sentences(result: dict) -> None:
    sentences = result["article"]["sentences"]
    chosen = result["summary"]["sentences"] + [e for stance in result["stances"] for e in stance["evidence"]]
    assert chosen, "the result picked no sentence at all"
    for sentence in chosen:
        assert sentences[sentence["index"]] == sentence["text"]


def test_analyzer_include_text(tiny_analyzer):
    analysis = tiny_analyzer.analyze(ENGLISH.read_bytes())
    assert "article" not in analysis.to_dict()  # without the option the output stays as it was
    data = analysis.to_dict(include_text=True)
    assert data["article"]["title"] == "Council freezes parking charges for a year"
    assert data["article"]["language"] == "en"
    assert (data["article"]["date"], data["article"]["author"], data["article"]["site"]) == (
        "2024-03-05", "Mara Quill", "Harbour Gazette")
    assert_indices_point_into_sentences(data)
    plain = tiny_analyzer.analyze("Rates rise\n\nThe bank raised rates. Markets fell.").to_dict(include_text=True)
    assert set(plain["article"]) == {"title", "language", "sentences"}  # no page metadata: keys absent


def test_analyzer_languages_refuses_other_languages(tiny_analyzer):
    with pytest.raises(InputError, match=r"German \(de\).*only en"):
        tiny_analyzer.prepare(GERMAN.read_bytes(), languages="en")
    analysis = tiny_analyzer.analyze(GERMAN.read_bytes())  # without languages: analyzed, with a warning
    assert analysis.language == "de" and any("not English" in w for w in analysis.warnings)
    assert tiny_analyzer.analyze(ENGLISH.read_bytes(), languages=["en", "de"]).language == "en"
    with pytest.raises(InputError, match="ISO 639-1"):
        tiny_analyzer.prepare(ENGLISH.read_bytes(), languages=["english!"])


# ------------------------------------------------------------------------------------------------- CLI
@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(arg) for arg in args])


def test_cli_analyze_include_text(cli, tiny_checkpoint):
    result = cli("analyze", ENGLISH, "--json", "--include-text", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["article"]["title"] == "Council freezes parking charges for a year"
    assert_indices_point_into_sentences(data)
    human = cli("analyze", ENGLISH, "--include-text", "--model", tiny_checkpoint)
    assert human.exit_code == 0, human.output
    assert "Language: en" in human.stdout and "Article: (date: 2024-03-05" in human.stdout
    assert "[0] Parking charges in the town centre" in human.stdout
    without = json.loads(cli("analyze", ENGLISH, "--json", "--model", tiny_checkpoint).stdout)
    assert "article" not in without


def test_cli_analyze_languages_and_max_chars(cli, tiny_checkpoint, tmp_path):
    refused = cli("analyze", GERMAN, "--languages", "en", "--model", tiny_checkpoint)
    assert refused.exit_code == 1 and "German (de)" in refused.output
    bad = cli("analyze", GERMAN, "--languages", "en,??", "--model", tiny_checkpoint)
    assert bad.exit_code == 2 and "--languages" in bad.output
    big = tmp_path / "big.txt"
    big.write_text("Headline\n\n" + "The council met again on Tuesday. " * 400, encoding="utf-8")
    too_long = cli("analyze", big, "--max-chars", 1000, "--model", tiny_checkpoint)
    assert too_long.exit_code == 1 and "the limit is 1,000" in too_long.output and "--max-chars" in too_long.output
    assert cli("analyze", big, "--max-chars", 0, "--tasks", "topic", "--model", tiny_checkpoint).exit_code == 0


def test_cli_batch_include_text_and_languages(cli, tiny_checkpoint, tmp_path):
    records = [
        {"id": "en", "text": ENGLISH.read_text(encoding="utf-8")},
        {"id": "de", "text": GERMAN.read_text(encoding="utf-8")},
        {"id": "plain", "text": "Rates rise\n\nThe bank raised rates on Tuesday. Markets fell sharply."},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = cli("batch", source, tmp_path / "out.jsonl", "--include-text", "--languages", "en",
                 "--model", tiny_checkpoint, "--no-progress")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in out] == ["en", "de", "plain"]
    assert "German (de)" in out[1]["error"]
    for record in (out[0], out[2]):
        assert_indices_point_into_sentences(record)
    assert out[0]["article"]["site"] == "Harbour Gazette"


# ------------------------------------------------------------------------------------------------- API
@pytest.fixture(scope="module")
def api(tiny_checkpoint, tmp_path_factory):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("fastapi")
    from demo.process import ServerProcess

    log = tmp_path_factory.mktemp("api") / "server.log"
    with ServerProcess(tiny_checkpoint, args=["--precision", "fp32"], log_path=log) as server:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield client


def test_api_include_text_and_languages(api):
    english = {"text": ENGLISH.read_text(encoding="utf-8"), "include_text": True}
    response = api.post("/api/v1/analyze", json=english)
    assert response.status_code == 200, response.text
    assert_indices_point_into_sentences(response.json())
    plain = api.post("/api/v1/analyze", json={"text": english["text"]}).json()
    assert "article" not in plain

    german = {"text": GERMAN.read_text(encoding="utf-8"), "languages": ["en"]}
    refused = api.post("/api/v1/analyze", json=german)
    assert refused.status_code == 422 and "German (de)" in refused.json()["message"]
    bad = api.post("/api/v1/analyze", json={**german, "languages": ["not a code"]})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    wrong_type = api.post("/api/v1/analyze", json={**english, "include_text": "yes"})
    assert wrong_type.status_code == 422


def test_cli_analyze_reports_progress_on_stderr_for_long_articles(cli, tiny_checkpoint, tmp_path):
    long = tmp_path / "long.txt"
    long.write_text("Headline\n\n" + "".join(f"The council met for the {i}th time. " for i in range(2000)), "utf-8")
    result = cli("analyze", long, "--tasks", "topic", "--json", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    assert "loading the model" in result.stderr and "analyzing 2,000 sentences" in result.stderr
    assert "loading the model" not in result.stdout  # stdout stays the JSON
    json.loads(result.stdout)
    short = cli("analyze", ENGLISH, "--tasks", "topic", "--model", tiny_checkpoint)
    assert "loading the model" not in short.stderr


def test_page_view_shows_the_headline_and_language_found(tiny_analyzer):
    from demo.render import render_analysis

    status = render_analysis(tiny_analyzer.analyze(GERMAN.read_bytes()), 0.1).status
    assert "headline: **Stadtrat beschließt neuen Fahrplan für die Fähre**" in status
    assert "language: **de**" in status
    untitled = render_analysis(tiny_analyzer.analyze("The bank raised rates. Markets fell."), 0.1).status
    assert "no headline found" in untitled and "language" not in untitled  # too short to tell
