"""The dictionary the free-text matcher looks words up in, built from HPO.

Why a dictionary and not a model: it runs offline on two cores, every match is
explainable (this word is this HPO label), and HPO already carries English
labels, synonyms, layperson synonyms and the official Chinese translation.
What HPO lacks — colloquial Chinese (发烧, 拉肚子), clinical shorthand (SOB) —
is in ``huizhen/data/intake/lexicon.tsv``, written by hand from general
clinical usage, which wins over HPO's own synonyms.  Its rows with language
``en-neg`` / ``zh-neg`` state the absence of a term ("afebrile", 体温正常).

Only terms under *Phenotypic abnormality* (HP:0000118) are indexed: the other
HPO branches (mode of inheritance, clinical modifiers such as "Mild" or "Left",
frequency, onset) are words every note uses in another sense.

English keys are token tuples after ``normalise_token`` (case, British
spelling, plurals) with articles and "of" dropped; Chinese keys are Simplified
strings (Traditional input is converted with OpenCC before matching).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from huizhen.paths import PACKAGE_DATA
from huizhen.patient.text.zh_compose import compositions

SUPPLEMENT = PACKAGE_DATA / "intake" / "lexicon.tsv"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
STOPWORDS = frozenset({"the", "a", "an", "of"})
#: The id of supplement rows written "-": a phrase that is no finding ("finger webs").
NO_FINDING = ""
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*|\d+(?:\.\d+)?")
_BRIT = [("oedema", "edema"), ("oesophag", "esophag"), ("haem", "hem"), ("aemia", "emia"),
         ("paed", "ped"), ("dyspnoea", "dyspnea"), ("diarrhoea", "diarrhea"),
         ("orthopnoea", "orthopnea"), ("apnoea", "apnea"), ("tumour", "tumor"),
         ("colour", "color"), ("leucocyt", "leukocyt"), ("leukaem", "leukem"),
         ("foetal", "fetal"), ("oestr", "estr"), ("ischaem", "ischem"), ("anaes", "anes"),
         ("tachypnoea", "tachypnea"), ("hypoxaem", "hypoxem")]


#: Adjectives folded into the noun HPO labels use ("swollen ankles" ~ "ankle swelling").
_DERIVED = {"swollen": "swelling", "aching": "ache", "achy": "ache", "itchy": "itch",
            "itching": "itch", "numb": "numbness", "stiff": "stiffness", "painful": "pain",
            "tender": "tenderness", "enlarged": "enlargement", "unable": "inability",
            "cannot": "inability", "incapable": "inability", "feet": "foot", "teeth": "tooth",
            "weak": "weakness", "incontinent": "incontinence", "agitated": "agitation",
            "urinary": "urine",
            # body-part adjectives -> the body part ("mouth ulcers" ~ "oral ulcers",
            # "drooping of the face" ~ "facial droop")
            "facial": "face", "ocular": "eye", "nasal": "nose", "oral": "mouth",
            "abdominal": "abdomen", "renal": "kidney", "hepatic": "liver", "cardiac": "heart",
            "pulmonary": "lung", "gastric": "stomach", "cutaneous": "skin", "lingual": "tongue",
            "dental": "tooth", "labial": "lip", "palpebral": "eyelid", "muscular": "muscle",
            "articular": "joint", "osseous": "bone", "pedal": "foot", "thoracic": "chest"}


def _stem(w: str) -> str:
    """A light suffix stripper, applied to both the index and the text, so that the
    inflected and derived forms of a word meet: drooping ~ droop, altered ~ alter,
    stretchy ~ stretchable ~ stretch, painful ~ pain, swelling ~ swell.
    Lighter than Porter on purpose: it never touches words of four letters or less,
    and it keeps -ness, -ion, -ity, -ment and -al, which separate HPO terms (dilated /
    dilation are kept together only through their shared stem "dilat")."""
    if len(w) <= 4 or not w.isalpha():
        return w
    if w.endswith("ful") and len(w) >= 6:
        w = w[:-3]
    if w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
        if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in "lsz":
            w = w[:-1]
    elif w.endswith("ed") and not w.endswith("eed") and len(w) >= 5:
        w = w[:-2]
        if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in "lsz":
            w = w[:-1]
    elif w.endswith(("able", "ible")) and len(w) >= 8:
        w = w[:-4]
    elif w.endswith("y") and len(w) >= 5 and w[-2] not in "aeiou":
        w = w[:-1]
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]
    return w


def normalise_token(word: str, *, stem: bool = True) -> str:
    """Lower case, American spelling, singular, light stem: the form both index and
    text use.  One-word terms are indexed and looked up without the stem (``stem=False``):
    alone, "tears" is not "tearing" and "sleeps" is not "sleepy"."""
    w = word.lower().strip("'")
    if w in _DERIVED:
        return _stem(_DERIVED[w]) if stem else _DERIVED[w]
    for brit, us in _BRIT:
        if brit in w:
            w = w.replace(brit, us)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ys")):
        w = w[:-1]
    return _stem(w) if stem else w


def single_key(word: str) -> tuple[str]:
    """The key of a one-word term: normalised, not stemmed."""
    return (normalise_token(word, stem=False),)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(normalised token, start, end) of each word, articles and "of" left out."""
    out = []
    for m in _WORD.finditer(text):
        t = normalise_token(m.group())
        if t not in STOPWORDS:
            out.append((t, m.start(), m.end()))
    return out


