"""Reading real-looking web pages (written for these tests in tests/pages/): main text, headline, metadata,
language, non-article sentences, binary junk and listing pages."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from classifier.errors import InputError
from classifier.reading import read_article
from classifier.reading.extract import _clean_title
from classifier.reading.sentences import not_article

PAGES = Path(__file__).parent / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_article_inside_a_form_is_read():
    article = read_article(page("article_in_form.html"))
    assert article.title == "Ferry operator adds winter crossings"
    assert article.sentences[0].startswith("The ferry operator serving the northern islands")
    assert article.sentences[-1].endswith("keep the timetable next year.")
    assert len(article.sentences) == 5
    text = " ".join(article.sentences)
    for chrome in ("Skip to main content", "Home", "Search"):
        assert chrome not in text


def test_page_without_h1_takes_its_title_without_the_site_name_and_its_metadata():
    article = read_article(page("no_h1.html"))
    assert article.title == "Council freezes parking charges for a year"
    assert (article.date, article.author, article.site) == ("2024-03-05", "Mara Quill", "Harbour Gazette")
    assert article.language == "en"
    text = " ".join(article.sentences)
    for gone in ("By Mara Quill", "Updated 9:30", "Photo:", "Read more", "Share this"):
        assert gone not in text
    assert article.sentences[0].startswith("Parking charges in the town centre")
    assert len(article.sentences) == 5


def test_non_english_page_is_identified_with_a_warning():
    article = read_article(page("german_page.html"))
    assert article.language == "de"
    assert article.title == "Stadtrat beschließt neuen Fahrplan für die Fähre"
    assert any("German (de), not English" in w for w in article.warnings)
    assert not any("not English" in w for w in read_article(page("no_h1.html")).warnings)


def test_listing_page_gets_a_warning_and_an_article_does_not():
    assert any("listing or home page" in w for w in read_article(page("listing_page.html")).warnings)
    for name in ("article_in_form.html", "no_h1.html", "german_page.html"):
        assert not any("listing" in w for w in read_article(page(name)).warnings)


def test_plain_text_list_of_headlines_is_a_listing():
    lines = "\n".join(f"Story {i} about the harbour wall" for i in range(12))
    assert any("listing" in w for w in read_article(lines).warnings)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\nThe mayor resigned today.", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
        (b"PK\x03\x04" + b"word/document.xml" * 20, "ZIP"),
        ("%PDF-1.4 a PDF pasted as text", "PDF"),
    ],
)
def test_binary_files_are_refused_by_kind(raw, kind):
    with pytest.raises(InputError, match=kind):
        read_article(raw)


def test_random_bytes_are_not_text():
    junk = random.Random(8).randbytes(20_000)
    with pytest.raises(InputError, match="not text"):
        read_article(junk)


def test_a_few_bad_bytes_in_real_text_are_only_a_warning():
    raw = ("The council met on Tuesday. " * 20).encode() + b"\xff\xfe" + b" Prices rose."
    article = read_article(raw)
    assert any("not valid UTF-8" in w for w in article.warnings)


def test_given_title_always_wins_over_the_page():
    article = read_article(page("no_h1.html"), title="My own headline")
    assert article.title == "My own headline"


def test_chrome_is_never_the_headline():
    markup = ("<html><head><title>Home</title></head><body><a href='#c'>Skip to main content</a>"
              "<p>The harbour wall was repaired over the summer by a team of twelve builders from the town.</p>"
              "<p>It had been damaged in a storm two winters ago, when waves broke over the road.</p></body></html>")
    article = read_article(markup)
    assert article.title is None
    assert all("Skip to" not in s for s in article.sentences)


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Rates held at 5% | Money Daily", None, "Rates held at 5%"),
        ("Money Daily - Rates held at 5% as inflation slows", "Money Daily", "Rates held at 5% as inflation slows"),
        ("Rates held at 5% - Markets - Money Daily", None, "Rates held at 5%"),
        ("Opinion | The harbour needs a new wall", None, "The harbour needs a new wall"),
        ("Chapter 6 - Monitoring Distributed Systems", None, "Chapter 6 - Monitoring Distributed Systems"),
        ("新电脑已可利用记忆自学 人工智能迈上新台阶_科技_腾讯网", None, "新电脑已可利用记忆自学 人工智能迈上新台阶"),
        ("A headline with no site name", "Money Daily", "A headline with no site name"),
        # The forms found on real pages (issue 19): a domain and a section glued to a hyphen, a section in
        # hyphens, "Site: Headline", leading and trailing dates, a permalink mark.
        ("edmontonsun.com - Music- Band plays its last show at the old hall", None,
         "Band plays its last show at the old hall"),
        ("Monsoon arrives early in the south -India Buzz-", None, "Monsoon arrives early in the south"),
        ("Money Daily: Rates held at 5% as inflation slows", "Money Daily", "Rates held at 5% as inflation slows"),
        ("Trump: I will not sign the bill", None, "Trump: I will not sign the bill"),
        ("March 5, 2024 - Rates held at 5% as inflation slows", None, "Rates held at 5% as inflation slows"),
        ("Rates held at 5% as inflation slows (2024-03-05)", None, "Rates held at 5% as inflation slows"),
        ("Rates held at 5% as inflation slows | 05.03.2024 | Money Daily", None,
         "Rates held at 5% as inflation slows"),
        ("Evolve: Shared Mutable History\u00b6", None, "Evolve: Shared Mutable History"),
        ("The 2024 budget in ten charts", None, "The 2024 budget in ten charts"),
        # old (2008) page titles: a site named after the headline, a spaced colon, sections first, a domain
        ("Harbour wall repaired (from Harbour Times)", None, "Harbour wall repaired"),
        ("Harbour wall repaired after two winters on HarbourSports.com", None, "Harbour wall repaired after two winters"),
        ("The Harbour : Sport / Sailing : Harbour wall repaired after two winters", None,
         "Harbour wall repaired after two winters"),
        ("Channel 9 - News - Harbour wall repaired after two winters", None, "Harbour wall repaired after two winters"),
        ("WHBR.com, Harbour News and Weather - Harbour wall repaired", None, "Harbour wall repaired"),
    ],
)
def test_site_name_tails_are_cut_from_page_titles(title, site, expected):
    assert _clean_title(title, site) == expected


def test_a_generic_site_or_section_name_is_not_the_headline():
    """og:title "The Times" (the site's name) on a page whose <title> has the headline."""
    markup = ("<html><head><title>Harbour wall repaired after two winters | The Times</title>"
              "<meta property='og:title' content='The Times'></head><body><h2>People today</h2>"
              "<p>The harbour wall was repaired over the summer by a team of twelve builders from the town.</p>"
              "<p>It had been damaged in a storm two winters ago, when waves broke over the road.</p></body></html>")
    assert read_article(markup).title == "Harbour wall repaired after two winters"


def test_an_h1_that_is_page_furniture_is_never_the_headline():
    markup = ("<html><head><title>Harbour wall repaired after two winters</title></head><body>"
              "<p>The harbour wall was repaired over the summer by a team of twelve builders from the town.</p>"
              "<p>It had been damaged in a storm two winters ago, when waves broke over the road.</p>"
              "<h1>Talkback - Add your opinion</h1><form><textarea></textarea></form></body></html>")
    assert read_article(markup).title == "Harbour wall repaired after two winters"
    without_title = markup.replace("<title>Harbour wall repaired after two winters</title>", "")
    assert read_article(without_title).title is None


@pytest.mark.parametrize(
    "sentence",
    [
        "WASHINGTON \u2014",
        "LONDON, March 5 (Reuters) -",
        "Reporting by Jane Doe; Editing by Li Wei",
        "By Jane Doe",
        "Photo: Getty Images",
        "The mayor at the harbour on Monday (AP Photo/Tom Reed)",
        "(Photo by Tom Reed/Getty Images)",
        "Updated 9:30 AM GMT, March 5, 2024",
        "5 hours ago",
        "March 5, 2024",
        "Read more",
        "Share this article",
        "WHAT HAPPENS NEXT",
        # page furniture on old and new pages (issue 19)
        "Copyright \u00a9 2003-2008 Harbour News. All Rights Reserved.",
        "Home | News Archives | Browse | Feedback | About us",
        "E-mail this article to a friend Printable version",
        "Category: World (Politics)",
        "This material may not be published, broadcast, rewritten or redistributed.",
        "[Contact Us][Feedback][Privacy][Advertise]",
        "Please read our Terms and Conditions and Privacy Statement before using this site.",
    ],
)
def test_non_article_sentences(sentence):
    assert not_article(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "By Tuesday, the floods had receded.",
        "The photo was taken by a tourist on Monday.",
        "Shares rose 3% - Reuters reported on Monday.",
        "The vote is on March 5.",
        "WASHINGTON \u2014 The Senate passed the bill on Friday.",
        "The agency told Reuters it would act.",
        "Das Thema wird seit Jahren diskutiert: Die elektronische Patientenakte (ePA)",
        "US officials said the talks failed.",
        "POISON.",
        "Facebook said the application had broken its terms of service.",
        "The copyright case is to be heard in May.",
        "She sent the article to her editor, who printed it.",
    ],
)
def test_article_sentences_are_kept(sentence):
    assert not_article(sentence) is None


