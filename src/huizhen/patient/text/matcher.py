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

from huizhen.patient.text.lexicon import (
    BAG_SKIP,
    NO_FINDING,
    Lexicon,
    bag,
    build_lexicon,
    single_key,
    tokens,
)

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
    #: Made by sharing words across a coordination: wins over a plain match of the
    #: same words ("pain" in "calf swelling and pain").
    replaces: bool = False


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


def _one(text: str, tok: tuple[str, int, int]) -> tuple[str]:
    return single_key(text[tok[1]:tok[2]])


#: Punctuation that breaks a sentence or clause; ``_BREAK`` also counts brackets.
_CLAUSE_BREAK = re.compile(r"[.;:!?,]")
_BREAK = re.compile(r"[.;,:!?()]")


def _breaks(text: str, window: list[tuple[str, int, int]],
            marks: re.Pattern[str] = _CLAUSE_BREAK) -> bool:
    """A sentence or clause break (``marks``) between two words of ``window``."""
    return any(marks.search(text[a[2]:b[1]]) for a, b in itertools.pairwise(window))


def _match_en(text: str, lex: Lexicon) -> list[Mention]:
    toks = tokens(text)
    out: list[Mention] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(lex.en_max, len(toks) - i), 0, -1):
            if n > 1 and _breaks(text, toks[i:i + n]):
                continue  # "pulse irregular. Periods ..." is not "irregular periods", nor
                # "in the fingers, painful muscle cramps" finger pain
            key = tuple(t for t, _, _ in toks[i:i + n]) if n > 1 else _one(text, toks[i])
            if n == 1 and key in lex.en_upper and not text[toks[i][1]:toks[i][2]].isupper():
                continue  # "does" is not DOE
            hpo_id = lex.en.get(key)
            if hpo_id is not None:
                hit = (hpo_id, n)
                break
        # the same words in another order ("pain in the chest"), if that reaches further;
        # never across a sentence or clause break
        for n in range(min(6, len(toks) - i), (hit[1] if hit else 1), -1):
            window = toks[i:i + n]
            if window[0][0] in BAG_SKIP or window[-1][0] in BAG_SKIP or \
                    _breaks(text, window, _BREAK):
                continue
            hpo_id = lex.en_bag.get(bag([t for t, _, _ in window]))
            if hpo_id is not None:
                hit = (hpo_id, n)
                break
        skip = _skipping(text, toks, i, lex, hit[1] if hit else 1)
        if skip is not None:
            hit = skip
        if hit is None:
            i += 1
            continue
        start, end = toks[i][1], toks[i + hit[1] - 1][2]
        key = tuple(t for t, _, _ in toks[i:i + hit[1]] if t not in SKIPPABLE) if skip \
            else tuple(t for t, _, _ in toks[i:i + hit[1]]) if hit[1] > 1 else _one(text, toks[i])
        out.append(Mention(hit[0], start, end, text[start:end], key in lex.negated_en))
        spans.append((i, hit[1]))
        i += hit[1]
    return out + _coordinated(text, toks, spans, lex)


#: Words a note puts inside a term that the term's label does not have: side and
#: severity ("swelling of the left ankle", "right-sided chest pain", "severe
#: headache").  Skipped only when the term then matches and reaches further than
#: any match without skipping ("left ventricular hypertrophy" keeps its "left").
SKIPPABLE = frozenset({"left", "right", "bilateral", "both", "side", "sid", "left-sid", "right-sid",
                       "severe", "mild", "slight", "marked", "significant", "sever", "very",
                       "intermittent", "occasional", "constant", "persistent", "new", "sudden",
                       "little", "some", "his", "her", "their", "its", "my"})


_PLACE = frozenset({"on", "in", "over", "at", "around", "across", "along", "behind", "under"})


