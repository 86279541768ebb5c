"""Reading plain text (and small HTML pages): cleaning and sentence segmentation on messy, real-looking web text."""

from __future__ import annotations

import pytest

from classifier.errors import InputError
from classifier.reading import looks_like_html, read_article as clean_article
from classifier.reading.clean import is_boilerplate
from classifier.reading.decode import decode_bytes
from classifier.reading.sentences import split_sentences

WEB_ARTICLE = """Flood defences fail as river bursts  its banks


Emergency crews evacuated 300 homes in the town of Hebden on Monday after the river rose 3.5 metres in
six hours, the Environment Agency said.

"We have never seen water come up this fast," said Dr. Helen Marsh, who leads the agency's team in
the U.S. and the U.K. She said the cost could reach $12.75 million.

More news: Council tax to rise by 4% next year
More news: Local team wins cup final
Share this article
Advertisement

The town's mayor , Tom Briggs , said the UN -backed relief fund would help ( he did not say when ).
We use cookies to improve your experience. By continuing to browse you agree.
Follow us on Twitter @hebdennews
"""


def test_messy_web_article_comes_out_clean():
    article = clean_article(WEB_ARTICLE)
    assert article.title == "Flood defences fail as river bursts its banks"
    text = " ".join(article.sentences)
    for gone in ("More news", "Share this", "Advertisement", "cookies", "Follow us"):
        assert gone not in text
    assert "UN-backed" in text
    assert "mayor, Tom Briggs, said" in text
    assert "(he did not say when)" in text
    # A hard-wrapped paragraph is joined, not cut at the line break.
    assert article.sentences[0] == (
        "Emergency crews evacuated 300 homes in the town of Hebden on Monday after the river rose 3.5 metres "
        "in six hours, the Environment Agency said."
    )
    assert article.sentences[1] == '"We have never seen water come up this fast," said Dr. Helen Marsh, who leads ' \
        "the agency's team in the U.S. and the U.K."
    assert article.sentences[2] == "She said the cost could reach $12.75 million."
    removed = [w for w in article.warnings if w.startswith("removed 6 boilerplate lines")]
    assert removed and '"More news: Council tax to rise by 4% next year"' in removed[0]


def test_shared_messy_example(messy_example):
    article = clean_article(messy_example.read_bytes())
    assert article.title == "Led coalition conducts 'defensive' airstrikes against Syrian forces"
    text = " ".join(article.sentences)
    assert "More news" not in text
    assert "USA-backed" in text and "USA -backed" not in text
    assert any(w.startswith("removed 3 boilerplate lines") and "More news:" in w for w in article.warnings)
    assert article.sentences[-1].endswith("including oil fields in Khusham.")
    assert any(s.startswith("No U.S. special operations troops were hurt") for s in article.sentences)
    assert all("  " not in s and s == s.strip() for s in article.sentences)


def test_glued_footnote_number_is_removed_with_a_warning():
    article = clean_article("Headline here\n\nThey took back oil fields in Khusham.2\n\nTalks resume on Monday.")
    assert article.sentences == ("They took back oil fields in Khusham.", "Talks resume on Monday.")
    assert any("footnote" in w for w in article.warnings)
    # Numbers that belong to the text stay.
    kept = clean_article("Growth was 3.2 percent. The U.S.2 plan is new.").sentences
    assert kept == ("Growth was 3.2 percent.", "The U.S.2 plan is new.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The U.S. Navy said Dr. Smith arrived at 3 p.m. on Friday. He left later.", 2),
        ("Shares rose 3.5% to $12.75 in New York. Analysts were surprised.", 2),
        ('"We will win," he said. "They will lose." The crowd cheered.', 3),
        ("Mr. Obama met Gov. Brown in Calif. on Jan. 5. They discussed water.", 2),
        ("The vote is set for Sept. 30. Both parties agreed.", 2),
        ("\u201cThis is unacceptable,\u201d said Sen. John McCain, R-Ariz. He called for a vote.", 2),
        ("'Why now?' he asked. Nobody knew.", 2),
        ("It was Real Madrid vs. Barcelona. Madrid won 3-1.", 2),
    ],
)
def test_segmentation_copes_with_abbreviations_quotes_and_numbers(text, expected):
    assert len(split_sentences(text)) == expected


def test_opening_quote_stays_with_its_sentence():
    sentences = split_sentences('\u201cWe tried,\u201d the spokesman said. "We will try again."')
    assert sentences == ["\u201cWe tried,\u201d the spokesman said.", '"We will try again."']


