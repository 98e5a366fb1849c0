"""Find HPO concepts in English and Chinese text by longest dictionary match.

Why longest match: "chest pain" must win over "pain", 双下肢水肿 over 水肿.
English is matched over normalised word tokens (see ``lexicon.tokens``), so
"Oedema of the ankles" and "ankle edema" meet the same keys; Chinese is matched
character by character on the Simplified form of the text, so no word
segmentation (and no segmentation error) is involved.  Both run on every text:
Chinese notes often carry English abbreviations and vice versa.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from huizhen.patient.text.lexicon import BAG_SKIP, Lexicon, bag, build_lexicon, tokens

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(slots=True)
class Mention:
    """A dictionary hit: HPO id and where it is in the original text."""

    hpo_id: str
    start: int
    end: int
    text: str
    #: The words themselves say the term is absent ("afebrile", 体温正常).
    negated: bool = False


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Simplified Chinese of ``text`` with the same length (offsets stay valid)."""
    if not _CJK.search(text):
        return text
    out = str(_t2s().convert(text))
    if len(out) == len(text):
        return out
    return "".join(str(_t2s().convert(ch)) if _CJK.match(ch) else ch for ch in text)


def _match_en(text: str, lex: Lexicon) -> list[Mention]:
    toks = tokens(text)
    out: list[Mention] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(lex.en_max, len(toks) - i), 0, -1):
            key = tuple(t for t, _, _ in toks[i:i + n])
            hpo_id = lex.en.get(key)
            if hpo_id is not None:
                hit = (hpo_id, n)
                break
        # the same words in another order ("pain in the chest"), if that reaches further;
        # never across a sentence or clause break
        for n in range(min(6, len(toks) - i), (hit[1] if hit else 1), -1):
            window = toks[i:i + n]
            if window[0][0] in BAG_SKIP or window[-1][0] in BAG_SKIP or any(
                    re.search(r"[.;,:!?()]", text[a[2]:b[1]]) for a, b in itertools.pairwise(window)):
                continue
            hpo_id = lex.en_bag.get(bag([t for t, _, _ in window]))
            if hpo_id is not None:
                hit = (hpo_id, n)
                break
        if hit is None:
            i += 1
            continue
        start, end = toks[i][1], toks[i + hit[1] - 1][2]
        key = tuple(t for t, _, _ in toks[i:i + hit[1]])
        out.append(Mention(hit[0], start, end, text[start:end], key in lex.negated_en))
        spans.append((i, hit[1]))
        i += hit[1]
    return out + _coordinated(text, toks, spans, lex)


def _coordinated(text: str, toks: list[tuple[str, int, int]], spans: list[tuple[int, int]],
                 lex: Lexicon) -> list[Mention]:
    """"bladder or bowel incontinence", "upper and lower limb weakness": a modifier
    coordinated with the first word of a matched term makes a term of its own."""
    covered = {j for i, n in spans for j in range(i, i + n)}
    out = []
    for i, n in spans:
        if n < 2 or i < 2 or toks[i - 1][0] not in ("and", "or") or (i - 2) in covered:
            continue
        if re.search(r"[.;,:!?()]", text[toks[i - 2][2]:toks[i][1]]):
            continue
        key = (toks[i - 2][0], *[t for t, _, _ in toks[i + 1:i + n]])
        hpo_id = lex.en.get(key)
        if hpo_id is not None:
            a, b = toks[i - 2][1], toks[i - 2][2]
            out.append(Mention(hpo_id, a, b, text[a:b], key in lex.negated_en))
    return out


def _match_zh(text: str, lex: Lexicon) -> list[Mention]:
    s = simplified(text).replace(" ", "\u0001")  # keys carry no spaces; never match across one

    def longest(i: int) -> tuple[str, int] | None:
        for n in range(min(lex.zh_max, len(s) - i), 1, -1):
            hpo_id = lex.zh.get(s[i:i + n])
            if hpo_id is not None:
                return hpo_id, n
        return None

    out: list[Mention] = []
    i = 0
    while i < len(s):
        hit = longest(i) if _CJK.match(s[i]) else None
        if hit is None:
            i += 1
            continue
        # 无尿失禁: the match one character later (尿失禁) reaches further than 无尿,
        # so the first character is not part of the term (here it is a negation).
        nxt = longest(i + 1)
        if nxt is not None and i + 1 + nxt[1] > i + hit[1]:
            i += 1
            continue
        key = s[i:i + hit[1]]
        out.append(Mention(hit[0], i, i + hit[1], text[i:i + hit[1]], key in lex.negated_zh))
        i += hit[1]
    return out


def find_mentions(text: str, lexicon: Lexicon | None = None) -> list[Mention]:
    """All non-overlapping HPO mentions in ``text``, in order of position."""
    lex = lexicon or build_lexicon()
    found = _match_en(text, lex)
    if _CJK.search(text):
        found += _match_zh(text, lex)
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Mention] = []
    for m in found:
        if out and m.start < out[-1].end:
            continue
        out.append(m)
    return out