def _skipping(text: str, toks: list[tuple[str, int, int]], i: int, lex: Lexicon,
              reach: int) -> tuple[str, int] | None:
    """The longest term starting at token ``i`` when the ``SKIPPABLE`` words inside it
    are left out, if it reaches further than ``reach`` tokens; never across a clause
    break.  Tried in written order, then in any order (the bag)."""
    if toks[i][0] in SKIPPABLE:
        return None
    kept: list[int] = []  # positions (relative to i) of the words that are not skipped
    j = i
    while j < len(toks) and j - i < lex.en_max + 4:
        if j > i and _BREAK.search(text[toks[j - 1][2]:toks[j][1]]):
            break
        if toks[j][0] not in SKIPPABLE:
            kept.append(j - i)
        j += 1
    if len(kept) == j - i:
        return None  # nothing skipped: the plain match already tried this
    words = [toks[i + k][0] for k in kept]
    for n in range(len(kept), 1, -1):
        span = kept[n - 1] + 1
        if span <= reach or span == n:
            continue
        key = tuple(words[:n])
        hpo_id = lex.en.get(key)
        if hpo_id is None and n <= 4 and words[n - 1] not in BAG_SKIP:
            hpo_id = lex.en_bag.get(bag(key))
        if hpo_id is not None:
            return hpo_id, span
    return None


def _coordinated(text: str, toks: list[tuple[str, int, int]], spans: list[tuple[int, int]],
                 lex: Lexicon) -> list[Mention]:
    """Coordination shares words between two terms.  A modifier: "bladder or bowel
    incontinence", "upper and lower limb weakness".  A head: "calf swelling and
    pain" (calf pain), "pain and swelling of the ankle" (ankle pain).  The second
    term is made from the first term's words with one word exchanged; it replaces
    a plain one-word match of that word ("pain")."""
    covered = {j for i, n in spans for j in range(i, i + n)}
    inside = {j for i, n in spans if n > 1 for j in range(i, i + n)}

    def gap_ok(a: int, b: int) -> bool:
        return not _BREAK.search(text[toks[a][2]:toks[b][1]])

    def lookup(key: tuple[str, ...]) -> str | None:
        hpo_id = lex.en.get(key)
        if hpo_id is None and 2 <= len(key) <= 4:
            hpo_id = lex.en_bag.get(bag(key))
        return hpo_id

    out = []

    def add(hpo_id: str, k: int, key: tuple[str, ...]) -> None:
        a, b = toks[k][1], toks[k][2]
        out.append(Mention(hpo_id, a, b, text[a:b], key in lex.negated_en, replaces=True))

    for i, n in spans:
        if n < 2:
            continue
        words = tuple(t for t, _, _ in toks[i:i + n] if t not in SKIPPABLE)
        # modifier: "bladder or bowel incontinence"
        if i >= 2 and toks[i - 1][0] in ("and", "or") and (i - 2) not in covered \
                and gap_ok(i - 2, i):
            key = (toks[i - 2][0], *words[1:])
            hpo_id = lex.en.get(key)
            if hpo_id is not None:
                add(hpo_id, i - 2, key)
    for i, n in spans:
        # the last word exchanged: "swelling of the face and hands" -> hand swelling
        k = i + n + 1
        if n >= 2 and k < len(toks) and toks[k - 1][0] in ("and", "or") and k not in covered \
                and gap_ok(i + n - 1, k) and toks[k][0] not in BAG_SKIP:
            words = tuple(t for t, _, _ in toks[i:i + n] if t not in SKIPPABLE)
            key = (*words[:-1], toks[k][0])
            hpo_id = lookup(key)
            if hpo_id is not None:
                add(hpo_id, k, key)
    for a, (word, _, _) in enumerate(toks):
        if word not in ("and", "or") or a < 1 or a + 1 >= len(toks) or not gap_ok(a - 1, a + 1):
            continue
        # the head after: "calf swelling and pain" -> calf pain (at "pain")
        # (not when a place follows: "mouth ulcers and blisters on the hands")
        c = a + 1
        place_follows = c + 1 < len(toks) and toks[c + 1][0] in _PLACE and gap_ok(c, c + 1)
        if a >= 2 and c not in inside and gap_ok(a - 2, a - 1) and not place_follows \
                and toks[a - 2][0] not in BAG_SKIP | SKIPPABLE and toks[c][0] not in BAG_SKIP:
            key = (toks[a - 2][0], toks[c][0])
            hpo_id = lookup(key)
            if hpo_id is not None and hpo_id != lex.en.get(_one(text, toks[c])):
                add(hpo_id, c, key)
        # the head before: "pain and swelling of the left knee" -> knee pain (at "pain")
        c = a - 1
        if c not in inside and toks[c][0] not in BAG_SKIP:
            rest = []
            for k in range(a + 2, min(a + 6, len(toks))):
                if not gap_ok(k - 1, k):
                    break
                if toks[k][0] not in SKIPPABLE and toks[k][0] not in BAG_SKIP:
                    rest.append(toks[k][0])
            for m in range(len(rest), 0, -1):
                key = (toks[c][0], *rest[:m])
                hpo_id = lookup(key)
                if hpo_id is not None and hpo_id != lex.en.get(_one(text, toks[c])):
                    add(hpo_id, c, key)
                    break
    return out