def test_headline_repeated_as_a_sentence_is_left_out():
    article = read_article("Harbour wall repaired\n\nHarbour wall repaired.\n\nThe wall was fixed in June.",
                           title="Harbour wall repaired")
    assert article.sentences == ("The wall was fixed in June.",)


@pytest.mark.parametrize(
    ("charset", "body", "language"),
    [
        ("gb2312", "市议会周二晚上通过了前往北部岛屿的渡轮新时刻表。从十二月起，每天将增加两班渡轮。岛上的商店和学校都表示欢迎。", "zh"),
        ("shift_jis", "市議会は火曜日の夜、北部の島々へのフェリーの新しい時刻表を承認した。十二月から毎日二便が増える。", "ja"),
        ("iso-8859-1", "Der Stadtrat hat am Dienstag einen neuen Fahrplan für die Fähre beschlossen. Ab Dezember gibt es "
                       "jeden Tag zwei zusätzliche Überfahrten, und die Geschäfte auf den Inseln freuen sich.", "de"),
    ],
)
def test_page_in_its_declared_encoding_is_decoded_with_it(charset, body, language):
    markup = f'<html><head><meta charset="{charset}"><title>x</title></head><body><p>{body}</p></body></html>'
    article = read_article(markup.encode(charset))
    assert article.sentences and "".join(article.sentences).replace(" ", "") == body.replace(" ", "")
    assert article.language == language
    assert any("the encoding the page declares" in w or "cp1252" in w for w in article.warnings)


