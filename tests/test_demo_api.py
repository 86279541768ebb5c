"""The HTTP API against a real server (`python -m demo.server` in a child process, tiny random model).

Checks success (one article, a list), every limit, bad JSON, wrong types, a full queue (503 + Retry-After),
many parallel clients each getting their own answers, one log line per request, and a clean SIGTERM stop.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import threading
import time

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("gradio")
pytest.importorskip("fastapi")

from demo.process import ServerProcess  # noqa: E402

LIMITS = {"max_articles": 4, "max_chars": 5_000, "max_targets": 3, "max_body_bytes": 30_000,
          "max_summary_sentences": 5}
ARTICLE = {
    "title": "Harbour City reach the cup final",
    "text": "Harbour City will play in their first cup final for 23 years. Daniel Okafor headed in a late "
            "winner against Northvale. The manager praised her young substitute. The final is in May.",
}


def _limit_args(limits: dict[str, int], queue: int) -> list[str]:
    args = []
    for name, value in limits.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    return args + ["--queue-articles", str(queue), "--precision", "fp32"]


@pytest.fixture(scope="module")
def server(tiny_checkpoint, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    process = ServerProcess(tiny_checkpoint, args=_limit_args(LIMITS, queue=64), log_path=log_path)
    process.start()
    yield process
    assert process.stop() == 0, process.log()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as session:
        yield session


def post(client, body, **kwargs):
    return client.post("/api/v1/analyze", json=body, **kwargs)


def assert_error(response, status: int, code: str, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code, body
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    return body


# --------------------------------------------------------------------------------------------- success
def test_healthz_says_which_model_is_loaded(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["model_loaded"] is True
    assert body["model"] == {"name": "presslens-tiny-test", "version": "0.0.1"}
    assert body["labels"]["topic"] == ["Business", "Sci/Tech", "Sports", "World"]
    assert body["limits"]["max_articles"] == LIMITS["max_articles"]


def test_one_article_in_one_result_out(client, tiny_analyzer):
    response = post(client, {**ARTICLE, "id": "a1", "targets": ["The final is in May"]})
    assert response.status_code == 200, response.text
    result = response.json()
    assert isinstance(result, dict)
    assert set(result) == {"id", "topic", "stances", "summary", "warnings", "notes", "model"}
    assert result["id"] == "a1"
    assert result["stances"][0]["target"] == "The final is in May"
    assert result["topic"]["label"] in tiny_analyzer.labels["topic"]
    # Same answer as the library (and so as `presslens analyze`) on the same input.
    expected = tiny_analyzer.analyze(ARTICLE["text"], title=ARTICLE["title"], id="a1",
                                     targets=["The final is in May"]).to_dict()
    assert result["topic"]["label"] == expected["topic"]["label"]
    assert result["topic"]["scores"] == pytest.approx(expected["topic"]["scores"], abs=2e-4)
    assert [s["index"] for s in result["summary"]["sentences"]] == [
        s["index"] for s in expected["summary"]["sentences"]]
    assert result["stances"][0]["scores"] == pytest.approx(expected["stances"][0]["scores"], abs=2e-4)


def test_a_list_in_a_list_out_in_order_with_per_article_options(client):
    articles = [
        {**ARTICLE, "id": 7},
        {"text": "Shares of Fenwick Foods rose 6 percent. The chain will close 14 stores.", "id": "b",
         "tasks": ["topic"]},
        {"text": "Norland's coalition talks collapsed. An early election is possible.", "id": "c",
         "tasks": ["summary"], "summary_sentences": 1},
    ]
    response = post(client, articles)
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["id"] for r in results] == ["7", "b", "c"]  # an integer id comes back as a string
    assert set(results[1]) == {"id", "topic", "warnings", "notes", "model"}
    assert set(results[2]) == {"id", "summary", "warnings", "notes", "model"}
    assert len(results[2]["summary"]["sentences"]) == 1


def test_min_topic_score_says_none_of_these_per_article(client):
    plain, strict, default = post(client, [dict(ARTICLE), dict(ARTICLE, min_topic_score=1), dict(ARTICLE, min_topic_score=None)]).json()
    assert plain["topic"]["label"] is not None and plain["topic"] == default["topic"]
    assert strict["topic"]["label"] is None and strict["topic"]["score"] == plain["topic"]["score"]
    assert strict["topic"]["scores"] == plain["topic"]["scores"]
    assert any("none of these" in warning for warning in strict["warnings"])
    assert not any("none of these" in warning for warning in plain["warnings"])
    assert strict["summary"] == plain["summary"] and strict["stances"] == plain["stances"]


def test_a_single_claim_may_be_a_string(client):
    result = post(client, {**ARTICLE, "targets": "Okafor scored"}).json()
    assert [s["target"] for s in result["stances"]] == ["Okafor scored"]


def test_openapi_schema_and_docs_page(client):
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/analyze"]["post"]
    assert "requestBody" in operation and {"200", "413", "422", "503"} <= set(operation["responses"])
    assert "AnalysisOut" in schema["components"]["schemas"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # The docs page works offline: its script and style come from this server, not from a CDN.
    assert "cdn." not in docs.text
    script = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', docs.text).group(1)
    assert client.get(script).status_code == 200


def test_the_page_is_served_at_the_root(client):
    response = client.get("/")
    assert response.status_code == 200 and "<html" in response.text.lower()


# ---------------------------------------------------------------------------------------------- limits
def test_body_too_large_is_413(client):
    body = json.dumps({"text": "word " * 10_000}).encode()
    assert len(body) > LIMITS["max_body_bytes"]
    response = client.post("/api/v1/analyze", content=body, headers={"content-type": "application/json"})
    assert_error(response, 413, "request_too_large", "30,000 bytes")


def test_body_too_large_without_content_length_is_413(client):
    def chunks():
        for _ in range(40):
            yield b" " * 1_000

    response = client.post("/api/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, 413, "request_too_large")


def test_too_many_articles(client):
    response = post(client, [ARTICLE] * 5)
    assert_error(response, 422, "too_many_articles", "5 articles", "limit is 4")


def test_article_too_long(client):
    long_one = {"text": "The harbour talks went on. " * 200}  # 5,399 characters of article
    response = post(client, long_one)
    assert_error(response, 422, "article_too_long", "5,399 characters after reading", "limit is 5,000",
                 "--max-chars of the server")
    # in a list, the error stands in its place and the other article is analyzed (issue 21 item 14)
    response = post(client, [ARTICLE, long_one])
    assert response.status_code == 200
    first, second = response.json()
    assert "topic" in first and second["error"] == "article_too_long" and "5,399 characters" in second["message"]


def test_too_many_targets(client):
    response = post(client, {**ARTICLE, "targets": ["a", "b", "c", "d"]})
    assert_error(response, 422, "too_many_targets", "4 targets", "limit is 3")


def test_too_many_summary_sentences(client):
    response = post(client, {**ARTICLE, "summary_sentences": 6})
    assert_error(response, 422, "invalid_request", "limit is 5")


# ------------------------------------------------------------------------------------ malformed bodies
@pytest.mark.parametrize("raw", [b'{"text": ', b"not json", b'{"text": "a"}}', b"\xff\xfe"])
def test_bad_json_is_400(client, raw):
    response = client.post("/api/v1/analyze", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_json")


def test_empty_body_is_400(client):
    response = client.post("/api/v1/analyze", content=b"", headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_json", "empty")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": 5}, "text must be a string, got a number"),
        ({"title": "no text"}, "no 'text' field"),
        ({"text": "a.", "targets": [1]}, "targets[0]"),
        ({"text": "a.", "tasks": ["topic", "sentiment"]}, "tasks[1]"),
        ({"text": "a.", "summary_sentences": "three"}, "summary_sentences"),
        ({"text": "a.", "summary_sentences": 0}, "summary_sentences"),
        ({"text": "a.", "id": 1.5}, "id"),
        ({"text": "a.", "summary_length": 3}, "unknown article fields ['summary_length']"),
        ({"text": "a.", "min_topic_score": 1.5}, "min_topic_score must be a number from 0 to 1"),
        ({"text": "a.", "min_topic_score": "high"}, "min_topic_score must be a number from 0 to 1"),
        ("just a string", "the body is a string"),
        (42, "the body is a number"),
        ([], "empty"),
        ([{"text": "ok."}, "not an object"], "article 1"),
    ],
)
def test_wrong_types_are_422_with_a_readable_message(client, body, fragment):
    assert_error(post(client, body), 422, "invalid_request", fragment)


def test_an_empty_task_list_is_refused(client):
    assert_error(post(client, {"text": "a b c.", "tasks": []}), 422, "invalid_request", "empty task list")


def test_an_article_that_cannot_be_analyzed_is_422_naming_it(client):
    response = post(client, [ARTICLE, {"text": "   ", "id": "blank"}])
    body = assert_error(response, 422, "invalid_article", "article 1", "empty")
    assert body["errors"] == [{"index": 1, "id": "blank", "message": body["errors"][0]["message"]}]


def test_errors_never_leak_a_stack_trace(client):
    for response in (post(client, {"text": 5}), post(client, {"text": " "}), client.post(
            "/api/v1/analyze", content=b"{", headers={"content-type": "application/json"})):
        assert "Traceback" not in response.text


# ---------------------------------------------------------------------------------------- concurrency
def test_many_parallel_clients_each_get_their_own_answer(server):
    """24 clients at once, each with its own article: every answer belongs to its request."""

    def article(n: int) -> dict:
        sentences = " ".join(f"Sentence {k} of story {n} mentions item {n * 100 + k}." for k in range(4))
        return {"id": f"story-{n}", "title": f"Story number {n}", "text": sentences,
                "targets": [f"Claim about story {n}"]}

    def call(n: int) -> tuple[int, dict]:
        with httpx.Client(base_url=server.url, timeout=120) as session:
            response = session.post("/api/v1/analyze", json=[article(n), article(n + 1000)])
            assert response.status_code == 200, response.text
            return n, response.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(call, range(24)))
    for n, results in answers:
        assert [r["id"] for r in results] == [f"story-{n}", f"story-{n + 1000}"]
        for result, number in zip(results, (n, n + 1000)):
            assert result["stances"][0]["target"] == f"Claim about story {number}"
            assert all(f"story {number} " in s["text"] for s in result["summary"]["sentences"])


def test_one_log_line_per_request(server, client):
    before = len(server.log().splitlines())
    assert post(client, {**ARTICLE, "id": "logged"}).status_code == 200
    assert post(client, {"text": 5}).status_code == 422
    assert client.get("/healthz?probe=1").status_code == 200
    time.sleep(0.3)  # a line is written once its response has been sent
    lines = server.log().splitlines()[before:]
    assert len([line for line in lines if "presslens.demo.requests" in line]) == 3
    assert any('"POST /api/v1/analyze" 200 articles=1 ' in line for line in lines)
    assert any('"POST /api/v1/analyze" 422 ' in line for line in lines)
    assert any('"GET /healthz?probe=1" 200 ' in line for line in lines)


# ------------------------------------------------------------------------ a full queue; SIGTERM stop
def test_full_queue_is_503_with_retry_after_and_sigterm_stops_cleanly(tiny_checkpoint, tmp_path):
    """Queue of one article. A request whose body has not arrived (a client that sent only its headers) is
    on its way, so a model call about to start waits for it (up to --max-wait, 30 s here): the first
    request stays queued, and a second one finds the queue full."""
    import signal
    import socket

    args = _limit_args({"max_articles": 1}, queue=1) + ["--max-wait", "30"]
    process = ServerProcess(tiny_checkpoint, args=args, log_path=tmp_path / "server.log").start()
    stalled = socket.create_connection(("127.0.0.1", process.port))
    try:
        stalled.sendall(b"POST /api/v1/analyze HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000\r\n\r\n")
        time.sleep(0.5)  # its handler is reading the body now
        first: dict = {}

        def slow_request():
            with httpx.Client(base_url=process.url, timeout=60) as session:
                first["response"] = session.post("/api/v1/analyze", json=ARTICLE)

        worker = threading.Thread(target=slow_request)
        worker.start()
        deadline = time.monotonic() + 10
        busy = None
        with httpx.Client(base_url=process.url, timeout=60) as session:
            while time.monotonic() < deadline:  # until the first request is queued
                if session.get("/healthz").json()["queue"]["pending_articles"] == 1:
                    busy = post(session, ARTICLE)
                    break
                time.sleep(0.01)
        assert busy is not None, "the first request never reached the queue"
        body = assert_error(busy, 503, "busy", "Retry-After")
        assert int(busy.headers["retry-after"]) >= 1
        assert body["message"]
        # SIGTERM while the first request waits in the queue: it is answered at once with 503 JSON and a
        # Retry-After (the server is going away), then the server exits 0.
        process.process.send_signal(signal.SIGTERM)
        worker.join(30)
        assert_error(first["response"], 503, "busy", "shutting down")
        assert int(first["response"].headers["retry-after"]) >= 1
        stalled.close()
        code = process.stop()
        assert code == 0, process.log()
        assert "batch worker joined" in process.log()
    finally:
        stalled.close()
        process.kill()


# ----------------------------------------------------------------------------------- `presslens serve`
def test_presslens_serve_starts_answers_and_stops_on_sigterm(tiny_checkpoint, tmp_path):
    process = ServerProcess(tiny_checkpoint, args=["--precision", "fp32"], cli=True,
                            log_path=tmp_path / "serve.log").start()
    try:
        with httpx.Client(base_url=process.url, timeout=60) as session:
            assert post(session, ARTICLE).json()["model"]["name"] == "presslens-tiny-test"
        assert process.stop() == 0, process.log()
        assert '"POST /api/v1/analyze" 200 articles=1' in process.log()
    finally:
        process.kill()


def test_presslens_serve_says_when_the_port_is_taken(tiny_checkpoint):
    import socket

    from click.testing import CliRunner

    from classifier.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port), "--model", str(tiny_checkpoint)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output and "--port" in result.output


# ------------------------------------------------------------------------ issue 21: per-article answers
GERMAN_PAGE = __import__("pathlib").Path(__file__).parent / "pages" / "german_page.html"


def test_an_article_that_cannot_be_read_gets_its_error_in_place_and_the_others_are_analyzed(client):
    """Before: one article that the schema allows but that cannot be analyzed (nothing left after reading,
    a language not asked for) failed the whole list with 422."""
    german = {"id": "de", "text": GERMAN_PAGE.read_text(encoding="utf-8"), "languages": ["en"]}
    response = post(client, [{**ARTICLE, "id": "a"}, {"id": "empty-page", "text": "<html><body><script>x</script></body></html>"}, german,
                             {**ARTICLE, "id": "b"}])
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["id"] for r in results] == ["a", "empty-page", "de", "b"]
    assert "topic" in results[0] and "topic" in results[3]
    for result in results[1:3]:
        assert set(result) == {"id", "error", "message"} and result["error"] == "invalid_article", result
    assert "German (de)" in results[2]["message"]
    # One article sent alone: its error is the answer (422), as before.
    assert_error(post(client, {"text": "%PDF-1.4 binary"}), 422, "invalid_article", "PDF")


def test_a_list_refused_by_the_schema_says_which_article_and_why(client):
    # 5,001 characters of raw text is within the raw-input limit (the text limit applies after reading, to
    # each article in place), so only the unknown field breaks the schema
    response = post(client, [ARTICLE, {"id": "long", "text": "x" * 5_001}, {"id": 7, "text": "ok.", "colour": 1}])
    body = assert_error(response, 422, "invalid_request", "1 of 3 articles", "article 2 (id '7')",
                        "nothing was analyzed")
    assert [e["index"] for e in body["errors"]] == [2]


def test_the_unknown_field_message_lists_every_field(client):
    body = assert_error(post(client, {"text": "a.", "summary_length": 3}), 422, "invalid_request")
    for field in ("text", "title", "targets", "id", "tasks", "summary_sentences", "include_text", "languages"):
        assert field in body["message"].split("an article has ")[1], body["message"]


def test_the_language_warning_names_the_api_field(client):
    result = post(client, {"text": GERMAN_PAGE.read_text(encoding="utf-8")}).json()
    (warning,) = [w for w in result["warnings"] if "not English" in w]
    assert warning.endswith('(pass "languages": ["en"] to refuse such articles)'), warning