_ZH_AND = "及和与、"
_ZH_SIDE = "双左右两单"


def _zh_coordinated(s: str, text: str, found: list[Mention], lex: Lexicon) -> list[Mention]:
    """颜面及双手浮肿, 双肩及双髋疼痛, 口唇及舌肿胀: a body part joined by 及/和/与/、 to a
    matched part + symptom term shares its symptom."""
    out = []
    for m in found:
        i = m.start
        while i > 0 and s[i - 1] in _ZH_SIDE:
            i -= 1
        if i < 2 or s[i - 1] not in _ZH_AND:
            continue
        for k in range(m.start + 1, m.end):  # the symptom half of the matched term
            symptom = s[k:m.end]
            hit = None
            for n in range(min(4, i - 1), 0, -1):
                part = s[i - 1 - n:i - 1]
                if not all(_CJK.match(ch) for ch in part):
                    continue
                for p in (part, part.lstrip(_ZH_SIDE)):
                    hpo_id = lex.zh.get(p + symptom) if len(p) >= 1 else None
                    if hpo_id is not None:
                        hit = (hpo_id, i - 1 - n, i - 1)
                        break
                if hit:
                    break
            if hit:
                out.append(Mention(hit[0], hit[1], hit[2], text[hit[1]:hit[2]]))
                break
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


#: Degree and time words that Chinese notes put between a body part and its symptom
#: (头部剧烈疼痛, 双下肢轻度水肿, 全身皮肤明显黄染).  Two characters or more, so that
#: no word is cut inside another (年轻).
ZH_SKIPPABLE = ("明显", "剧烈", "轻度", "中度", "重度", "轻微", "稍有", "略有", "有点", "有些",
                "阵发性", "持续性", "间断性", "间歇性", "间断", "反复", "偶有", "时有", "广泛",
                "大量", "少量", "散在", "突发", "突然", "逐渐", "进行性", "多发", "较前",
                # how a pain or cough is described: 压榨样疼痛, 痉挛性咳嗽
                "压榨样", "压榨性", "烧灼样", "针刺样", "刀割样", "撕裂样", "紧缩样", "痉挛性",
                "搏动性", "压迫性", "闷胀样",
                # pitting or not, an oedema of the legs is still 双下肢水肿
                "非凹陷性", "凹陷性",
                # 无痛性淋巴结肿大: painless describes the finding (无 here is no negation)
                "无痛性", "对称性")
_ZH_SKIP = re.compile("|".join(sorted(ZH_SKIPPABLE, key=len, reverse=True)))