def test_table_layout_page_cells_are_blocks_and_navigation_and_byline_cells_are_not_sentences():
    """Before: one row held headline, byline, date and menu glued with " | " into one 'sentence'."""
    article = read_article(page("table_layout.html"))
    assert article.title == "Village school to close after 140 years"
    assert len(article.sentences) == 4
    assert article.sentences[0].startswith("The county council has decided")
    assert not any("|" in s or "By Tom Reed" in s or "Home" in s or "2008" in s for s in article.sentences)
    assert any("table cell" in w for w in article.warnings)


# ---------------------------------------------------- HTML read whole, as browsers read it (issue 21)
PARAGRAPH = "Paragraph number {n} of the story has a few words in it and ends here."


def _count(article) -> int:
    return " ".join(article.sentences).count("Paragraph number")


@pytest.mark.parametrize("depth", [254, 300, 3_000])
def test_text_nested_deeper_than_256_elements_is_read(depth):
    """Before: text nested deeper than about 253 elements was dropped, and the rest of the page with it."""
    markup = ("<html><body>" + "<div>" * depth + "<p>" + PARAGRAPH.format(n=0) + "</p>" + "</div>" * depth
              + "".join(f"<p>{PARAGRAPH.format(n=n)}</p>" for n in range(1, 6)) + "</body></html>")
    assert _count(read_article(markup)) == 6


