"""News-style stance examples made from real sentences: attributed denials, debunks, retractions, corrections,
contradicting numbers, confirmations and reports that take no position.

The claim_evidence sets teach refutation as a clashing fact; news refutes mostly by attribution ("the
ministry denied reports that ..."). Neither FNC-1 nor those sets show the same claim confirmed in one text
and refuted in another, so the stance head learned to read topic instead of direction. This module builds
minimal pairs from a real statement (a CNN/DailyMail highlight) and real background sentences of the same
article: the same story confirming, refuting, only reporting the claim, or about something else, with the
deciding sentence in the lead or late in the body, and counterfactual claims (the statement negated, or a
number changed).

    stories = cnn_stories(rows, limit=6000)                  # (statement, background sentences) per article
    examples = make_examples(stories, random.Random(13))     # [SynthExample], about 4 per story

Every example says which sentence decides (`decisive`) and what it says about the claim, so the per-sentence
stance head learns the evidence verdicts too. Judge what this teaches on items written independently
(training/suites/), never on examples made here.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterable, Sequence

from classifier.stance_input import related_order

SUPPORTS, REFUTES, NEUTRAL = "supports", "refutes", "neutral"


@dataclasses.dataclass
class SynthExample:
    claim: str
    sentences: list[str]
    label: str  # agree / disagree / discuss / unrelated
    decisive: int  # index of the deciding sentence, -1 if none
    verdict: str  # what the deciding sentence says about the claim: supports / refutes / neutral
    kind: str


# -- sources, verbs and frames ----------------------------------------------------------------------------
SOURCES = [
    "a government spokesman", "the ministry", "police", "a company spokeswoman", "officials", "the White House",
    "the club", "the department", "a spokesman for the family", "the agency", "the prime minister's office",
    "a senior official", "the organisers", "the council", "the hospital", "the team's manager", "the army",
    "her lawyer", "his representatives", "the foreign ministry", "the health authority", "the university",
    "a company statement", "the league", "local authorities", "the campaign", "prosecutors", "the embassy",
]
OUTLETS = ["The Herald", "the Daily Post", "a local newspaper", "the broadcaster", "the news agency",
           "the Tribune", "the website", "the magazine", "the Evening Standard", "the network"]
CHECKERS = ["fact-checkers", "Reuters Fact Check", "AFP's fact-checking team", "Snopes", "PolitiFact",
            "independent fact-checkers", "Full Fact", "an investigation by the BBC"]
DAYS = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "at the weekend", "on Sunday",
        "late on Saturday", "in a statement", "in a short statement", "at a news conference", "in an interview"]

REFUTE_FRAMES = {
    "denial": [
        "{S} denied reports that {c}.", "{S} has denied that {c}.", "{S} flatly denied claims that {c}.",
        "{S} rejected suggestions that {c}, calling them baseless.", "\"It is simply not true that {c},\" {S} said.",
        "{S} dismissed as false reports that {c}.", "There is no truth to reports that {c}, {S} said {D}.",
        "Claims that {c} are false, according to {S}.", "{S} said {D} that it was untrue that {c}.",
        "{S} strongly denied that {c}, describing the reports as fabricated.",
        "Reports that {c} were \"completely wrong,\" {S} said.", "{S} insisted {D} that it is not the case that {c}.",
        "Denying reports that {c}, {S} said the story was invented.", "{S} categorically rejected claims that {c}.",
        "{S} called the claim that {c} \"nonsense\".", "\"Nobody has said that {c}, because it is false,\" {S} said.",
        "\"That is completely untrue,\" {S} said of reports that {c}.", "{S} said {D} that suggestions that {c} were wrong.",
        "Tests carried out by {S} found no sign that {c}.", "An inquiry by {S} concluded that it was not true that {c}.",
        "{S} said checks had shown that reports that {c} were unfounded.", "\"Let me be clear: it is false that {c},\" {S} said.",
    ],
    "debunk": [
        "A widely shared post claiming that {c} has been debunked by {K}.", "{K} found no evidence that {c}.",
        "The video said to show that {c} was filmed years earlier, {K} found.",
        "{K} said the viral claim that {c} is false.", "A photo circulating online as proof that {c} was doctored, {K} said.",
        "There is no evidence that {c}, {K} concluded after reviewing the footage.",
        "The claim that {c} is a hoax, {K} said.", "{K} rated the claim that {c} as false.",
    ],
    "satire": [
        "The story that {c} originated on a satirical website, {K} found.",
        "The report that {c} was traced to a satire site and is not true.",
        "Posts claiming that {c} first appeared on a parody account known for made-up stories.",
    ],
    "retraction": [
        "{O} has retracted its report that {c}.", "{O} withdrew a story claiming that {c}, saying it could not stand by it.",
        "{O} apologised for reporting that {c}, which it said was wrong.",
        "The report that {c} was retracted {D} after its source admitted inventing it.",
    ],
    "correction": [
        "An earlier version of this article wrongly stated that {c}.",
        "Correction: a previous version of this story incorrectly reported that {c}.",
        "This article has been amended: it previously said, wrongly, that {c}.",
    ],
}
CONFIRM_FRAMES = [
    "{S} confirmed that {c}.", "{S} confirmed {D} that {c}.", "{C}, {S} said {D}.", "{C}, according to {S}.",
    "It has been officially confirmed that {c}.", "{S} announced {D} that {c}.", "{C}.", "{C}, {S} confirmed.",
    "Records seen by {O} show that {c}.", "{S} said it could confirm that {c}.", "{S} acknowledged {D} that {c}.",
    "{C}, {O} reported, citing documents it has verified.", "Official figures released {D} show that {c}.",
    "{K} said the claim that {c} is accurate.",
    # a denial overturned still confirms; negative words do not make a refutation
    "{S} had denied that {c}, but confirmed it {D}.", "Despite earlier denials, {S} admitted {D} that {c}.",
]
REPORT_FRAMES = [
    "Reports that {c} could not be independently verified.", "According to unconfirmed reports, {c}.",
    "Social media users claimed that {c}; {S} declined to comment.", "It was not immediately clear whether {c}.",
    "{S} said it was looking into reports that {c}.", "Rumours that {c} have circulated online, but there has been no official confirmation.",
    "Whether {c} remains unclear.", "{S} would neither confirm nor deny that {c}.", "{O} reported that {c}, citing unnamed sources.",
    "{S} said {D} that it was aware of claims that {c} and was investigating.",
    "Some residents believe that {c}, while others say the opposite.",
    "{S} denied that {c}, but {S2} insisted it was true.", "Critics allege that {c}; supporters reject that.",
    "{S} refused to say whether {c}.", "Questions remain over claims that {c}.",
    "{C}, according to claims circulating online.", "Unverified posts suggest that {c}.",
    "{C}, some reports suggest, although there has been no confirmation.", "{O} reported that {c}; the claim could not be verified.",
    "{C}, an unnamed source told {O}, but {S} has not commented.", "Speculation is growing that {c}.",
    "{S} said it was too early to say whether {c}.", "Campaigners say {c}, a claim {S} has yet to address.",
]

_AUX = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|should|may|must|did|does|do)\b")
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")


def negate(statement: str) -> str | None:
    """'x will close' -> 'x will not close' (first auxiliary, within the first 12 words); None if none fits
    or the statement already negates."""
    words = statement.split()
    if any(w in ("not", "n't", "never", "no") for w in words[:14]):
        return None
    match = _AUX.search(" ".join(words[:12]))
    if not match or match.start() == 0:
        return None
    return statement[: match.end()] + " not" + statement[match.end():]


def change_number(statement: str, rng: random.Random) -> str | None:
    numbers = [m for m in _NUMBER.finditer(statement) if not re.fullmatch(r"(19|20)\d\d", m.group())]
    if not numbers:
        return None
    m = rng.choice(numbers)
    value = float(m.group().replace(",", ""))
    factor = rng.choice([0.5, 2, 3, 0.3, 1.5, 10])
    new = value * factor if value >= 1 else value + rng.choice([2, 5])
    text = f"{new:,.0f}" if float(new).is_integer() or new > 20 else f"{new:.1f}"
    if text == m.group():
        return None
    return statement[: m.start()] + text + statement[m.end():]


def fill(frame: str, claim_clause: str, rng: random.Random) -> str:
    sources = rng.sample(SOURCES, 2)
    text = frame.format(S=sources[0], S2=sources[1], O=rng.choice(OUTLETS), K=rng.choice(CHECKERS),
                        D=rng.choice(DAYS), c=claim_clause, C=_capital(claim_clause))
    return _capital(text)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _clause(statement: str) -> str:
    s = statement.strip().rstrip(".")
    return s[:1].lower() + s[1:] if not s[:2].isupper() else s


def place(background: Sequence[str], sentence: str, rng: random.Random, lead: bool) -> tuple[list[str], int]:
    body = list(background)
    index = 0 if lead else rng.randint(min(2, len(body)), len(body))
    body.insert(index, sentence)
    return body, index


def story_examples(statement: str, background: Sequence[str], other: str, rng: random.Random) -> list[SynthExample]:
    """Up to five examples of one story: refuted, confirmed, reported, a counterfactual claim, unrelated."""
    clause = _clause(statement)
    out: list[SynthExample] = []
    ctx = list(background)[: rng.randint(3, 9)]
    # refuted: the claim itself, an attributed refutation of it
    kind = rng.choices(list(REFUTE_FRAMES), weights=[6, 3, 1, 1, 1])[0]
    body, at = place(ctx, fill(rng.choice(REFUTE_FRAMES[kind]), clause, rng), rng, lead=rng.random() < 0.5)
    refuted_body, refuted_at = body, at
    out.append(SynthExample(statement, body, "disagree", at, REFUTES, kind))
    # confirmed
    body, at = place(ctx, fill(rng.choice(CONFIRM_FRAMES), clause, rng), rng, lead=rng.random() < 0.6)
    confirmed_body, confirmed_at = body, at
    out.append(SynthExample(statement, body, "agree", at, SUPPORTS, "confirmation"))
    # reported without a position
    body, at = place(ctx, fill(rng.choice(REPORT_FRAMES), clause, rng), rng, lead=rng.random() < 0.5)
    out.append(SynthExample(statement, body, "discuss", at, NEUTRAL, "report"))
    # a second refutation of another kind, late when the first was in the lead (and the other way round)
    if rng.random() < 0.5:
        kind2 = rng.choice([k for k in REFUTE_FRAMES if k != kind])
        body, at = place(ctx, fill(rng.choice(REFUTE_FRAMES[kind2]), clause, rng), rng, lead=refuted_at != 0)
        out.append(SynthExample(statement, body, "disagree", at, REFUTES, kind2))
    # counterfactual claims: the same articles read against the negated statement, or a changed number
    negated = negate(statement)
    if negated:
        out.append(SynthExample(negated, confirmed_body, "disagree", confirmed_at, REFUTES, "negated_claim"))
        if rng.random() < 0.6:
            out.append(SynthExample(negated, refuted_body, "agree", refuted_at, SUPPORTS, "negated_denial"))
    changed = change_number(statement, rng)
    if changed:
        body, at = place(ctx, _capital(clause) + ".", rng, lead=rng.random() < 0.5)
        out.append(SynthExample(changed, body, "disagree", at, REFUTES, "number_contradiction"))
        if rng.random() < 0.5:  # the same body against the right number confirms
            out.append(SynthExample(statement, body, "agree", at, SUPPORTS, "number_match"))
    # unrelated: another story's statement against this body
    if rng.random() < 0.4:
        out.append(SynthExample(other, confirmed_body, "unrelated", -1, NEUTRAL, "unrelated"))
    return out


def make_examples(stories: Sequence[tuple[str, list[str]]], rng: random.Random) -> list[SynthExample]:
    out = []
    for i, (statement, background) in enumerate(stories):
        other = stories[(i + rng.randint(1, len(stories) - 1)) % len(stories)][0] if len(stories) > 1 else statement
        out.extend(story_examples(statement, background, other, rng))
    return out


# -- stories from CNN/DailyMail -----------------------------------------------------------------------------
_DETOK = [(" n't", "n't"), (" 's", "'s"), (" 're", "'re"), (" 've", "'ve"), (" 'll", "'ll"), (" 'd", "'d"),
          (" ,", ","), (" .", "."), (" ;", ";"), (" :", ":"), (" ?", "?"), (" !", "!"), ("-lrb- ", "("),
          (" -rrb-", ")"), ("`` ", '"'), (" ''", '"'), (" %", "%"), ("$ ", "$"), ("£ ", "£")]


def detokenise(text: str) -> str:
    for a, b in _DETOK:
        text = text.replace(a, b)
    return " ".join(text.split())


def fnc_stories(rows: Iterable[dict], limit: int, sentences_of) -> list[tuple[str, list[str]]]:
    """(statement, background) from FNC-1 `agree` pairs: the headline as the statement (real news wording,
    cased) and the body's sentences that share little with it as background. `sentences_of(body, headline)`
    reads a body as inference does."""
    stories, seen = [], set()
    for row in rows:
        headline = row["claim"].strip()
        if row["label"] != "agree" or headline in seen or not 5 <= len(headline.split()) <= 25:
            continue
        seen.add(headline)
        sentences = [s for s in sentences_of(row["body"], headline) if 6 <= len(s.split()) <= 45][:40]
        scores, _ = related_order(headline, sentences)
        background = [s for s, score in zip(sentences, scores) if score < 1.5][:10]
        if len(background) >= 3:
            stories.append((headline.rstrip(" ."), background))
        if len(stories) >= limit:
            break
    return stories


def cnn_stories(rows: Iterable[dict], limit: int, segment) -> list[tuple[str, list[str]]]:
    """(statement, background) per article: a highlight of 6-30 words as the statement, and the article's
    sentences that share little with it as background (so that the background neither confirms nor refutes
    it). `segment(text) -> sentences`."""
    stories = []
    for row in rows:
        highlights = [detokenise(h) for h in row["highlights"].split("\n") if 6 <= len(h.split()) <= 30
                      and '"' not in h and ":" not in h and not h.startswith("new ")]  # quotes make poor claims
        if not highlights:
            continue
        statement = highlights[0]
        sentences = [detokenise(s) for s in segment(row["article"][:6000])]
        sentences = [s for s in sentences if 6 <= len(s.split()) <= 45][:40]
        scores, _ = related_order(statement, sentences)
        background = [s for s, score in zip(sentences, scores) if score < 1.5][:10]
        if len(background) >= 3:
            stories.append((_capital(statement.rstrip(" .")), background))
        if len(stories) >= limit:
            break
    return stories
