"""What a command imports decides how fast it starts: --help loads no torch, analyze loads no transformers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from classifier.analyzer import DEFAULT_MODEL_DIR as DEFAULT_MODEL


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_cli_and_package_import_no_torch():
    modules = _modules_after("import classifier, classifier.cli, classifier.precision; from classifier import ArticleInput")
    assert "torch" not in modules and "transformers" not in modules


def test_analyzer_does_not_import_transformers(tiny_checkpoint):
    modules = _modules_after(
        f"from classifier import Analyzer\n"
        f"a = Analyzer.from_pretrained({str(tiny_checkpoint)!r}, precision='fp32')\n"
        f"a.analyze('Rates rise again. The bank raised its rate on Tuesday.', title='Rates rise')"
    )
    assert "torch" in modules
    assert "transformers" not in modules
    assert "torch._dynamo" not in modules  # over a second more (building on the meta device imports it)


@pytest.mark.slow
def test_default_model_loads_without_transformers():
    if not (DEFAULT_MODEL / "config.json").is_file():
        pytest.skip("no default model installed")
    for precision in ("fp32", "bf16", "int8"):
        modules = _modules_after("from classifier import Analyzer\n"
                                 f"Analyzer.from_pretrained(precision={precision!r}).analyze('A short article. It has two sentences.')")
        assert "transformers" not in modules and "torch._dynamo" not in modules