@pytest.mark.parametrize(
    "text, first",
    [  # CNN's glued agency dateline, as CNN pages and the CNN/DailyMail data set carry it
        ("(CNN)U.S. Secretary of State John Kerry said Saturday that talks would go on. Iran faces a deadline.",
         "(CNN) U.S. Secretary of State John Kerry said Saturday that talks would go on."),
        ("Los Angeles (CNN)Gov. Jerry Brown ordered water cuts on Wednesday. The state is in its fourth dry year.",
         "Los Angeles (CNN) Gov. Jerry Brown ordered water cuts on Wednesday."),
        ('(CNN)"We are not done," the senator said on Monday. The vote is on Friday.',
         '(CNN) "We are not done," the senator said on Monday.'),
    ],
)
def test_glued_dateline_does_not_break_the_first_sentence(text, first):
    article = clean_article(text)
    assert article.sentences[0] == first
    assert len(article.sentences) == 2


def test_parenthesis_before_a_lower_case_word_is_left_alone():
    article = clean_article("Shares of Apple (AAPL) rose 3% on Monday. The f(x) curve was flat.")
    assert article.sentences == ("Shares of Apple (AAPL) rose 3% on Monday.", "The f(x) curve was flat.")


def test_paragraph_break_is_a_sentence_boundary():
    article = clean_article("Title of the story\n\nPrices rose sharply\n\nThe bank said nothing.")
    assert article.sentences == ("Prices rose sharply", "The bank said nothing.")


def test_html_page_keeps_blocks_and_drops_page_furniture():
    page = """<!DOCTYPE html><html><head><title>Storm floods towns | Example News</title>
    <style>p {color: red}</style><script>var s = "Not article text.";</script></head><body>
    <header><a href="/">Example News</a><nav><ul><li>World</li><li>Business</li></ul></nav></header>
    <article><header><h1>Storm floods  coastal towns</h1><p>By Jane Doe</p></header>
    <p>Heavy rain flooded dozens of towns on Tuesday, the U.S. weather service said. Damage was put
    at $3.5&nbsp;million.</p><figure><img src="a.jpg"><figcaption>Photo: Reuters</figcaption></figure>
    <p>"Never seen it," said Dr. Ann Lee.<br>More news: <a href="#">Dam breaks upstream</a></p>
    <div class="share">Share on Facebook</div><p>Residents left by 5 p.m.</p></article>
    <footer>&copy; 2024 Example News. All rights reserved.</footer></body></html>"""
    article = clean_article(page)
    assert article.title == "Storm floods coastal towns"
    assert article.sentences == (
        "Heavy rain flooded dozens of towns on Tuesday, the U.S. weather service said.",
        "Damage was put at $3.5 million.",
        '"Never seen it," said Dr. Ann Lee.',
        "Residents left by 5 p.m.",
    )
    assert not any("recall mode" in w or "found no main text" in w for w in article.warnings)  # normal mode: no fallback
    assert any(w.startswith("removed non-article HTML") for w in article.warnings)
    assert any("boilerplate" in w and "Dam breaks upstream" in w for w in article.warnings)


def test_html_without_h1_takes_the_page_title():
    page = "<html><head><title>Rates held at 5% | Money Daily</title></head><body><p>The central bank held " \
           "rates at 5%.</p><p>Markets rose.</p></body></html>"
    article = clean_article(page)
    assert article.title == "Rates held at 5%"
    assert article.sentences == ("The central bank held rates at 5%.", "Markets rose.")


def test_deeply_nested_html_does_not_hit_the_recursion_limit():
    page = "<div>" * 3000 + "<p>Deep text is here.</p><p>It is kept.</p>" + "</div>" * 3000
    assert clean_article(page).sentences == ("Deep text is here.", "It is kept.")


def test_prose_with_a_less_than_sign_is_not_html():
    article = clean_article("Inflation was < 2% last year. Rates were unchanged.")
    assert article.sentences == ("Inflation was < 2% last year.", "Rates were unchanged.")
    assert not looks_like_html("Use the <p> tag, he wrote.")
    assert looks_like_html("<p>One.</p><p>Two.</p>")


def test_given_title_is_used_and_a_repeated_first_line_dropped():
    article = clean_article("Dam Breaks Upstream\n\nThe dam broke at noon. Nobody was hurt.", title="Dam breaks upstream")
    assert article.title == "Dam breaks upstream"
    assert article.sentences == ("The dam broke at noon.", "Nobody was hurt.")
    assert any("headline repeated" in w for w in article.warnings)


def test_first_line_ending_like_a_sentence_is_not_a_headline():
    article = clean_article("The dam broke at noon.\n\nNobody was hurt.")
    assert article.title is None
    assert article.sentences == ("The dam broke at noon.", "Nobody was hurt.")


def test_first_line_of_a_hard_wrapped_paragraph_is_not_a_headline():
    text = "The central bank raised interest rates by half a point on\nTuesday, its third rise this year, and " \
           "said more\nrises could follow."
    article = clean_article(text)
    assert article.title is None
    assert article.sentences == (text.replace("\n", " "),)


