"""The citation checker: is each sentence of an answer supported by the passage it cites?

Why deterministic and lexical: a model cannot be trusted to grade its own
citations, and a doctor must be able to see *why* a sentence was kept.  Each
sentence is split off with its ``[n]`` markers, then tested against the
passages it cites, in Chinese and English (jieba words and Snowball stems,
Traditional folded to Simplified):

* it must cite at least one passage that exists;
* enough of its content words must occur in the cited passages (coverage);
* every number it states must occur there (doses, durations, thresholds);
* every drug it names must be named there (by DrugBank id, so 华法林 meets warfarin);
* its polarity must match the passage sentence it overlaps most (not / 不 / 禁用 ...).

A sentence failing any test is *unsupported*: removed from the answer, or
marked, with the reason.  Sentences without claims (a lone heading, "Sources:")
are passed through untouched.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from huizhen.retrieval.tokenize import has_cjk, to_simplified, tokens

#: Share of a sentence's content words that its cited passages must contain.
MIN_COVERAGE = 0.65

_CITE = re.compile(r"\s*(?:\[(\d{1,3}(?:\s*[,，、\-–]\s*\d{1,3})*)\]|【(\d{1,3}(?:\s*[,，、\-–]\s*\d{1,3})*)】)")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|St|approx|cf|No|Fig)\.$", re.IGNORECASE)
_SPLIT = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_EN_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
               "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12",
               "once": "1", "twice": "2", "single": "1", "double": "2", "half": "0.5"}
_ZH_NUMBERS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
               "七": "7", "八": "8", "九": "9", "十": "10"}
_ZH_NUM_UNIT = re.compile(r"([一二两三四五六七八九十])(?=[个次天周月年岁小日片粒剂倍项种])")
_NEG_EN = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot|can't|don't|doesn't|"
                     r"isn't|aren't|shouldn't|mustn't|avoid(?:ed|ing|s)?|contraindicated|"
                     r"unsafe|ineffective)\b", re.IGNORECASE)
_NEG_ZH = re.compile(r"不|无|未|非|没有|勿|禁用|禁止|禁忌|避免|忌")
#: Words that contain a negation character without negating anything.
_ZH_NOT_NEG = re.compile(r"不良|不适|不全|不齐|不明|不稳定|不典型|不规则|不足|不耐受|不孕|不宁|"
                         r"无菌|无症状|无痛|非甾体|非典型|非处方|非二氢吡啶|未成年|禁食|以避免|无改善|不改善")
_EN_NOT_NEG = re.compile(r"\bto avoid\b|\bunless contraindicated\b|\bif (?:there is )?no improvement\b",
                         re.IGNORECASE)
#: Words that carry no claim of their own: not required to be in the passage.
_GENERIC = frozenset(["use", "caus", "includ", "involv", "common", "usual", "often", "patient", "person", "peopl", "may", "can", "help", "need", "call", "known", "term", "recommend", "suggest", "consid", "typic", "general", "normal", "take", "taken", "took", "give", "given", "gave", "使用", "应用", "可以", "可能", "患者", "病人", "通常", "一般", "包括", "需要", "进行", "出现", "表现", "属于", "相关", "建议", "考虑", "常见", "可", "应", "会", "能", "需", "用", "时", "者", "人"])
#: Absolute words: a claim that every / always / 所有 needs a source that says so too.
_ABSOLUTE_EN = re.compile(r"\b(?:all|every|everyone|always|only|routine(?:ly)?)\b", re.IGNORECASE)
_ABSOLUTE_ZH = re.compile(r"所有|一律|都必须|均需|均应|任何|总是|唯一|只能|常规")
#: Text addressed to a model rather than to a reader: a passage with it is shown but never
#: counts as support (a planted document cannot vouch for what it told the model to say).
_INSTRUCTIONS = re.compile(
    r"ignore (?:all |any )?(?:the |your )?(?:previous|prior|above|earlier) (?:instructions|prompts?)|"
    r"disregard (?:all |the |your )?(?:previous |prior |above )?instructions|"
    r"(?:^|\W)(?:system|assistant)\s*(?:prompt)?\s*:|you are (?:now )?(?:an? )?(?:ai|assistant|language model)|"
    r"note to (?:the )?(?:ai|model|assistant)|as an ai\b|"
    r"忽略(?:之前|以上|上述|前面|所有)?的?(?:所有)?(?:指令|指示|提示)|无视(?:之前|以上|上述)?的?(?:指令|指示)|"
    r"你现在是|系统提示|致(?:AI|模型|人工智能)", re.IGNORECASE)
_NON_CLAIM = re.compile(r"^\W*(?:sources?|references?|参考|来源|出处)\W*$", re.IGNORECASE)


@dataclass(slots=True)
class SentenceCheck:
    """One sentence of an answer and the verdict on it."""

    text: str  # as written, with its citation markers
    claim: str  # without the markers
    citations: list[int]
    supported: bool
    coverage: float
    reason: str = ""
    #: Content words of the claim not found in the cited passages.
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class GroundingReport:
    sentences: list[SentenceCheck]

    @property
    def supported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.supported]

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    def text(self, *, mark: bool = False, lang: str = "en") -> str:
        """The answer with unsupported sentences removed (or marked when ``mark``)."""
        out: list[str] = []
        tag = "〔无引文支持〕" if lang == "zh" else "[unsupported]"
        for s in self.sentences:
            if s.supported:
                out.append(s.text)
            elif mark:
                out.append(f"{tag} {s.text}" if lang != "zh" else f"{tag}{s.text}")
        return join_sentences(out)


def _wide(ch: str) -> bool:
    """A Han character or full-width punctuation: no space is put next to it."""
    return bool(ch) and (has_cjk(ch) or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")


def join_sentences(parts: list[str]) -> str:
    """Sentences joined as written: a space between English ones, none after Chinese ones."""
    text = ""
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if text and not (_wide(text[-1]) or _wide(p[0])):
            text += " "
        text += p
    return text


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer, each with the citation markers that follow it.

    A marker written after the full stop ("... pain. [1]") goes with the sentence
    before it; "e.g." and decimals do not end a sentence."""
    pieces: list[str] = []
    buf = ""
    for part in _SPLIT.split(text):
        if not part:
            continue
        buf += part
        if _ABBREV.search(buf.rstrip()):
            continue
        pieces.append(buf)
        buf = ""
    if buf:
        pieces.append(buf)
    out: list[str] = []
    for p in pieces:
        s = p.strip()
        j = 0
        while (m := _CITE.match(s, j)) and m.end() > j:
            j = m.end()
        if j and out:
            # markers that open a piece belong to the sentence before it
            out[-1] = out[-1] + " " + s[:j].strip()
            s = s[j:].strip()
        if s:
            out.append(s)
    return out


