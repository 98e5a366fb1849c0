"""ConText-style context of a mention: negated, hedged, past history or a relative's.

Why rules: the ConText algorithm (Harkema H, Dowling JN, Thornblade T, Chapman
WW, J Biomed Inform 2009;42:839-51; NegEx: Chapman WW et al., J Biomed Inform
2001;34:301-10) gets negation right in ~95 % of clinical sentences with a cue
list and scope rules, offline and explainably.  English cues follow the NegEx /
ConText lexicons; the Chinese cues (无, 否认, 未见, 未诉, 没有, 排除, 不伴 ...) are
the conventions of Chinese medical records (病历书写基本规范, 卫医政发〔2010〕11号).

A cue acts forward ("pre": 无发热, "denies fever") or backward ("post": 水肿
不明显, "fever was denied") until the end of its scope: the sentence, a
termination cue ("but", 但, 伴), and for Chinese negation and hedging also a
comma — Chinese notes list negated items with 、 and start each clause with
its own cue (无发热，咳嗽3天 means the cough is present).  Pseudo-cues (无明显
诱因, "no change", "mother reports") and cues inside a matched concept (四肢
无力 is weakness, not negation) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NEGATED, POSSIBLE, HISTORY, FAMILY = "negated", "possible", "history", "family"

# (category, direction, phrase) — English phrases are matched on word boundaries.
_EN: list[tuple[str, str, str]] = [
    *[(NEGATED, "pre", p) for p in (
        "no", "not", "denies", "denied", "deny", "denying", "without", "negative for",
        "free of", "absence of", "absent", "no evidence of", "no sign of", "no signs of",
        "never had", "never", "ruled out", "rules out", "no history of", "no complaints of",
        "nor", "neither", "did not have", "does not have", "no new", "no further episodes of",
        "non", "resolution of", "fails to reveal", "no longer")],
    *[(NEGATED, "post", p) for p in (
        "was denied", "were denied", "is absent", "are absent", "was absent", "were absent",
        "was negative", "were negative", "is negative", "are negative", "not present", "was ruled out",
        "were ruled out", "ruled out", "not seen", "not noted", "not found")],
    *[(POSSIBLE, "pre", p) for p in (
        "possible", "possibly", "probable", "probably", "may have", "might have", "maybe",
        "suspected", "suspect", "suspicion of", "concern for", "concerning for",
        "questionable", "rule out", "r/o", "consider", "differential includes",
        "cannot exclude", "can not exclude", "cannot rule out", "query", "likely")],
    *[(POSSIBLE, "post", p) for p in (
        "is possible", "is suspected", "cannot be excluded", "cannot be ruled out",
        "not excluded", "is likely", "is probable", "unlikely")],
    *[(HISTORY, "pre", p) for p in (
        "history of", "h/o", "hx of", "past medical history", "pmh", "past history",
        "previous", "previously", "prior", "in the past", "as a child", "remote")],
    *[(HISTORY, "post", p) for p in ("in the past", "previously", "as a child", "years ago",
                                     "resolved", "has resolved", "have resolved")],
    *[(FAMILY, "pre", p) for p in (
        "family history", "fh", "fhx", "mother", "father", "sister", "brother", "sibling",
        "siblings", "aunt", "uncle", "grandmother", "grandfather", "grandparent", "cousin",
        "son", "daughter", "parents", "parent", "twin", "relative", "relatives", "mom", "dad",
        "maternal", "paternal")],
    *[(FAMILY, "post", p) for p in ("runs in the family", "in the family", "in family")],
]
_EN_PSEUDO = ("no change", "no increase", "no significant change", "not only", "not certain",
              "not sure", "not necessarily", "without difficulty", "no interval change",
              "not cause", "gram negative", "no further", "mother reports", "mother states",
              "mother says", "per mother", "per his mother", "per her mother", "father reports",
              "parents report", "parents state", "according to his mother",
              "according to her mother", "according to his father", "according to her father",
              "brought by his mother", "brought by her mother", "brought in by",
              "history of present illness", "history of the present illness",
              "no history of trauma")
_EN_TERM: dict[str, tuple[str, ...]] = {
    NEGATED: ("but", "however", "although", "though", "except", "apart from", "aside from",
              "which", "who", "yet", "reports", "reported", "complains", "complained",
              "presents", "presented", "has", "had", "endorses", "admits", "positive for",
              "notes", "noted", "describes", "developed", "now has", "with"),
    POSSIBLE: ("but", "however", "although", "though", "which", "who", "reports",
               "complains", "presents", "has", "had"),
    HISTORY: ("but", "however", "now", "currently", "today", "presents", "presented",
              "this morning", "yesterday", "days", "weeks", "since"),
    FAMILY: ("patient", "pt", "he", "she", "himself", "herself", "the child", "the boy",
             "the girl", "our patient"),
}

_ZH: list[tuple[str, str, str]] = [
    *[(NEGATED, "pre", p) for p in (
        "无", "没有", "否认", "未见", "未诉", "未闻及", "未触及", "未扪及", "未引出", "未发现",
        "未出现", "未再", "不伴", "不伴有", "排除", "未及", "无明显", "未有", "未见明显",
        "并无", "从无", "无任何", "未曾")],
    *[(NEGATED, "post", p) for p in (
        "阴性", "(-)", "（-）", "（—）", "已排除", "不明显", "未见", "未及")],
    *[(POSSIBLE, "pre", p) for p in (
        "疑似", "疑为", "可疑", "可能", "怀疑", "考虑", "待排", "不排除", "不除外", "拟诊", "？", "?")],
    *[(POSSIBLE, "post", p) for p in (
        "可能", "待排", "待查", "不除外", "可能性大", "？", "?", "待排除", "可疑")],
    *[(HISTORY, "pre", p) for p in (
        "既往", "既往史", "曾", "曾有", "曾患", "以往", "过去", "幼时", "儿时", "早年", "多年前",
        "陈旧性")],
    *[(HISTORY, "post", p) for p in ("病史", "史", "消失", "已消失", "已缓解", "已愈", "好转")],
    *[(FAMILY, "pre", p) for p in (
        "家族史", "家族中", "家族", "父亲", "母亲", "其父", "其母", "父母", "哥哥", "姐姐",
        "弟弟", "妹妹", "兄弟", "姐妹", "祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶",
        "外公", "外婆", "舅舅", "姑姑", "叔叔", "伯父", "阿姨", "姨妈", "儿子", "女儿", "子女",
        "亲属", "一级亲属", "胞兄", "胞姐", "胞弟", "胞妹", "同胞")],
]
_ZH_PSEUDO = ("无明显诱因", "无诱因", "无明显原因", "无明确诱因", "无特殊", "未予重视", "未予处理",
              "未治疗", "未经治疗", "未就诊", "未诊治", "未予诊治", "未规律", "未系统", "无殊",
              "母亲诉", "其母诉", "父亲诉", "其父诉", "家长诉", "家属诉", "代诉", "父母诉",
              "母亲发现", "父亲发现", "家长发现", "父母发现", "家属发现", "家属代诉", "无明显好转",
              "未见好转", "无好转", "未缓解", "无缓解", "无法", "无效", "未愈", "无明显缓解",
              "现病史", "个人史", "否认病史")
_ZH_TERM: dict[str, tuple[str, ...]] = {
    NEGATED: ("，", ",", "但", "但是", "然而", "伴", "伴有", "有", "出现", "诉", "表现为", "自觉",
              "并有", "现", "仍", "又"),
    POSSIBLE: ("，", ",", "但", "但是", "伴", "有", "出现"),
    HISTORY: ("，", ",", "但", "现", "今", "近", "目前", "此次", "本次", "入院"),
    FAMILY: ("患者", "本人", "患儿", "病人", "该患者"),
}

_SENTENCE = re.compile(r"[。！？!；;\n]|\.(?=\s|$)|\?(?=\s|$)")


@dataclass(slots=True)
class Cue:
    category: str
    direction: str  # pre, post, pseudo, term
    start: int
    end: int
    lang: str


def _en_regex(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted({re.escape(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<![\w/])(?:" + "|".join(alts) + r")(?![\w/])", re.IGNORECASE)


def _zh_regex(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted({re.escape(p) for p in phrases}, key=len, reverse=True)
    return re.compile("|".join(alts))


_RULES: list[tuple[str, str, str, re.Pattern[str]]] = []
for _lang, _rules, _pseudo, _terms, _mk in (("en", _EN, _EN_PSEUDO, _EN_TERM, _en_regex),
                                          ("zh", _ZH, _ZH_PSEUDO, _ZH_TERM, _zh_regex)):
    _RULES.append((_lang, "pseudo", "pseudo", _mk(_pseudo)))
    for _cat in (NEGATED, POSSIBLE, HISTORY, FAMILY):
        for _dir in ("pre", "post"):
            _ph = [p for c, d, p in _rules if c == _cat and d == _dir]
            if _ph:
                _RULES.append((_lang, _cat, _dir, _mk(_ph)))
        _RULES.append((_lang, _cat, "term", _mk(_terms[_cat])))


# Review-of-systems answers: "Fever: no.", "Chest pain - denies,", 发热：无。 — a
# post-negation only when the answer closes the clause ("ROS: no fever" is a pre-cue).
_RULES.append(("en", NEGATED, "post", re.compile(
    r"[:\-–]\s*(?:no|none|negative|neg|absent|denies|denied|nil)(?=\s*(?:[,.;\n]|$))|"
    r"\((?:-|neg|negative)\)", re.IGNORECASE)))
_RULES.append(("zh", NEGATED, "post", re.compile(
    r"[：:]\s*(?:无|否|阴性|没有|未见)(?=\s*(?:[，,。；;\n]|$))")))

# A relative who tells the history or brings the patient is an informant, not a relative
# with the finding: "brought in by her daughter: confused", 女儿代诉：糊涂.
_REL_EN = (r"(?:mother|father|daughter|son|wife|husband|partner|sister|brother|parents?|family|"
           r"carer|caregiver|grandmother|grandfather|mum|mom|dad|relatives?)")
_RULES.append(("en", "pseudo", "pseudo", re.compile(
    rf"(?<![\w/])(?:brought(?:\s+in)?\s+by|accompanied\s+by|per|according\s+to|"
    rf"history\s+(?:from|given\s+by)|collateral\s+(?:history\s+)?from)\s+"
    rf"(?:(?:his|her|the|their)\s+)?{_REL_EN}(?![\w/])|"
    rf"(?<![\w/])(?:(?:his|her|the)\s+)?{_REL_EN}\s+(?:reports?|says|said|states?|stated|"
    rf"noticed|notes|thinks|is\s+worried|was\s+worried|found)(?![\w/])", re.IGNORECASE)))
_RULES.append(("zh", "pseudo", "pseudo", re.compile(
    r"(?:女儿|儿子|母亲|父亲|家属|家长|妻子|丈夫|父母|其女|其子|其母|其父|子女|老伴)"
    r"(?:代诉|代述|诉|述|发现|陪同|陪诊|送来|送入|送至|叙述)")))


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at 。！？；;\\n and a full stop before a space."""
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        out.append((start, m.end()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def find_cues(text: str, protected: list[tuple[int, int]]) -> list[Cue]:
    """All cues in ``text``, leaving out those inside ``protected`` spans (concepts,
    vitals) and those covered by a pseudo-cue or a longer cue."""
    cues: list[Cue] = []
    pseudo: list[tuple[int, int]] = []
    for lang, cat, direction, rx in _RULES:
        for m in rx.finditer(text):
            if direction == "pseudo":
                pseudo.append((m.start(), m.end()))
            else:
                cues.append(Cue(cat, direction, m.start(), m.end(), lang))
    blocked = protected + pseudo

    def inside(c: Cue) -> bool:
        return any(s < c.end and c.start < e for s, e in blocked)

    kept = [c for c in cues if not inside(c)]
    # a cue inside a longer cue (有 in 没有, 史 in 家族史) is part of that cue
    return [c for c in kept if not any(
        r.start <= c.start and c.end <= r.end and (r.end - r.start) > (c.end - c.start)
        for r in kept if r.direction != "term")]


def _blocked(cat: str, lo: int, hi: int, cues: list[Cue], lang: str) -> bool:
    return any(c.category == cat and c.direction == "term" and c.lang == lang
               and lo <= c.start and c.end <= hi for c in cues)


def classify(text: str, start: int, end: int, cues: list[Cue]) -> set[str]:
    """Context categories of the mention ``text[start:end]``."""
    s0, s1 = next(((a, b) for a, b in sentences(text) if a <= start < b), (0, len(text)))
    found: set[str] = set()
    for c in cues:
        if c.direction not in ("pre", "post") or not (s0 <= c.start < s1):
            continue
        # "red eyes without discharge, cracked lips": "without" negates its own phrase
        if c.direction == "pre" and c.lang == "en" and c.category == NEGATED and \
                text[c.start:c.end].lower() == "without" and "," in text[c.end:start]:
            continue
        if c.direction == "pre" and c.end <= start:
            if not _blocked(c.category, c.end, start, cues, c.lang):
                found.add(c.category)
        elif c.direction == "post" and c.start >= end and not _blocked(
                c.category, end, c.start, cues, c.lang):
            # backward scope of English post-cues: a few words only
            if c.lang == "en" and len(text[end:c.start].split()) > 6:
                continue
            found.add(c.category)
    return found