def test_headline_directly_above_the_body():
    article = clean_article("Bank raises rates\nThe central bank raised interest rates by half a point on Tuesday.")
    assert article.title == "Bank raises rates"


def test_single_line_article_is_body_not_headline():
    article = clean_article("Markets rallied on Friday")
    assert article.title is None and article.sentences == ("Markets rallied on Friday",)


def test_cp1252_bytes_are_decoded_as_cp1252():
    raw = "Caf\u00e9 owners said prices rose \u2013 \u201csharply\u201d.".encode("cp1252")
    article = clean_article(raw)
    assert article.sentences == ("Caf\u00e9 owners said prices rose \u2013 \u201csharply\u201d.",)
    assert any("cp1252" in w for w in article.warnings)


def test_broken_utf8_gets_replacement_and_counts_bad_bytes():
    raw = "Z\u00fcrich said na\u00efve plans failed.".encode("utf-8") + b" Bad \xff\xfe bytes here."
    warnings: list[str] = []
    text = decode_bytes(raw, warnings)
    assert text == "Z\u00fcrich said na\u00efve plans failed. Bad \ufffd\ufffd bytes here."
    assert warnings == ["the text is not valid UTF-8: 2 bad bytes replaced with \ufffd"]


def test_utf8_bom_and_control_characters_are_removed():
    article = clean_article("\ufeffPrices\x07 rose\u00a0sharply\u200b.".encode("utf-8"))
    assert article.sentences == ("Prices rose sharply.",)


def test_mojibake_is_repaired():
    article = clean_article("The mayor said it\u00e2\u20ac\u2122s over \u00e2\u20ac\u201d for now. Caf\u00c3\u00a9s reopen.")
    assert article.sentences == ("The mayor said it\u2019s over \u2014 for now.", "Caf\u00e9s reopen.")
    assert any("mis-decoded" in w for w in article.warnings)


def test_html_entities_in_plain_text_are_decoded():
    article = clean_article("Tom &amp; Jerry&#8217;s show returns. It airs &quot;soon&quot;.")
    assert article.sentences == ("Tom & Jerry\u2019s show returns.", 'It airs "soon".')


def test_unicode_is_nfc_normalised():
    decomposed = "Cafe\u0301 prices rose."
    assert clean_article(decomposed).sentences == ("Caf\u00e9 prices rose.",)


def test_repeated_paragraph_is_removed():
    body = "Officials said the talks will resume next week.\n\nPrices fell.\n\n" \
           "Officials said the talks will resume next week."
    article = clean_article(body)
    assert article.sentences == ("Officials said the talks will resume next week.", "Prices fell.")
    assert "removed 1 repeated paragraph" in article.warnings


@pytest.mark.parametrize(
    "line",
    [
        "More news: Two private Kenyan TV stations back on air",
        "Read more",
        "Related: Storm season ends",
        "RELATED ARTICLES",
        "SEE ALSO: The many looks of the Apple Watch",
        "Share on Facebook",
        "Facebook | Twitter | Email",
        "Subscribe to our newsletter",
        "Sign up for breaking news alerts",
        "Follow us on Twitter",
        "Advertisement",
        "Continue reading the main story",
        "Scroll down for video",
        "We use cookies to improve your experience.",
        "\u00a9 2024 Example News. All rights reserved.",
        "By Jane Doe and Li Wei | Reuters",
        "Published: 10:32 EST, 5 March 2015 | Updated: 11:11 EST, 5 March 2015",
        "pic.twitter.com/vpGmXKlB1o",
        "\u2014 Jane Roe (@janeroe) October 26, 2014",
    ],
)
def test_boilerplate_lines(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "More news outlets reported the story on Monday.",
        "Like me, many voters were angry.",
        "Video-sharing site YouTube said it would act.",
        "Watch makers reported record sales.",
        "Follow-up talks are planned for May.",
        "The cookies were used as evidence in court.",
        "By Tuesday, the floods had receded.",
        "Updated figures show 3 deaths.",
        "Other news organisations showed the meeting.",
        "Sign language interpreters were present.",
    ],
)
def test_real_sentences_are_not_boilerplate(line):
    assert not is_boilerplate(line)


@pytest.mark.parametrize("raw", ["", "   \n\t  ", b"", b"  \n "])
def test_empty_article_is_an_input_error(raw):
    with pytest.raises(InputError, match="empty"):
        clean_article(raw)


def test_article_of_only_boilerplate_is_an_input_error():
    with pytest.raises(InputError, match="nothing is left.*boilerplate"):
        clean_article("Advertisement\nShare on Facebook\nRead more")


def test_wrong_types_are_input_errors():
    with pytest.raises(InputError, match="str or bytes"):
        clean_article(42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="title must be a string"):
        clean_article("Some text here.", title=7)  # type: ignore[arg-type]