@dataclass
class Lexicon:
    """Normalised English token tuples and Chinese strings -> HPO id."""

    release: str
    en: dict[tuple[str, ...], str] = field(default_factory=dict)
    zh: dict[str, str] = field(default_factory=dict)
    en_max: int = 1
    zh_max: int = 1
    #: Keys that state the *absence* of the term ("afebrile", 体温正常).
    negated_en: set[tuple[str, ...]] = field(default_factory=set)
    negated_zh: set[str] = field(default_factory=set)
    #: Word order left out: sorted content words of 2-4 word labels, so "swelling of
    #: the ankles" and "pain in the chest" meet "ankle swelling" and "chest pain".
    en_bag: dict[tuple[str, ...], str] = field(default_factory=dict)
    #: One-word abbreviations (DOE, SOB, AF): matched only when written in capitals, so
    #: that "does" is not DOE and "sob" in a sentence is not dyspnoea.
    en_upper: set[tuple[str, ...]] = field(default_factory=set)


#: Words dropped from a bag key (with STOPWORDS): prepositions that only reorder.
BAG_SKIP = frozenset({"in", "on", "at", "with", "from", "to", "for", "over", "around", "both"})


def bag(words: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The word-order-free key of a phrase."""
    return tuple(sorted(w for w in words if w not in BAG_SKIP))


def _is_abbreviation(label: str) -> bool:
    return label.isupper() and len(label) <= 6 or bool(re.fullmatch(r"[A-Z0-9]{2,6}s?", label))


def _add_en(lex: Lexicon, label: str, hpo_id: str, *, curated: bool,
            negated: bool = False) -> None:
    if not curated and _is_abbreviation(label):
        return  # "ASD", "MI": ambiguous out of context (curated ones are in the supplement)
    toks = tokens(label)
    key = tuple(t for t, _, _ in toks)
    if not key:
        return
    if len(key) == 1:
        word = label[toks[0][1]:toks[0][2]]
        key = single_key(word)
        if curated and _is_abbreviation(word) and key not in lex.en:
            lex.en_upper.add(key)
    if not curated and len(key) == 1 and len(label.strip()) <= 3:
        return
    lex.en.setdefault(key, hpo_id)
    if negated:
        lex.negated_en.add(key)
    lex.en_max = max(lex.en_max, len(key))
    b = bag(key)
    if 2 <= len(b) <= 4 and not negated:
        lex.en_bag.setdefault(b, hpo_id)


def zh_variants(label: str) -> list[str]:
    """A Chinese label and the forms notes write it in: without a bracketed part
    (细长指(趾) -> 细长指, 细长指趾), without a trailing 症 (月经过多症 -> 月经过多) or
    形成 (深静脉血栓形成 -> 深静脉血栓)."""
    from huizhen.knowledge.hpo import normalize_label

    key = normalize_label(label)
    out = [key]
    if re.search(r"[（(].*?[)）]", key):
        out.append(re.sub(r"[（(].*?[)）]", "", key))
        out.append(re.sub(r"[（()）]", "", key))
    for k in list(out):
        if k.endswith("症") and len(k) >= 4:
            out.append(k[:-1])
        if k.endswith("形成") and len(k) >= 5:  # 深静脉血栓形成 -> 深静脉血栓
            out.append(k[:-2])
    return [k for k in dict.fromkeys(out) if len(k) >= 2]


def _add_zh(lex: Lexicon, label: str, hpo_id: str, *, negated: bool = False) -> None:
    for key in zh_variants(label):
        lex.zh.setdefault(key, hpo_id)
        if negated:
            lex.negated_zh.add(key)
        lex.zh_max = max(lex.zh_max, len(key))


def read_supplement() -> list[tuple[str, str, str]]:
    """(hpo_id, lang, term) rows of the curated supplement lexicon."""
    rows = []
    with open(SUPPLEMENT, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(("#", "hpo_id\t")) or not line.strip():
                continue
            hpo_id, lang, term = line.rstrip("\n").split("\t")[:3]
            rows.append((hpo_id, lang, term))
    return rows


@lru_cache(maxsize=1)
def build_lexicon() -> Lexicon:
    """The matcher's dictionary for the installed HPO release: built once, pickled in
    the cache directory under a key of the HPO files and the supplement."""
    from huizhen.knowledge.hpo import (
        VENDORED,
        cached_pickle,
        default_hpo_dir,
        file_digest,
        load_hpo,
    )

    hpo = load_hpo()
    key = file_digest([default_hpo_dir() / "hp.obo", VENDORED / "hp-zh.babelon.tsv", SUPPLEMENT,
                       Path(__file__), Path(__file__).with_name("zh_compose.py")])
    return cached_pickle("intake-lexicon", key, lambda: _build(hpo))  # type: ignore[no-any-return]


def _build(hpo: Any) -> Lexicon:
    lex = Lexicon(release=hpo.release)
    for hpo_id, lang, term in read_supplement():
        # "-": words that are no finding although a label spells them (finger webs, bare
        # 强直); indexed with the empty id, matched like any term, then dropped by the matcher
        cur = NO_FINDING if hpo_id == "-" else hpo.resolve(hpo_id)[0]
        negated = lang.endswith("-neg")
        if lang.startswith("en"):
            _add_en(lex, term, cur, curated=True, negated=negated)
        else:
            _add_zh(lex, term, cur, negated=negated)
    keep = hpo.descendants(PHENOTYPIC_ABNORMALITY)
    keep.discard(PHENOTYPIC_ABNORMALITY)
    ids = sorted(keep)
    # Tiers: primary labels first, then exact synonyms and lay terms, then the rest,
    # so an ambiguous synonym never hides another term's own name.
    for tier in range(3):
        for t in ids:
            term = hpo.terms[t]
            if tier == 0:
                names, zh = [term.name], term.zh
            elif tier == 1:
                names = [s for s, sc in zip(term.synonyms, term.synonym_scopes) if sc == "EXACT"]
                names += term.lay
                zh = []
            else:
                names = [s for s, sc in zip(term.synonyms, term.synonym_scopes)
                         if sc in ("RELATED", "NARROW")]
                zh = []
            for name in names:
                _add_en(lex, name, t, curated=False)
            for name in zh:
                _add_zh(lex, name, t)
    for phrase, label in compositions():
        hpo_id = hpo.lookup_label(label)
        if hpo_id is not None and len(phrase) >= 2:
            _add_zh(lex, phrase, hpo_id)
    _add_zh_synonym_endings(lex)
    return lex


#: Chinese words for "less", "more", "hard to" that notes use interchangeably at the
#: end of a finding (听力下降 / 听力减退 / 听力减低, 尿量减少 / 尿量下降, 白细胞升高 /
#: 白细胞增多, 行走困难 / 行走障碍).  Hand-written from general Chinese clinical usage.
ZH_SYNONYM_ENDINGS: tuple[tuple[str, ...], ...] = (
    ("下降", "减退", "减低", "降低", "减弱", "减少", "低下"),
    ("增多", "增加", "升高", "增高", "过多"),
    ("困难", "障碍", "费力"),
    ("肿大", "增大", "大"),
    ("延迟", "迟缓", "落后", "推迟"),
)


def _add_zh_synonym_endings(lex: Lexicon) -> None:
    """Every Chinese key that ends in one word of a ``ZH_SYNONYM_ENDINGS`` group is
    also indexed with the group's other words, below every key written as such
    (a key that exists keeps its own term)."""
    for key, hpo_id in list(lex.zh.items()):
        if key in lex.negated_zh:
            continue
        for group in ZH_SYNONYM_ENDINGS:
            end = next((w for w in group if key.endswith(w) and len(key) - len(w) >= 2), None)
            if end is None:
                continue
            stem = key[:-len(end)]
            for other in group:
                if other != end and (len(other) >= 2 or len(stem) >= 2):
                    lex.zh.setdefault(stem + other, hpo_id)
                    lex.zh_max = max(lex.zh_max, len(stem + other))
            break
