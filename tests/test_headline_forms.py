"""Headline forms of real pages (issue 19), each with a minimal invented page: site or section names where the
headline should be, the site's parts glued to it in the <title> or the <h1>, and dates in the <h1>."""

from __future__ import annotations

import pytest

from classifier.reading import read_article
from classifier.reading.headline import clean_title

_STORY = ("<p>The harbour wall at Eastcombe was repaired over the summer by a team of twelve builders from the "
          "town, the council said on Monday.</p><p>It had been damaged in a storm two winters ago, when waves "
          "broke over the road and flooded the cafes along the front.</p>")
_HEADLINE = "Harbour wall repaired after two winters"


def _page(head: str, body: str) -> str:
    return f"<html><head>{head}</head><body>{body}<div id='story'>{_STORY}</div></body></html>"


@pytest.mark.parametrize("head", ["<title>Coastline Sports Wire</title>", "<title></title>", ""])
def test_a_marked_heading_that_shares_the_lead_beats_a_title_that_is_only_the_site(head):
    """<title> only the site's name (or empty), no <h1>: the heading marked as the story's headline, which
    shares words with the lead, is the headline."""
    body = f"<div class='storyHeadline'>{_HEADLINE}</div>"
    assert read_article(_page(head, body)).title == _HEADLINE


def test_an_h1_that_is_the_section_name_gives_way_to_the_marked_headline():
    """"coastline.com - Local Sports Wire" with <h1>Local Sports Wire</h1>: the section's name shares no word
    with the lead; the marked story headline does."""
    body = f"<h1>Local Sports Wire</h1><div class='story-title'>{_HEADLINE}</div>"
    assert read_article(_page("<title>coastline.com - Local Sports Wire</title>", body)).title == _HEADLINE


def test_a_feature_h1_that_shares_no_word_with_the_lead_is_kept_without_a_marked_headline():
    body = "<h1>Stone and sea</h1><p class='kicker'>Harbour wall works</p>"
    assert read_article(_page("<title>Stone and sea | Eastcombe Courier</title>", body)).title == "Stone and sea"


def test_a_site_name_in_the_article_s_dateline_is_still_not_the_headline():
    """"Coastline Wire" as the whole <title> shares two words with a lead that opens "EASTCOMBE (Coastline
    Wire) - ...": the marked heading, sharing far more of the lead, is the headline."""
    story = ("<div id='story'><p>EASTCOMBE (Coastline Wire) - The harbour wall was repaired over the summer "
             "by twelve builders after two winters of storms, the council said on Monday.</p><p>It had been "
             "damaged when waves broke over the road and flooded the cafes along the front.</p></div>")
    markup = (f"<html><head><title>Coastline Wire</title></head><body>"
              f"<div class='headline'>{_HEADLINE}</div>{story}</body></html>")
    assert read_article(markup).title == _HEADLINE


def test_a_short_headline_that_is_a_heading_is_not_replaced_by_its_deck():
    """A short headline ("Harbour wall mended", named by the <title>) above a deck that repeats the lead: the
    deck, sharing more of the lead, is not the headline."""
    body = ("<h2 class='headline'>Harbour wall mended</h2><div class='subtitle'>Harbour wall at Eastcombe repaired "
            "by twelve builders from the town</div>")
    assert read_article(_page("<title>Harbour wall mended | Eastcombe Courier</title>", body)).title \
        == "Harbour wall mended"


def test_a_date_in_the_h1_is_not_part_of_the_headline():
    body = f"<h1>Wednesday, 14 May 2008 {_HEADLINE}</h1>"
    markup = _page(f"<title>{_HEADLINE} - Local - Eastcombe Courier</title>", body)
    assert read_article(markup).title == _HEADLINE


def test_site_parts_copied_into_the_h1_are_cut():
    """"Eastcombe Courier | eastcombecourier.com | Headline" as the <h1>: the site's name and its domain."""
    body = f"<h1>Eastcombe Courier | eastcombecourier.com | {_HEADLINE}</h1>"
    markup = _page(f"<title>eastcombecourier.com | {_HEADLINE}</title>", body)
    assert read_article(markup).title == _HEADLINE


@pytest.mark.parametrize("title, expected", [
    ("The Eastcombe Business Line : Harbour wall repaired", "Harbour wall repaired"),  # a space before the colon
    ("Coupe du monde : la France gagne encore", "Coupe du monde : la France gagne encore"),  # French typography
    ("Mayor : we will rebuild the wall", "Mayor : we will rebuild the wall"),  # one word: a speaker, not a site
    ("Eastcombe Courier | eastcombecourier.com | Harbour wall repaired", "Harbour wall repaired"),
    ("ECN - Money - Harbour wall repaired after two winters - Eastcombe News & Views",
     "Harbour wall repaired after two winters"),
    ("Eastcombe News, Weather and Sport EC7.com, Your Town News: Harbour wall repaired", "Harbour wall repaired"),
    ("Trump: the wall will be built", "Trump: the wall will be built"),  # a speaker's name is no site
])
def test_site_parts_of_page_titles_in_more_real_forms_are_cut(title, expected):
    assert clean_title(title, None) == expected


def test_presslens_batch_gives_the_marked_headline_over_an_h1_that_is_the_section_name(tmp_path, tiny_checkpoint):
    """The same rule through the door a user uses: `presslens batch --include-text` on a saved page."""
    import json

    from click.testing import CliRunner

    from classifier.cli import main

    page = _page("<title>coastline.com - Local Sports Wire</title>",
                 f"<h1>Local Sports Wire</h1><div class='story-title'>{_HEADLINE}</div>")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "p1", "text": page}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(source), str(tmp_path / "out.jsonl"), "--include-text",
                                       "--model", str(tiny_checkpoint), "--no-progress"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert record["article"]["title"] == _HEADLINE