@pytest.mark.parametrize(("tag", "closed"), [("span", ""), ("font", ""), ("div", ""), ("b", "</b>")])
def test_sloppy_old_html_with_an_unclosed_tag_in_every_paragraph_is_read_whole(tag, closed):
    """Before: an unclosed <span>/<font> in each of 300 paragraphs kept 127 of them, unclosed <div>s kept 4."""
    markup = "<html><body>" + "".join(f"<p><{tag}>{PARAGRAPH.format(n=n)}{closed}" for n in range(300)) + "</body></html>"
    article = read_article(markup)
    assert _count(article) == 300
    assert not any("kept the main text" in w for w in article.warnings)


def test_paragraphs_after_the_end_of_html_are_read():
    markup = ("<html><body>" + "".join(f"<p>{PARAGRAPH.format(n=n)}</p>" for n in range(10)) + "</body></html>"
              + "".join(f"<p>{PARAGRAPH.format(n=n)}</p>" for n in range(10, 40)))
    assert _count(read_article(markup)) == 40


def test_the_kept_characters_warning_counts_all_the_text_of_the_page():
    """Before: measured against the parsed tree, which had lost the text, so 60% lost read as 'kept 99%'."""
    menu = "".join(f"<li><a href='/{n}'>Section link number {n}</a></li>" for n in range(60))
    markup = (f"<html><body><ul>{menu}</ul>" + "<div>" * 300 + "".join(f"<p>{PARAGRAPH.format(n=n)}</p>" for n in range(20))
              + "</div>" * 300 + "</body></html>")
    article = read_article(markup)
    (note,) = [w for w in article.warnings if "kept the main text" in w]
    kept, total = (int(n.replace(",", "")) for n in re.findall(r"\((\S+) of (\S+) characters", note)[0])
    assert total >= 1.5 * kept  # the 60 menu links count, as a reader sees them
    assert _count(article) == 20


@pytest.mark.parametrize("marker", ["E-mail this article to a friend", "E-mail this to a friend", "Back to headlines",
                                    "Today's Most-Read Articles"])
def test_what_follows_the_end_of_the_article_on_a_page_is_left_out(marker):
    """An old page whose footer the extractor keeps: share line, copyright, more stories (issue 19)."""
    story = "".join(f"<p>The harbour wall was repaired over the summer by builder number {i} from the town, "
                    f"after waves had broken over the road in a storm two winters ago.</p>" for i in range(8))
    tail = (f"<p>{marker}</p><p>Council votes to close the old pier</p>"
            "<p>New lifeboat arrives in the bay after a long wait for the crew.</p>")
    article = read_article(f"<html><body><div>{story}{tail}</div></body></html>")
    assert article.sentences[-1].startswith("The harbour wall was repaired over the summer by builder number 7")
    assert any("left out the end of the page after the article" in w for w in article.warnings)
    # Early in the text, a share line is only that line: the article goes on after it.
    early = read_article(f"<html><body><div><p>E-mail this article to a friend</p>{story}</div></body></html>")
    assert len(early.sentences) == 8


