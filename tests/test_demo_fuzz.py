"""Property-based test of the HTTP API against its own OpenAPI schema (schemathesis), on a real server.

Bounded: a fixed example budget per operation and mode (about a minute here). Both directions are checked:
bodies the schema allows never get a 5xx and every answer matches the documented responses (status,
content type, body schema); bodies the schema forbids (wrong types, extra fields, limits exceeded) are
refused with a 4xx (negative_data_rejection). Not checked: that every schema-valid body is accepted
(positive_data_acceptance), since an article can be valid JSON and still have nothing left to analyze
after cleaning (e.g. text "<p></p>"), or exceed the work budget in encoder windows: those are 422 by design.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("gradio")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance, negative_data_rejection, response_schema_conformance, status_code_conformance,
)

from demo.process import ServerProcess  # noqa: E402

EXAMPLES = 30  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


@pytest.fixture(scope="module")
def fuzz_server(tiny_checkpoint, tmp_path_factory):
    args = ["--precision", "fp32", "--max-chars", "2000", "--max-input-bytes", "4000", "--max-articles", "4", "--max-targets", "3",
            "--max-summary-sentences", "5", "--max-windows", "10000", "--max-wait", "0.0"]
    process = ServerProcess(tiny_checkpoint, args=args, log_path=tmp_path_factory.mktemp("fuzz") / "server.log")
    process.start()
    yield process
    assert process.stop() == 0, process.log()


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    loaded = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")
    loaded.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")
    return loaded


@pytest.mark.parametrize(("method", "path", "mode"), [
    ("POST", "/api/v1/analyze", "positive"),
    ("POST", "/api/v1/analyze", "negative"),
    ("GET", "/healthz", "positive"),  # it takes no input, so there is nothing to make invalid
])
def test_the_api_keeps_to_its_schema(api_schema, method, path, mode):
    strategy = api_schema[path][method].as_strategy(generation_mode=schemathesis.GenerationMode(mode))
    seen: list[int] = []

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def keeps_to_the_schema(case):
        seen.append(case.call_and_validate(checks=CHECKS, timeout=60).status_code)

    keeps_to_the_schema()
    assert seen  # examples really ran
    if method == "POST" and mode == "negative":
        assert all(400 <= status < 500 for status in seen), seen