def _match_zh_skipping(text: str, lex: Lexicon) -> list[Mention]:
    """Chinese terms with a ``ZH_SKIPPABLE`` word inside them: matched on the text
    with those words left out, kept only where a word was left out *inside* the
    match (the plain pass finds the rest)."""
    s = simplified(text)
    keep: list[int] = []  # original index of each kept character
    last = 0
    for skip in _ZH_SKIP.finditer(s):
        keep.extend(range(last, skip.start()))
        last = skip.end()
    if last == 0:
        return []
    keep.extend(range(last, len(s)))
    reduced = "".join(s[k] for k in keep)
    out = []
    for m in _match_zh(reduced, lex):
        start, end = keep[m.start], keep[m.end - 1] + 1
        if end - start > m.end - m.start:
            out.append(Mention(m.hpo_id, start, end, text[start:end], m.negated))
    return out


def find_mentions(text: str, lexicon: Lexicon | None = None) -> list[Mention]:
    """All non-overlapping HPO mentions in ``text``, in order of position."""
    lex = lexicon or build_lexicon()
    found = _match_en(text, lex)
    if _CJK.search(text):
        zh = _match_zh(text, lex) + _match_zh_skipping(text, lex)
        found += zh + _zh_coordinated(simplified(text), text, zh, lex)
    # a Chinese word that only describes the next finding (痉挛性咳嗽: the cough is
    # spasmodic, there is no spasticity) is not a finding of its own
    starts = {m.start for m in found}
    found = [m for m in found if not (_CJK.match(m.text[:1]) and m.end + 1 < len(text)
                                      and text[m.end] in "性样" and (m.end + 1) in starts)]
    found.sort(key=lambda m: (m.start, -(m.end - m.start), not m.replaces))
    out: list[Mention] = []
    for m in found:
        if out and m.start < out[-1].end:
            continue
        out.append(m)
    out = [m for m in out if m.hpo_id != NO_FINDING and not _fall_as_event(text, m)]
    for m in out:
        m.hpo_id = _qualified(text, m)
    return out + _swollen_too(text, out, lex)


_ARTHRITIS = "HP:0001369"


def _swollen_too(text: str, found: list[Mention], lex: Lexicon) -> list[Mention]:
    """膝关节肿痛, 手指关节红肿热痛: 肿痛 states two findings, the pain the longest match
    read and the swelling of the same part (膝关节肿), added with the same span."""
    out = []
    s = simplified(text)
    for m in found:
        word = next((w for w in ("红肿热痛", "肿胀疼痛", "肿痛") if s[m.start:m.end].endswith(w)), None)
        if word is None or not _CJK.match(m.text[:1]) or m.hpo_id == _ARTHRITIS:
            continue  # 关节肿痛 read as Arthritis already says the joints are swollen
        part = _ZH_SKIP.sub("", s[m.start:m.end - len(word)])
        for p in (part, part.lstrip(_ZH_SIDE)):
            hpo_id = lex.zh.get(p + "肿") if p else None
            if hpo_id and hpo_id != m.hpo_id:
                out.append(Mention(hpo_id, m.start, m.end, m.text, m.negated))
                break
    return out