def test_the_heading_a_title_part_names_is_the_headline_however_long_the_site_parts():
    """"KHOU | Headline | SECTION | Breaking Houston News, Weather, Sports" on a page without og:title: the part
    that names one of the page's headings is the headline, the long site parts are not (issue 19)."""
    markup = ("<html><head><title>WHBR | Harbour wall repaired after two winters | LOCAL NEWS | Breaking Harbour "
              "News, Weather, Sports, Traffic and Tides</title></head><body>"
              "<div class='site-title'>Breaking Harbour News, Weather, Sports, Traffic and Tides</div>"
              "<div class='storyHeadline'>Harbour wall repaired after two winters</div>"
              "<p>The harbour wall was repaired over the summer by a team of twelve builders from the town.</p>"
              "<p>It had been damaged in a storm two winters ago, when waves broke over the road.</p></body></html>")
    assert read_article(markup).title == "Harbour wall repaired after two winters"


def test_a_title_never_closed_does_not_swallow_the_page():
    """Saved pages cut short or mangled: "<title>Harbour News<script ..." with no </title> (issue 19)."""
    markup = ("<html><head><title>Harbour News i library--><script src='x.js'></script></head><body>"
              "<p>The harbour wall was repaired over the summer by a team of twelve builders from the town.</p>"
              "<p>It had been damaged in a storm two winters ago, when waves broke over the road.</p></body></html>")
    article = read_article(markup)
    assert article.sentences[0].startswith("The harbour wall was repaired")
    assert len(article.sentences) == 2


def test_a_headline_glued_to_the_first_sentence_is_not_part_of_it():
    """Old layouts put the headline and the lead in one block: "Mapping dark matter Astronomers have ..."."""
    markup = ("<html><head><title>Harbour wall repaired</title></head><body><div>"
              "<p><b>Harbour wall repaired</b> The harbour wall was repaired over the summer by twelve builders.</p>"
              "<p>Harbour wall repaired walls are rare, the builders said of their work on the old pier.</p>"
              "</div></body></html>")
    article = read_article(markup)
    assert article.sentences[0] == "The harbour wall was repaired over the summer by twelve builders."
    assert article.sentences[1].startswith("Harbour wall repaired walls are rare")  # goes on in lower case: kept


_HARBOUR_STORY = ("<p>The harbour wall at Eastcombe was repaired over the summer by a team of twelve builders from the "
                  "town, the council said on Monday.</p><p>It had been damaged in a storm two winters ago, when waves "
                  "broke over the road and flooded the cafes along the front.</p>")


@pytest.mark.parametrize("head", ["<title>Eastcombe Evening Courier</title>", "", "<title>Local News Wire</title>"])
def test_a_title_that_is_the_site_name_gives_way_to_the_headline_above_the_article(head):
    """Old pages whose <title> is only the site's name (or that have none) show the headline as a plain line
    just above the article, with a date and "Print | E-mail" between: that line, which shares words with the
    article's lead, is the headline; the menu above it is not (issue 19)."""
    markup = (f"<html><head>{head}</head><body><div id='top'><a href='/'>Home</a> <a href='/s'>Sport</a> "
              "<a href='/n'>Harbour news</a></div><div id='main'><div class='big'>Harbour wall repaired after two "
              "winters</div><div>Monday, 12 May 2008 <a href='#'>Print</a> | <a href='#'>E-mail</a></div>"
              f"<div>{_HARBOUR_STORY}</div></div></body></html>")
    assert read_article(markup).title == "Harbour wall repaired after two winters"


def test_a_headline_that_shares_no_word_with_the_lead_is_kept_when_it_is_the_h1():
    """A feature headline ("Stone and sea") shares no word with the lead: kept as the page's <h1>, never
    replaced by a nearby line that happens to share words with it."""
    markup = ("<html><head><title>Stone and sea | Eastcombe Evening Courier</title></head><body>"
              "<h1>Stone and sea</h1><p class='kicker'>Harbour wall works</p>" + _HARBOUR_STORY + "</body></html>")
    assert read_article(markup).title == "Stone and sea"


