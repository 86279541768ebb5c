"""Pages written for the tests (no third-party text): a news article as modern sites serve it, megabytes of
script, style and JSON around a few kilobytes of article, and the old table-layout kind.

    page = big_news_page(megabytes=2.5)   # str, about 2.5 MB of HTML around ARTICLE_PARAGRAPHS
"""

from __future__ import annotations

import json

HEADLINE = "Harbour council approves new flood barrier after decade of delays"
ARTICLE_PARAGRAPHS = (
    "The harbour council voted on Tuesday night to build a flood barrier across the mouth of the old port, "
    "ending more than ten years of argument over how to protect the low streets behind the quay.",
    "The barrier, a row of steel gates that can be raised in less than an hour, will cost an estimated 84 "
    "million pounds and is due to be finished by the winter of 2029, the council's engineers said.",
    "Residents of the quay district, where water came through front doors three times in the last five "
    "winters, packed the public gallery and applauded when the vote passed by eleven votes to four.",
    "Opponents on the council argued that the money would be better spent on raising the sea wall and on "
    "drains, and warned that the cost of the gates had already doubled since the first plans were drawn up.",
    "The chair of the planning committee said the gates were the only option that kept the port open to "
    "fishing boats while protecting more than two thousand homes from the worst storms.",
    "Work on the foundations is expected to begin next spring, once the national environment agency has "
    "approved the final designs and the contract for the steelwork has been signed.",
)


def _filler_json(size: int) -> str:
    """A JSON blob like a site's hydration state: teasers of other stories, ad slots, config."""
    items, length, number = [], 0, 0
    while length < size:
        item = {"id": f"story-{number}", "teaser": f"Another story number {number} about something else",
                "slot": f"ad-{number % 17}", "tracking": {"a": number, "b": "x" * 40}}
        items.append(item)
        length += 160
        number += 1
    return json.dumps({"props": {"pageProps": {"related": items}}})


def big_news_page(megabytes: float = 2.5, title_tag: str | None = None) -> str:
    """A real-looking article page of about `megabytes` MB: the article is a few KB of it."""
    size = int(megabytes * 1_000_000)
    style = "<style>" + ".c{color:#123456;margin:0 auto;padding:4px}\n" * (size // 10 // 46) + "</style>"
    script = "<script>var tracking = {" + ",".join(f'"k{n}": {n}' for n in range(size // 10 // 12)) + "};</script>"
    blob = f'<script id="__NEXT_DATA__" type="application/json">{_filler_json(size * 7 // 10)}</script>'
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in ARTICLE_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title_tag or HEADLINE + " | The Harbour Gazette"}</title>
<meta property="og:title" content="{HEADLINE}">
<meta property="og:site_name" content="The Harbour Gazette">
{style}{script}
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<main><article><h1>{HEADLINE}</h1>
<p class="byline">By Jane Marlow, Local Affairs Reporter</p>
{body}
</article></main>
<footer>Copyright The Harbour Gazette. All rights reserved.</footer>
{blob}
</body></html>"""
