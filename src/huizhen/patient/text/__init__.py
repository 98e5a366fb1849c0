"""Free text (Chinese or English) -> ``Patient``, without a language model.

The pipeline: inline vitals and labs (``vitals``), HPO concepts by longest
dictionary match (``matcher``), their context — negated, hedged, history,
family — by ConText rules (``context``), drug mentions (``drugs``), and the
demographics a note usually opens with ("45-year-old man", 男，45岁).  Every
item keeps its character span in the note.
"""

from __future__ import annotations

import re
from typing import Any

from huizhen.knowledge.drugs import load_vocabulary
from huizhen.patient.medication import dose_in
from huizhen.patient.model import (
    Allergy,
    Code,
    CodeSystem,
    Finding,
    Medication,
    Patient,
    Sex,
    Span,
    Unparsed,
)
from huizhen.patient.text.context import FAMILY, HISTORY, NEGATED, POSSIBLE, classify, find_cues
from huizhen.patient.text.matcher import Mention, find_mentions, simplified
from huizhen.patient.text.vitals import find_vitals, spans

_CJK = re.compile(r"[\u3400-\u9fff]")
_ALLERGY_HPO = "HP:0012393"
_PAIN = "HP:0012531"
_AGE_EN = re.compile(
    r"\b(\d{1,3})[- ]?(?:year|yr)s?[- ]old\s+(?:(?:african|asian|white|black|caucasian|hispanic|"
    r"chinese)\s+)?(man|woman|male|female|boy|girl|lady|gentleman|gent)?|"
    r"\b(\d{1,3})\s*(?:yo|y/o|y\.o\.)\s*(m|f|male|female|man|woman|boy|girl)?\b|"
    r"\b(\d{1,3})\s*(M|F)\b", re.IGNORECASE)
_AGE_ZH_ONLY = re.compile(r"(\d{1,2})\s*(?:月龄|个月大|个月的?(?=婴|患儿|男婴|女婴|宝宝|小儿))|"
                          r"^.{0,12}?(\d{1,3})\s*岁(?!时|起|前|后|开始|以前|以后|左右|初潮)")
_AGE_MONTHS_EN = re.compile(r"\b(\d{1,2})[- ]?months?[- ]old\b", re.IGNORECASE)
_SEX_EN = {"man": Sex.MALE, "male": Sex.MALE, "boy": Sex.MALE, "gentleman": Sex.MALE,
           "gent": Sex.MALE, "m": Sex.MALE, "woman": Sex.FEMALE, "female": Sex.FEMALE,
           "girl": Sex.FEMALE, "lady": Sex.FEMALE, "f": Sex.FEMALE}
_SEX_WORD_EN = re.compile(r"\b(he|his|him|she|her|hers)\b", re.IGNORECASE)
_AGE_ZH = re.compile(r"(男|女)(?:性|孩|童|婴|患者|患儿)?\s*[，,、\s]?\s*(\d{1,3})\s*(岁|个月|月龄)|"
                     r"(\d{1,3})\s*(岁|个月)\s*(?:的)?\s*(男|女)")
_PREG = re.compile(r"\bpregnant\b|\bpregnancy\b|\b(?:G\d+P\d+)\b.{0,20}?\b(\d{1,2})\s*(?:weeks?|/40)|"
                   r"妊娠|怀孕|孕\s*(\d{1,2})\s*(?:\+\s*\d)?\s*周|孕期", re.IGNORECASE)
#: Gestational age wherever it is written ("怀孕20周", "孕32+3周", "妊娠12周", "20 weeks pregnant",
#: "28 weeks' gestation", "GA 30 weeks", "G2P1 at 34/40"), read apart from the pregnancy cue so
#: that "怀孕" matching first does not hide the weeks.
_GEST = re.compile(r"(?:怀孕|妊娠|孕)\s*(\d{1,2})\s*(?:\+\s*\d)?\s*周|"
                   r"(\d{1,2})\s*(?:\+\s*\d)?\s*周\s*(?:妊娠|孕)|"
                   r"\b(\d{1,2})\s*(?:\+\s*\d\s*)?weeks?'?\s*(?:pregnant|gestation|of gestation|of pregnancy)\b|"
                   r"\b(?:gestational age|gestation|GA)\s*(?:of\s*|:\s*)?(\d{1,2})\s*(?:weeks?|w)\b|"
                   r"\bG\d+P\d+\b.{0,20}?\b(\d{1,2})\s*(?:weeks?|/40)", re.IGNORECASE)