def parse_citations(sentence: str) -> tuple[str, list[int]]:
    """(the sentence without markers, the passage numbers it cites, in order)."""
    nums: list[int] = []
    for m in _CITE.finditer(sentence):
        body = m.group(1) or m.group(2)
        for part in re.split(r"\s*[,，、]\s*", body):
            if re.search(r"[\-–]", part):
                lo, hi = (int(x) for x in re.split(r"\s*[\-–]\s*", part)[:2])
                nums.extend(range(lo, min(hi, lo + 20) + 1))
            elif part:
                nums.append(int(part))
    claim = _CITE.sub("", sentence).strip()
    return claim, list(dict.fromkeys(nums))


def _numbers(text: str) -> set[str]:
    text = to_simplified(text)
    text = _ZH_NUM_UNIT.sub(lambda m: _ZH_NUMBERS[m.group(1)], text)
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    for word in re.findall(r"[A-Za-z]+", text):
        if word.lower() in _EN_NUMBERS:
            found.add(_EN_NUMBERS[word.lower()])
    return {n.removesuffix(".0") for n in found}


def _negated(text: str) -> bool:
    if _NEG_EN.search(_EN_NOT_NEG.sub("", text)):
        return True
    zh = _ZH_NOT_NEG.sub("", to_simplified(text))
    return bool(_NEG_ZH.search(zh))


@lru_cache(maxsize=4096)
def _drugs(text: str) -> frozenset[str]:
    """DrugBank ids (or lower-case names) of the drugs named in ``text``."""
    from huizhen.knowledge.drugs import load_vocabulary

    out: set[str] = set()
    for m in load_vocabulary().find_mentions(text):
        if m.ingredients:
            out.update(i.drugbank_id or i.name.lower() for i in m.ingredients)
        else:
            out.add(m.text.lower())
    return frozenset(out)


@lru_cache(maxsize=4096)
def _terms(text: str) -> frozenset[str]:
    return frozenset(tokens(text))


def _absolute(text: str) -> bool:
    return bool(_ABSOLUTE_EN.search(text) or _ABSOLUTE_ZH.search(to_simplified(text)))


def _clauses(text: str) -> list[str]:
    """Sentences and clauses of a passage: polarity is judged on the clause a claim matches."""
    return [s for s in re.split(r"(?<=[。！？!?；;，,：:])|(?<=\.)\s+|\n+", text) if s and s.strip()]