#: A general finding that the words of its own sentence make a more specific HPO term,
#: by that term's definition: (general id, specific id, pattern in the sentence before
#: the mention, pattern in the sentence after it).  Only the mention's own sentence
#: (English) or sentence up to 。； (Chinese) is looked at.
QUALIFIERS: tuple[tuple[str, str, str | None, str | None], ...] = (
    # Pleuritic chest pain: chest pain worse on breathing in (or coughing)
    ("HP:0100749", "HP:0033771", r"pleuritic",
     (r"^.{0,40}?(pleuritic|worse (on|with|when) (deep |taking a deep )?(breath|breathing|inspiration"
      r"|inhal|cough)|(深)?吸气时加重|深呼吸时加重|呼吸时加重|咳嗽时加重)")),
    # Thunderclap headache: sudden, the most severe ever
    ("HP:0002315", "HP:0030907", r"(worst[- ]ever|the worst|thunderclap|霹雳样)[^.。；;]{0,12}$",
     r"^.{0,30}?(worst[- ]ever|worst of (her|his|my) life|thunderclap|一生中最剧烈|霹雳样)"),
    # Bilious emesis: vomiting green fluid or bile
    ("HP:0002013", "HP:0034754", None,
     r"^.{0,12}?(green|bile|bilious|黄绿色|绿色|胆汁)"),
    # Posttussive emesis: vomiting after coughing
    ("HP:0002013", "HP:0034783", r"(咳后|咳嗽后|after (the )?cough\w*( fits?| bouts?)?\s*)$",
     r"^\s*(after (the |a )?(cough|coughing)|后咳|于咳嗽后)"),
    # Whooping cough: a cough ending in a whoop
    ("HP:0012735", "HP:0031247", r"(whoop|鸡鸣样)", r"^.{0,40}?(whoop|鸡鸣样)"),
    # Recurrent sinusitis
    ("HP:0000246", "HP:0011108", r"(recurrent|repeated|frequent|反复|多次)[^,，.。；;]{0,25}$", None),
    # Conjunctival telangiectasia: telangiectasia on the conjunctiva / whites of the eyes
    ("HP:0001009", "HP:0000524", r"(结膜|conjunctiva|whites? of the eyes?|sclera)[^。；;.]{0,12}$",
     r"^.{0,20}?(结膜|conjunctiva|whites? of the eyes?|sclera)"),
    # Progressive hearing impairment: hearing that keeps getting worse
    ("HP:0000365", "HP:0001730", r"(progressive|进行性|渐进性)[^,，.。；;]{0,10}$",
     r"^.{0,20}?(getting worse|worsening|progressive|逐渐加重|进行性)"),
)


def _qualified(text: str, m: Mention) -> str:
    for general, specific, before_pat, after_pat in QUALIFIERS:
        if m.hpo_id != general:
            continue
        stops = ".;。；\n" if not _CJK.match(m.text[:1]) else "。；;\n"
        start = max(text.rfind(ch, 0, m.start) for ch in stops) + 1
        ends = [i for i in (text.find(ch, m.end) for ch in stops) if i >= 0]
        before, after = text[start:m.start], text[m.end:min(ends) if ends else len(text)]
        if specific == "HP:0001730" and re.search(r"逐渐|进行性|渐进", m.text):
            return specific  # 听力逐渐下降: the degree word is inside the match
        if (before_pat and re.search(before_pat, before, re.IGNORECASE)) or \
                (after_pat and re.search(after_pat, after, re.IGNORECASE)):
            return specific
    return m.hpo_id


FALLS = "HP:0002527"
#: "after a minor fall", "a fall from a ladder", 轻微跌倒后, 摔倒后: one fall that caused
#: an injury, not the phenotype *Falls* (a tendency to fall; "falls often", 反复跌倒).
_A_FALL_BEFORE = re.compile(r"\b(a|one|minor|single|after|following|recent|simple|trivial)"
                            r"(\s+(minor|small|slight|simple|trivial|mechanical))?\s*$", re.IGNORECASE)
_A_FALL_AFTER = re.compile(r"^\s*(from|off|onto|down|on\s+(the|to|her|his))\b", re.IGNORECASE)
_ZH_FALL_BEFORE = re.compile(r"(轻微|不慎|不小心|一次|意外)$")


def _fall_as_event(text: str, m: Mention) -> bool:
    if m.hpo_id != FALLS:
        return False
    before, after = text[max(0, m.start - 30):m.start], text[m.end:m.end + 12]
    if _CJK.match(m.text[:1]):
        return bool(_ZH_FALL_BEFORE.search(before)) or after.startswith(("后", "致", "伤", "时"))
    if m.text.lower() != "fall":
        return False  # "falls", "falls often": the phenotype
    return bool(_A_FALL_BEFORE.search(before) or _A_FALL_AFTER.search(after))