_LACT = re.compile(r"\bbreast-?feeding\b|\blactating\b|\bnursing mother\b|哺乳期|哺乳中|母乳喂养中",
                   re.IGNORECASE)
_ALLERGY_EN = re.compile(r"\ballerg(?:y|ies|ic)\b", re.IGNORECASE)
_ALLERGY_EN_LIST = re.compile(r"\b(?:allergic to|allergy to|allergies to|allergies:|"
                              r"allergic reactions? to)\s+([^.;\n]+)", re.IGNORECASE)
_ALLERGY_EN_ONE = re.compile(r"\b([A-Za-z][A-Za-z\-]{2,30})\s+allerg(?:y|ies)\b", re.IGNORECASE)
_NOT_SUBSTANCE = {"no", "known", "drug", "drugs", "food", "foods", "medication", "medications",
                  "seasonal", "nkda", "nka", "none", "any", "other", "multiple"}
_STOPPED = re.compile(r"\b(?:stopped|discontinued|d/c'?d|ceased|came off|off)\b|停用|已停|停服|停药",
                      re.IGNORECASE)
_PROPOSED = re.compile(r"\b(?:start|begin|commence|initiate|prescribe|plan|will give|consider|"
                       r"recommend|add)\b|给予|予以|拟|计划|建议|加用|处理[:：]", re.IGNORECASE)
_ALLERGY_ZH = re.compile(r"(?:对)?([\u4e00-\u9fffA-Za-z]{2,10}?)(?:类)?(?:药物)?过敏")


