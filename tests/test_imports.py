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


def test_plain_text_reads_without_the_html_stack(tiny_checkpoint):
    """bs4, lxml and trafilatura (~0.3-0.5 s of a cold start) are imported for HTML only."""
    analyze = (f"from classifier import Analyzer\n"
               f"a = Analyzer.from_pretrained({str(tiny_checkpoint)!r}, precision='fp32')\n"
               "a.analyze('{}', title='Rates rise')")
    plain = _modules_after(analyze.format("Rates rise again. The bank raised its rate on Tuesday."))
    assert not {"bs4", "lxml", "trafilatura"} & plain
    html = _modules_after(analyze.format("<html><body><p>Rates rise again. The bank raised its rate on "
                                         "Tuesday.</p></body></html>"))
    assert {"bs4", "lxml", "trafilatura"} <= html


def test_language_model_preloads_in_a_thread_once():
    out = subprocess.run([sys.executable, "-c", """
import threading
from classifier.reading import language
language.preload()
results = []
def identify():
    results.append(language.identify(["The central bank raised its main rate by a quarter point on Tuesday."], []))
threads = [threading.Thread(target=identify) for _ in range(4)]
for thread in threads: thread.start()
for thread in threads: thread.join()
for thread in threading.enumerate():
    if thread.name == "presslens-langid":
        thread.join()
first = language._identifier()
language.preload()  # loaded: starts no thread
print(results, first is language._identifier(), threading.active_count())
"""], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['en',", "'en',", "'en',", "'en']", "True", "1"]


def test_cli_start_up_collects_no_garbage_then_freezes_it(tiny_checkpoint):
    """`presslens analyze` loads with the cyclic GC off (~0.1-0.2 s less start-up), then turns it back on with
    what start-up made frozen; a process that has torch already is left alone."""
    script = (f"import gc\nfrom classifier.cli import _load_analyzer\n"
              f"_load_analyzer({str(tiny_checkpoint)!r}, batch_size=1, precision='fp32')\n"
              "print(gc.isenabled(), gc.get_freeze_count() > 1000)\n"
              "gc.unfreeze()\n"
              f"_load_analyzer({str(tiny_checkpoint)!r}, batch_size=1, precision='fp32')\n"
              "print(gc.isenabled(), gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True", "0"]