def _content_words(claim: str) -> list[str]:
    """Content words of a claim: no generic words, and no Chinese word that is part of a
    longer one (jieba's search mode yields 严重 and 程度 beside 严重程度)."""
    words = [w for w in dict.fromkeys(tokens(claim))
             if (len(w) > 1 or has_cjk(w)) and w not in _GENERIC]
    cjk = [w for w in words if has_cjk(w)]
    return [w for w in words if not (has_cjk(w) and any(w != o and w in o for o in cjk))]


def _covered(word: str, have: frozenset[str], simple: str) -> bool:
    if word in have or (has_cjk(word) and word in simple):
        return True
    # stems that disagree on a suffix (relief / reliev, allergi / allerg): a shared
    # prefix of five letters, most of the shorter word, counts as the same word
    if not has_cjk(word) and len(word) >= 5 and not word.isdigit():
        return any(len(h) >= 5 and _shared(word, h) >= max(5, min(len(word), len(h)) - 2)
                   for h in have)
    return False


def _shared(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def support(claim: str, passages: list[str]) -> tuple[bool, float, str, list[str]]:
    """(supported, coverage, reason, missing words) of ``claim`` against ``passages``."""
    joined = "\n".join(passages)
    simple = to_simplified(joined).lower()
    words = _content_words(claim)
    if not words:
        return True, 1.0, "no content words", []
    have = _terms(joined)
    credit = 0.0
    missing: list[str] = []
    for w in words:
        if _covered(w, have, simple):
            credit += 1
            continue
        missing.append(w)
        if has_cjk(w):
            # jieba may cut a paraphrase differently (剧痛 / 剧烈疼痛): credit shared characters
            credit += 0.5 * sum(ch in simple for ch in w) / len(w)
    coverage = round(credit / len(words), 3)
    if coverage < MIN_COVERAGE:
        return False, coverage, f"only {coverage:.0%} of its words are in the cited passage", missing
    extra_numbers = sorted(_numbers(claim) - _numbers(joined))
    if extra_numbers:
        return False, coverage, "number not in the cited passage: " + ", ".join(extra_numbers), missing
    extra_drugs = sorted(_drugs(claim) - _drugs(joined))
    if extra_drugs:
        return False, coverage, "drug not named in the cited passage: " + ", ".join(extra_drugs), missing
    every, content = set(tokens(claim)), set(words)
    # the clause sharing most content words (then most words) is the one the claim restates
    best = max(_clauses(joined), key=lambda c: (len(content & _terms(c)), len(every & _terms(c))),
               default="")
    if _negated(claim) != _negated(best):
        return False, coverage, "negation differs from the cited passage", missing
    if _absolute(claim) and not _absolute(joined):
        return False, coverage, "absolute claim (all / every / 所有) the passage does not make", missing
    return True, coverage, "", missing


def has_instructions(text: str) -> bool:
    """Whether ``text`` speaks to a model ("ignore previous instructions", "系统提示" ...)."""
    return bool(_INSTRUCTIONS.search(text))


def check_answer(answer: str, passages: list[str]) -> GroundingReport:
    """Check every sentence of ``answer`` against the passages it cites (numbered from 1).

    A passage that carries instructions to a model is never support."""
    checks: list[SentenceCheck] = []
    tainted = {n for n, p in enumerate(passages, 1) if has_instructions(p)}
    for sentence in split_sentences(answer):
        claim, cites = parse_citations(sentence)
        if not claim or _NON_CLAIM.match(claim):
            checks.append(SentenceCheck(sentence, claim, cites, True, 1.0, "no claim"))
            continue
        if not cites:
            checks.append(SentenceCheck(sentence, claim, cites, False, 0.0, "no citation"))
            continue
        bad = [n for n in cites if not 1 <= n <= len(passages)]
        if bad:
            checks.append(SentenceCheck(sentence, claim, cites, False, 0.0,
                                        "cites a passage that does not exist: "
                                        + ", ".join(f"[{n}]" for n in bad)))
            continue
        usable = [n for n in cites if n not in tainted]
        if not usable:
            checks.append(SentenceCheck(sentence, claim, cites, False, 0.0,
                                        "cites only passages that contain instructions to a model"))
            continue
        ok, cov, reason, missing = support(claim, [passages[n - 1] for n in usable])
        checks.append(SentenceCheck(sentence, claim, cites, ok, cov, reason, missing))
    return GroundingReport(checks)