def test_normal_mode_wins_when_precision_mode_read_another_part_of_the_page():
    """Precision mode's text normally lies inside normal mode's; an author box or a disclaimer under a short
    post that normal mode does not have means precision mode read the wrong part of the page."""
    from classifier.reading.extract import normal_mode_wins

    box = ["Jo Marsh writes about money for the Courier and has covered the markets for over a decade now."]
    post = ["Shares in Eastcombe Foods fell by a tenth on Monday after the firm said sales had slowed in spring.",
            "The company blamed the wet weather and a price war among the town's three largest supermarkets."]
    assert normal_mode_wins(box, post) == "elsewhere"
    assert normal_mode_wins(post[:1], post) is None  # the same text, a little more of it: precision kept
    # A short post of lines that are not prose: precision mode's is kept against an author box elsewhere.
    assert normal_mode_wins(["Food as sculpture", "via a design blog"], box) is None


def test_the_line_above_the_article_is_never_an_image_caption_or_a_link_to_another_story():
    """Between the headline and the article old pages put a photo and its caption, or "Related: <link>": both
    share words with the lead, neither is the headline."""
    markup = ("<html><head></head><body><div id='main'><div class='sh'>Harbour wall repaired after two winters</div>"
              "<div><img src='wall.jpg'><div class='cap'>Twelve builders from the town worked on the wall</div></div>"
              "<div>Related: <a href='/s/2'>Eastcombe harbour wall to be repaired by the council</a></div>"
              f"<div>{_HARBOUR_STORY}</div></div></body></html>")
    assert read_article(markup).title == "Harbour wall repaired after two winters"


@pytest.mark.parametrize("title", [
    "Eastcombe Evening Courier Online, News and Sport - Harbour wall repaired after two winters",
    "Harbour wall repaired after two winters: Local: Eastcombe Courier",
])
def test_of_a_title_s_parts_the_one_the_lead_names_is_the_headline_however_long_the_site_part(title):
    """A site part longer than the headline ("Eastcombe Evening Courier Online, News and Sport - Headline"): the
    part that shares words with the article's lead, when no other part does, is the headline."""
    markup = f"<html><head><title>{title}</title></head><body><div>{_HARBOUR_STORY}</div></body></html>"
    assert read_article(markup).title == "Harbour wall repaired after two winters"


def test_a_leading_date_with_its_weekday_is_cut_from_a_title():
    assert _clean_title("Wednesday, 09 January 2008 Harbour wall repaired", None) == "Harbour wall repaired"


def test_a_headline_glued_to_the_article_s_first_block_by_a_table_layout_is_found():
    """Old table layouts put the headline, the byline and the first paragraph in one cell: the headline's own
    element among the block's first pieces, sharing words with the rest of the block, is the headline; a
    row of menu links above it is not the article's first paragraph."""
    markup = ("<html><head><title>Coastline Daily Online</title></head><body><table><tr><td>"
              "<a href='/'>Home</a> | <a href='/n'>News and views of the town</a> | <a href='/s'>Sport</a> | "
              "<a href='/w'>Weather and tides for the whole week ahead</a></td></tr><tr><td>"
              "<span class='headingstory'>Harbour wall repaired after two winters</span> By JO MARSH Staff Writer "
              "The harbour wall at Eastcombe was repaired over the summer by a team of twelve builders from the "
              "town, the council said on Monday. It had been damaged in a storm two winters ago.</td></tr>"
              "</table></body></html>")
    article = read_article(markup)
    assert article.title == "Harbour wall repaired after two winters"


def test_a_page_that_names_its_headline_in_og_title_is_believed():
    """The lead-based rules are for pages that do not say what their headline is: og:title does."""
    markup = ("<html><head><meta property='og:title' content='Stone and sea'><title>Stone and sea | Courier"
              "</title></head><body><div class='big'>Harbour wall repaired after two winters</div>"
              f"<div>{_HARBOUR_STORY}</div></body></html>")
    assert read_article(markup).title == "Stone and sea"
