"""Stage 5 of reading: the article's language (ISO 639-1 code), and a warning when it is not English.

    language = identify(sentences, warnings)      # "en", "de", "zh", ... or None when the text is too short

py3langid (a maintained fork of langid.py: 97 languages, a 4.5 MB model inside the wheel, numpy only,
about 5 ms for an article's first 1,000 characters). The model was trained on English
text only, so a non-English article gets a warning; callers can refuse it (`languages`).

Loading py3langid's model takes ~0.5 s (it unpacks 68 MB of LZMA, outside the GIL), a quarter of a
`presslens analyze` cold start: `preload()` starts it in a background thread, so that it overlaps importing
torch and loading the encoder on a second core; `identify` then waits for it if it is not done yet.
"""

from __future__ import annotations

import threading

MODEL_LANGUAGE = "en"
SAMPLE_CHARS = 1_000  # the first sentences decide: plenty for a confident call (~5 ms), cheap on huge articles
MIN_LETTERS = 20  # fewer letters than this: too little to tell (no language, no warning)
MIN_CONFIDENCE = 0.8
REFUSE_OPTION = 'languages=["en"]'  # how the Python API refuses such articles; other surfaces name their own


def not_english(language: str, option: str | None = REFUSE_OPTION) -> str:
    """The warning for an article in another language; `option` is how the caller's surface refuses them
    (`--languages en` on the command line, '"languages": ["en"]' in the HTTP API; None: not said)."""
    hint = f" (pass {option} to refuse such articles)" if option else ""
    return (f"the article looks like {language_name(language)} ({language}), not English: the model reads "
            f"English only, so its labels and summary may mean little{hint}")


def identify(sentences: list[str] | tuple[str, ...], warnings: list[str]) -> str | None:
    """The language code of the sentences, or None when there is too little text to tell."""
    sample = _sample(sentences)
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return None
    if language != MODEL_LANGUAGE:
        warnings.append(not_english(language))
    return language


def _sample(sentences: list[str] | tuple[str, ...]) -> str:
    parts, size = [], 0
    for sentence in sentences:
        parts.append(sentence)
        size += len(sentence) + 1
        if size >= SAMPLE_CHARS:
            break
    return " ".join(parts)[:SAMPLE_CHARS]


_lock = threading.Lock()
_loaded = None
_preloading: threading.Thread | None = None
_start_lock = threading.Lock()  # not _lock: that one is held for the whole load, and preload must not wait


def preload() -> None:
    """Load the language model in a background thread, unless it is loaded or loading already (returns at
    once; the CLI calls it before importing torch, Analyzer.from_pretrained again)."""
    global _preloading
    with _start_lock:
        if _loaded is None and _preloading is None:
            _preloading = threading.Thread(target=_preload, daemon=True, name="presslens-langid")
            _preloading.start()


def _preload() -> None:
    try:
        _identifier()
    except Exception:  # noqa: BLE001 - the first identify() call loads it again and raises where it is seen
        pass


def _identifier():
    global _loaded
    with _lock:  # one load: a caller that comes while the thread loads waits for it
        if _loaded is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier  # numpy and the model: on first use

            _loaded = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _loaded


_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese", "en": "English",
}


def language_name(code: str) -> str:
    return _NAMES.get(code, code)
