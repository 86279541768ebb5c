"""Decoding real bytes (issue 21, items 1 and 4): a lying <meta charset> and UTF-16/UTF-32 input.

Before the fix: `base64`, `rot13`, `zlib`, `hex`, `uu`, `undefined` declared on a Windows-1252 page raised
LookupError/UnicodeError; `unicode_escape` let a lone surrogate through; `utf-16` declared on a Windows-1252
page turned it into garbage; UTF-32 with a BOM and UTF-16 without one were refused as binary.
"""

from __future__ import annotations

import codecs

import pytest

from classifier.errors import InputError
from classifier.reading import read_article
from classifier.reading.decode import decode

BODY = ("<p>Le caf\xe9 de la gare a rouvert ses portes lundi apr\xe8s huit mois de travaux.</p>"
        "<p>Les habitu\xe9s sont revenus d\xe8s sept heures du matin.</p>")


def cp1252_page(charset: str, body: str = BODY) -> bytes:
    return (f'<html><head><meta charset="{charset}"><title>Le caf\xe9 rouvre</title></head>'
            f"<body>{body}</body></html>").encode("cp1252")


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "hex", "uu", "undefined", "unicode_escape",
                                     "bz2", "quopri", "idna", "punycode", "mbcs", "utf-7", "raw_unicode_escape"])
def test_a_codec_that_is_not_a_text_encoding_is_ignored(charset):
    warnings: list[str] = []
    text = decode(cp1252_page(charset), warnings)
    assert "Le caf\xe9 de la gare" in text  # read as Windows-1252, like a browser does
    assert any(charset in w and "ignored" in w for w in warnings), warnings


def test_unicode_escape_never_lets_a_lone_surrogate_through():
    page = cp1252_page("unicode_escape", body=BODY + r"<p>Un \ud800 au milieu, puis la suite du texte.</p>")
    article = read_article(page)
    text = " ".join(article.sentences)
    assert "puis la suite du texte" in text  # the article is not cut at the escape
    assert not any("\ud800" <= ch <= "\udfff" for ch in text)


def test_lone_surrogates_in_a_str_are_replaced_with_a_warning():
    warnings: list[str] = []
    text = decode("Le caf\xe9 \ud800 de la gare a rouvert.", warnings)
    assert "\ud800" not in text and "\ufffd" in text
    assert any("invalid Unicode" in w for w in warnings), warnings


@pytest.mark.parametrize("padding", ["", " ", "\xd8\xe9", "\xdc\xe8 "])  # odd and even lengths, \xd8: a surrogate half
def test_utf16_declared_on_a_windows_1252_page_is_ignored_as_browsers_do(padding):
    warnings: list[str] = []
    text = decode(cp1252_page("utf-16", body=BODY + f"<p>{padding}</p>"), warnings)
    assert "Le caf\xe9 de la gare" in text
    assert not any("utf-16" in w.lower() and "decoded it as" in w for w in warnings), warnings


@pytest.mark.parametrize("label, python", [("shift_jis", "shift_jis"), ("euc-jp", "euc_jp"), ("koi8-r", "koi8_r"),
                                           ("windows-1251", "cp1251"), ("gb2312", "gb18030"), ("ISO-8859-1", "cp1252")])
def test_a_real_declared_encoding_is_still_used(label, python):
    body = {"shift_jis": "東京の駅が月曜日に再開した。", "euc-jp": "大阪の図書館が新しくなった。",
            "koi8-r": "Библиотека снова открыта.", "windows-1251": "Вокзал открылся в понедельник.",
            "gb2312": "图书馆在星期一重新开放。", "ISO-8859-1": "Le caf\xe9 \u20ac rouvre."}[label]
    page = f'<html><head><meta http-equiv="content-type" content="text/html; charset={label}"></head><body><p>{body}</p></body></html>'
    warnings: list[str] = []
    assert body in decode(page.encode(python), warnings)
    assert any("declares" in w for w in warnings), warnings


def test_a_declared_encoding_that_yields_control_characters_is_not_believed():
    # cp437 is not on the WHATWG list; ibm866 is: declared on a Windows-1252 page of accented letters, it
    # decodes them as Cyrillic, which the gate cannot tell apart. A declaration that yields C1 controls can be.
    page = cp1252_page("iso-8859-2", body="<p>Caf\xe9 \u201cquoted\u201d \u2026 and \u2013 dashes, " * 30 + "</p>")
    warnings: list[str] = []
    text = decode(page, warnings)
    assert "\u201cquoted\u201d" in text  # Windows-1252, not ISO-8859-2's C1 controls
    assert any("iso-8859-2" in w and "ignored" in w for w in warnings), warnings


# ------------------------------------------------------------------------------------------ item 4
ARTICLE = ("Trains across the south stood still for a second day on Wednesday.\n\n"
           "The drivers' union said 94 percent of its members had walked out; caf\xe9s near the station were empty.\n")


@pytest.mark.parametrize("codec, bom", [("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE),
                                        ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_utf32_and_utf16_with_a_bom_decode(codec, bom):
    assert decode(bom + ARTICLE.encode(codec), []) == ARTICLE


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_bom_decode_with_a_warning(codec):
    warnings: list[str] = []
    assert decode(ARTICLE.encode(codec), warnings) == ARTICLE
    assert any(codec in w for w in warnings), warnings


def test_utf16_article_through_the_whole_reading():
    article = read_article(("Rail strike enters second day\n\n" + ARTICLE).encode("utf-16-le"))
    assert article.title == "Rail strike enters second day"
    assert any("94 percent" in s for s in article.sentences)


def test_binary_with_nul_bytes_is_still_refused():
    import random

    rng = random.Random(1)
    data = bytes(rng.choice([0, 0, 0, rng.randrange(256)]) for _ in range(4000))
    with pytest.raises(InputError, match="not text"):
        decode(data, [])