def detect_lang(text: str) -> str:
    """"zh" when at least a fifth of the letters are CJK characters, else "en"."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for ch in letters if _CJK.match(ch))
    return "zh" if cjk / len(letters) >= 0.2 else "en"


def _demographics(text: str, p: Patient) -> None:
    m = _AGE_ZH.search(text)
    if m:
        if m.group(1):
            sex, n, unit = m.group(1), m.group(2), m.group(3)
        else:
            n, unit, sex = m.group(4), m.group(5), m.group(6)
        p.sex = Sex.MALE if sex == "男" else Sex.FEMALE
        p.age_years = float(n) if unit == "岁" else round(float(n) / 12, 2)
    m = _AGE_ZH_ONLY.search(text)
    if m and p.age_years is None:
        p.age_years = round(float(m.group(1)) / 12, 2) if m.group(1) else float(m.group(2))
    m = _AGE_EN.search(text)
    if m and p.age_years is None:
        n = m.group(1) or m.group(3) or m.group(5)
        word = (m.group(2) or m.group(4) or m.group(6) or "").lower()
        p.age_years = float(n)
        if word in _SEX_EN:
            p.sex = _SEX_EN[word]
    m = _AGE_MONTHS_EN.search(text)
    if m and p.age_years is None:
        p.age_years = round(float(m.group(1)) / 12, 2)
    if p.sex is Sex.UNKNOWN:
        words = [w.lower() for w in _SEX_WORD_EN.findall(text)]
        male = sum(w in ("he", "his", "him") for w in words)
        female = sum(w in ("she", "her", "hers") for w in words)
        if male != female and (male == 0 or female == 0):
            p.sex = Sex.MALE if male else Sex.FEMALE
    m = _PREG.search(text)
    if m:
        cues = find_cues(text, [])
        if NEGATED not in classify(text, m.start(), m.end(), cues):
            p.pregnant = True
            g = _GEST.search(text)
            weeks = next((w for w in g.groups() if w), None) if g else None
            if weeks and 1 <= int(weeks) <= 45:
                p.gestational_weeks = float(weeks)


def _english_allergies(text: str, p: Patient) -> None:
    """"Allergic to penicillin and sulfa", "latex allergy": substances the drug
    vocabulary may not know (classes, foods, latex) are still recorded."""
    have = {a.substance.lower() for a in p.allergies}
    found: list[tuple[int, str]] = []
    for m in _ALLERGY_EN_LIST.finditer(text):
        offset = m.start(1)
        for part in re.finditer(r"[^,/]+", m.group(1)):
            for piece in re.split(r"\b(?:and|or)\b", part.group()):
                sub = piece.strip(" ()")
                if sub and len(sub) <= 40:
                    found.append((offset + m.group(1).find(sub), sub))
    for m in _ALLERGY_EN_ONE.finditer(text):
        found.append((m.start(1), m.group(1)))
    for start, sub in found:
        words = sub.lower().split()
        if not words or words[0] in _NOT_SUBSTANCE or sub.lower() in have:
            continue
        if NEGATED in classify(text, start, start + len(sub), find_cues(text, [])):
            continue
        have.add(sub.lower())
        p.allergies.append(Allergy(substance=sub, source=Span(start=start, end=start + len(sub),
                                                              text=sub)))


def _clause(text: str, start: int, end: int, stops: str) -> str:
    """The stretch of ``text`` around ``start:end`` between two stop characters."""
    lo = max((text.rfind(ch, 0, start) for ch in stops), default=-1) + 1
    ends = [i for i in (text.find(ch, end) for ch in stops) if i >= 0]
    return text[lo:min(ends) if ends else len(text)]


def _lactation(text: str, p: Patient) -> None:
    m = _LACT.search(text)
    if m and NEGATED not in classify(text, m.start(), m.end(), find_cues(text, [])):
        p.lactating = True


def _drop_subsumed(mentions: list[Mention], text: str, hpo: Any) -> list[Mention]:
    """Mentions that are part of another finding's phrase.  Bare "pain" written as
    an attribute of another finding ("painful mouth ulcers", 口腔溃疡疼痛) is not a
    finding of its own.  In English, a mention of a general term written right next to a mention of a
    more specific one (only a space between) is part of the same phrase, not a
    finding of its own: "cramping abdominal | pain" (abdominal pain, not also pain).
    Not in Chinese, where terms follow each other without spaces (咳嗽咳痰 states
    both cough and productive cough)."""
    keep = []
    for m in mentions:
        if m.hpo_id == _PAIN and any(
                n is not m and n.hpo_id != _PAIN and not _CJK.search(text[n.start:n.end])
                and re.fullmatch(r"\s*", text[m.end:n.start]) for n in mentions):
            continue  # "painful mouth ulcers": the pain is said of the ulcers
        if m.hpo_id == _PAIN and any(
                n is not m and _CJK.search(n.text) and n.end == m.start for n in mentions):
            continue  # 口腔溃疡疼痛: the same, in Chinese word order
        if not _CJK.search(m.text) and any(n is not m and not _CJK.search(n.text) and n.hpo_id != m.hpo_id and hpo.is_ancestor(m.hpo_id, n.hpo_id)
               and not re.search(r"[^\s\-]", text[min(m.end, n.end):max(m.start, n.start)])
               for n in mentions):
            continue
        keep.append(m)
    return keep


def _certainty(ctx: set[str]) -> str:
    if FAMILY in ctx:
        return "family"
    if POSSIBLE in ctx:
        return "possible"
    if HISTORY in ctx:
        return "history"
    return "confirmed"


def read_text(text: str, *, lang: str | None = None, source: str = "text") -> Patient:
    """Parse a clinical note into a ``Patient`` (derived facts not yet computed)."""
    from huizhen.knowledge.hpo import load_hpo

    hpo = load_hpo()
    p = Patient(text=text, lang=lang or detect_lang(text), source=source)
    stext = simplified(text)  # same length: spans stay valid; 無 is read as 无
    _demographics(stext, p)
    _lactation(stext, p)
    p.measurements, bad = find_vitals(stext)
    p.unparsed.extend(bad)
    vspans = spans(p.measurements) + [(u.source.start, u.source.end) for u in bad
                                      if u.source and u.source.start is not None
                                      and u.source.end is not None]
    mentions = _drop_subsumed([m for m in find_mentions(text)
                               if not any(s < m.end and m.start < e for s, e in vspans)],
                              text, hpo)
    drugs = [d for d in sorted(load_vocabulary().find_mentions(text), key=lambda d: d.start)
             if not any(d.start < m.end and m.start < d.end for m in mentions)]
    protected = [(m.start, m.end) for m in mentions] + vspans + [(d.start, d.end) for d in drugs]
    cues = find_cues(stext, protected)
    contexts = []
    for m in mentions:
        ctx = classify(stext, m.start, m.end, cues)
        if m.negated:
            ctx.add(NEGATED)
        contexts.append(ctx)
    # "chest pain for 40 minutes ... No previous chest pain": a denial of the past does
    # not exclude what the note says is present now
    now = {m.hpo_id for m, ctx in zip(mentions, contexts) if not ctx & {NEGATED, FAMILY}}
    for m, ctx in zip(mentions, contexts):
        if NEGATED in ctx and HISTORY in ctx and m.hpo_id in now:
            continue
        p.findings.append(Finding(
            label=hpo.name(m.hpo_id), code=Code(CodeSystem.HPO, m.hpo_id, hpo.name(m.hpo_id)),
            present=NEGATED not in ctx, certainty=_certainty(ctx), origin="text",
            source=Span(start=m.start, end=m.end, text=m.text)))
    for d in drugs:
        ctx = classify(stext, d.start, d.end, cues)
        if FAMILY in ctx:
            continue
        span = Span(start=d.start, end=d.end, text=d.text)
        if _ALLERGY_EN.search(_clause(stext, d.start, d.end, ".;\n")) or \
                "过敏" in _clause(stext, d.start, d.end, "，,。；;\n"):
            if NEGATED not in ctx:
                p.allergies.append(Allergy(substance=d.text, category="medication", source=span))
            continue
        lead = _clause(stext, d.start, d.end, ",，.。;；\n")
        stopped = HISTORY in ctx or bool(_STOPPED.search(lead))
        # "start amoxicillin", 给予头孢曲松: a drug proposed in this sentence, not taken yet
        before = stext[max(stext.rfind(ch, 0, d.start) for ch in ".。;；\n") + 1:d.start]
        status = "not-taken" if NEGATED in ctx else "stopped" if stopped else \
            "proposed" if _PROPOSED.search(before) else "active"
        med = Medication(written=d.text, ingredients=d.ingredients, source=span, status=status)
        # dose and frequency written right after the name, up to the end of the clause
        tail = re.split(r"[，,。;；\n]|\.(?!\d)", stext[d.end:d.end + 40], maxsplit=1)[0]
        med.dose_value, med.dose_unit, med.frequency, med.per_day = dose_in(tail)
        if med.dose_value is not None and med.dose_value < 0:
            med.dose_value = None
        p.medications.append(med)
    _english_allergies(stext, p)
    for am in _ALLERGY_ZH.finditer(stext):
        sub = re.sub(r"^(对|有|既往|患者|曾)+", "", am.group(1))
        if not sub or sub in ("药物", "食物", "无", "否认") or any(
                a.source and a.source.start is not None and am.start() <= a.source.start < am.end()
                for a in p.allergies):
            continue
        if NEGATED in classify(stext, am.start(), am.end(), find_cues(stext, [])) or \
                re.search(r"(无|否认|没有)", stext[max(0, am.start() - 4):am.start() + 2]):
            continue
        start = am.start(1) + am.group(1).find(sub)
        p.allergies.append(Allergy(substance=sub, source=Span(start=start, end=start + len(sub),
                                                              text=sub)))
    if p.allergies:  # "allergic to X" is recorded as an allergy, not as the finding Allergy
        allergy = hpo.descendants(_ALLERGY_HPO)
        p.findings = [f for f in p.findings if f.code is None or f.code.code not in allergy]
    _list_unread(stext, p)
    return p


_CLAUSE = re.compile(r"[^。！？!?；;\n，,]+")
_SENTENCE = re.compile(r"[^;\n]+?(?:\.(?=\s|$)|$|(?=[;\n]))")
_MEANINGFUL = re.compile(r"[A-Za-z]{3,}.*[A-Za-z]{3,}|[\u3400-\u9fff]{4,}", re.DOTALL)


def _list_unread(text: str, p: Patient) -> None:
    """Every clause (Chinese) or sentence (English) in which nothing at all was
    recognised is listed in ``unparsed``: nothing in a note is dropped silently."""
    used = [(s.start, s.end) for s in (
        [f.source for f in p.findings] + [m.source for m in p.measurements]
        + [m.source for m in p.medications] + [a.source for a in p.allergies])
        if s is not None and s.start is not None and s.end is not None]
    splitter = _CLAUSE if p.lang == "zh" else _SENTENCE
    for m in splitter.finditer(text):
        a, b = m.start(), m.end()
        piece = p.text[a:b].strip() if p.text else m.group().strip()
        if not _MEANINGFUL.search(piece) or any(s < b and a < e for s, e in used):
            continue
        if _AGE_ZH.search(piece) or _AGE_EN.search(piece) or _AGE_ZH_ONLY.search(piece):
            continue
        p.unparsed.append(Unparsed(what=piece[:120], reason="nothing recognised",
                                   source=Span(start=a, end=b, text=piece[:120])))
