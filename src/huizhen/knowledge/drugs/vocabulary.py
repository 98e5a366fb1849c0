"""The drug vocabulary: what a doctor writes -> active ingredients with DrugBank ids.

Sources, merged by priority (an earlier source wins a contested name):
1. ``names.csv``   abbreviations and combination brands (ISMP, BNF, labels);
2. ``zh_names.csv`` Chinese approved generic names (ChP 2020 / NEML 2018);
3. DrugBank open vocabulary (CC0) common names;
4. drug-named-entity-recognition (MIT) English variants and brands;
5. DrugBank synonyms (INN in several languages, codes).

The merged index is pickled into the user cache keyed on the data files, so a
warm start is a single ``pickle.load``.  Salts that DrugBank lists as their
own entries (lithium carbonate, fluticasone propionate) are linked to their
parent moiety so that rules written for either apply to both.
"""

from __future__ import annotations

import bz2
import csv
import difflib
import gzip
import hashlib
import importlib.util
import pickle
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from huizhen.errors import KnowledgeError
from huizhen.knowledge.drugs.normalise import (
    FORM_WORDS,
    SALT_WORDS,
    fold,
    has_cjk,
    strip_salts,
    strip_zh,
)
from huizhen.paths import PACKAGE_DATA, cache_dir
from huizhen.patient.model import Code, CodeSystem, Ingredient

DRUG_DATA = PACKAGE_DATA / "drugs"
#: Names whose resolution is remembered per vocabulary (see ``Vocabulary._resolve``).
_RESOLVED_MAX = 20_000
_FORMAT = 7  # bump when the pickled layout changes

#: Extra words (esters, prodrug suffixes) that separate a salt entry from its parent.
_PARENT_WORDS = SALT_WORDS | {"disoproxil", "etexilate", "mofetil", "axetil", "pivoxil", "cation",
                              "anhydrous", "ion"}

#: Single words that are drug synonyms in DrugBank but ordinary words in notes.
_MENTION_STOP = frozenset(
    ["water", "oxygen", "air", "alcohol", "sugar", "salt", "iron", "zinc", "gold", "silver", "copper", "lead", "tin", "fat", "fiber", "fibre", "sodium", "potassium", "calcium", "magnesium", "chloride", "phosphate", "acid", "vitamin", "tea", "coffee", "milk", "ice", "glucose", "dextrose", "sucrose", "starch", "protein", "oil", "wax", "carbon", "nitrogen", "sulfur", "sulphur", "ethanol", "blood", "plasma", "serum", "urine", "saline", "lactose", "gelatin", "talc", "honey", "coal", "tar", "yeast", "cell", "gas", "lime", "chalk", "clay", "soap", "sand", "sea", "aloe", "mint", "lemon", "orange", "apple", "rice", "corn", "soy", "egg", "fish", "meat", "honey", "ginger", "garlic", "pepper", "hope", "may", "will", "can", "all", "one", "two", "tab", "cap", "ace",
     # laboratory analytes and exposures that DrugBank lists but notes mention as results
     "urea", "creatinine", "cholesterol", "hemoglobin", "haemoglobin", "lactate", "lactic acid",
     "uric acid", "bilirubin", "ferritin", "albumin", "tobacco", "ammonia", "bicarbonate",
     "triglycerides", "phosphorus"]
)
_SALT_SUFFIXES = ("acetate", "hydrochloride", "sodium", "sulfate", "citrate", "phosphate",
                  "maleate", "tartrate", "mesylate", "potassium", "calcium", "bromide", "fumarate")
_UNIT_WORDS = frozenset({"mg", "g", "mcg", "ug", "ml", "l", "iu", "unit", "units", "meq", "mmol"})
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")
_COMBO_SPLIT = re.compile(r"\s*(?:/|\+|&|,|;|\band\b|\bwith\b|、|和|及)\s*")


@dataclass(frozen=True, slots=True)
class DrugMention:
    """A drug name found in free text, with the ingredients it stands for."""

    start: int
    end: int
    text: str
    ingredients: list[Ingredient] = field(default_factory=list)


@dataclass(slots=True)
class _Index:
    """Everything the vocabulary needs, built once and pickled."""

    names: dict[str, tuple[str, ...]]  # folded name -> ingredient ids
    mention_ok: set[str]  # keys allowed to match inside free text
    display: dict[str, str]  # id -> preferred name
    parent: dict[str, str]  # salt id -> parent moiety id
    zh_display: dict[str, str]  # id -> Chinese name
    preferred: list[str]  # names offered as suggestions
    max_en_tokens: int
    max_zh_len: int


class Vocabulary:
    """Normalise drug names, find them in text, suggest close matches."""

    def __init__(self, index: _Index, version: str) -> None:
        self._ix = index
        self.version = version
        self._first_tokens = {k.split(" ")[0] for k in index.mention_ok if not has_cjk(k)}
        self._by_len: dict[int, list[str]] = {}
        for name in index.preferred:
            self._by_len.setdefault(len(name), []).append(name)

    # -- lookups -----------------------------------------------------------
    def ingredient(self, drug_id: str) -> Ingredient:
        """The ``Ingredient`` for a DrugBank id (display name, DrugBank code)."""
        return Ingredient(
            name=self._ix.display.get(drug_id, drug_id),
            drugbank_id=drug_id,
            codes=[Code(CodeSystem.DRUGBANK, drug_id, self._ix.display.get(drug_id))],
        )

    def name_of(self, drug_id: str) -> str:
        return self._ix.display.get(drug_id, drug_id)

    def zh_name_of(self, drug_id: str) -> str | None:
        return self._ix.zh_display.get(self.parent(drug_id)) or self._ix.zh_display.get(drug_id)

    def parent(self, drug_id: str) -> str:
        """The parent moiety id of a salt entry (itself when it has none)."""
        return self._ix.parent.get(drug_id, drug_id)

    def lookup_ids(self, name: str) -> tuple[str, ...]:
        """Ingredient ids for a name, or ``()``; exact folded match plus salt stripping."""
        key = fold(name)
        ids = self._ix.names.get(key)
        if ids:
            return ids
        variants = strip_zh(key) if has_cjk(key) else strip_salts(key)
        for v in variants:
            ids = self._ix.names.get(v)
            if ids:
                return ids
        if not has_cjk(key):  # DrugBank lists some drugs only as a salt: "megestrol acetate"
            for salt in _SALT_SUFFIXES:
                ids = self._ix.names.get(f"{key} {salt}")
                if ids:
                    return ids
        return ()

    def normalise(self, name: str) -> list[Ingredient]:
        """Ingredients of what was written; ``[]`` when unrecognised (never a guess)."""
        ids = self._resolve(name)
        return [self.ingredient(i) for i in ids]

    def _resolve(self, name: str) -> tuple[str, ...]:
        """Memoised: the vocabulary never changes after it is built, a name always resolves
        to the same ids, and a medication list repeats the same few names on every call
        (folding and the free-text fallback cost ~1 ms a name)."""
        memo: dict[str, tuple[str, ...]] | None = self.__dict__.get("_resolved")
        if memo is None:
            memo = self.__dict__.setdefault("_resolved", {})
        ids = memo.get(name)
        if ids is None:
            ids = self._resolve_uncached(name)
            if len(memo) >= _RESOLVED_MAX:
                memo.clear()  # bounded: free text from many callers must not grow it forever
            memo[name] = ids
        return ids

    def _resolve_uncached(self, name: str) -> tuple[str, ...]:
        if not name or not name.strip():
            return ()
        ids = self.lookup_ids(name)
        if not ids and has_cjk(name):
            ids = self.lookup_ids(_to_simplified(name))
        if not ids:
            parts = [p for p in _COMBO_SPLIT.split(fold(name)) if p]
            if len(parts) > 1:
                found = [self.lookup_ids(p) for p in parts]
                if all(found):
                    ids = tuple(i for f in found for i in f)
        if not ids:
            ids = tuple(i for m in self._mentions(name) for i in m[3])
        return tuple(dict.fromkeys(ids))

    # -- free text ---------------------------------------------------------
    def find_mentions(self, text: str) -> list[DrugMention]:
        """Drug names in English or Chinese text, longest match first, in text order."""
        return [
            DrugMention(s, e, text[s:e], [self.ingredient(i) for i in ids])
            for s, e, _k, ids in self._mentions(text)
        ]

    def _mentions(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        found: list[tuple[int, int, str, tuple[str, ...]]] = []
        names, ok = self._ix.names, self._ix.mention_ok
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        i = 0
        while i < len(words):
            first = fold(text[words[i][0]:words[i][1]])
            if first not in self._first_tokens:
                i += 1
                continue
            hit = None
            for n in range(min(self._ix.max_en_tokens, len(words) - i), 0, -1):
                s, e = words[i][0], words[i + n - 1][1]
                key = fold(text[s:e])
                if key in ok and key in names:
                    hit = (s, e, key, names[key], n)
                    break
            if hit:
                found.append(hit[:4])
                i += hit[4]
            else:
                i += 1
        if has_cjk(text):
            found.extend(self._zh_mentions(text))
            found.sort(key=lambda m: m[0])
        return found

    def _zh_mentions(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        out: list[tuple[int, int, str, tuple[str, ...]]] = []
        names, ok, top = self._ix.names, self._ix.mention_ok, self._ix.max_zh_len
        simplified = _to_simplified(text)
        if len(simplified) != len(text):
            simplified = text
        for run in _CJK_RUN.finditer(simplified):
            if not has_cjk(run.group()):
                continue
            pos, end = run.start(), run.end()
            while pos < end:
                hit = None
                for ln in range(min(top, end - pos), 1, -1):
                    key = fold(simplified[pos:pos + ln])
                    if key in ok and key in names:
                        hit = (pos, pos + ln, key, names[key])
                        break
                if hit:
                    out.append(hit)
                    pos = hit[1]
                else:
                    pos += 1
        return out

    # -- unknown names -----------------------------------------------------
    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Close matches for an unknown name (edit similarity over preferred names)."""
        key = fold(name)
        # "Simvistatin 10 MG tablet" -> "simvistatin": doses, units and forms are not the name.
        words = [w for w in key.split(" ") if w and not any(c.isdigit() for c in w)
                 and w not in FORM_WORDS and w not in SALT_WORDS and w not in _UNIT_WORDS]
        key = " ".join(words) or key
        if not key:
            return []
        if has_cjk(key):
            pool = [n for n in self._ix.preferred if has_cjk(n) and set(n) & set(key)]
        else:
            pool = [n for ln in range(max(1, len(key) - 3), len(key) + 4)
                    for n in self._by_len.get(ln, ()) if n[:1] == key[:1] or n[-3:] == key[-3:]]
        return difflib.get_close_matches(key, pool, n=limit, cutoff=0.6)


def _to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC), so 華法林 finds 华法林."""
    return _opencc().convert(text)


@lru_cache(maxsize=1)
def _opencc():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


# -- building ------------------------------------------------------------------
def _data_files() -> list[Path]:
    return [DRUG_DATA / n for n in ("drugbank_vocabulary.tsv.gz", "zh_names.csv", "names.csv")] + [
        _ner_path()
    ]


def _ner_path() -> Path:
    # find_spec locates the package without importing it (its import loads the whole dictionary).
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or spec.origin is None:
        raise KnowledgeError("the drug-named-entity-recognition package is not installed")
    return Path(spec.origin).parent / "drug_ner_dictionary.pkl.bz2"


def _fingerprint() -> str:
    h = hashlib.sha1(str(_FORMAT).encode())
    for p in _data_files():
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


def _build() -> _Index:
    names: dict[str, tuple[str, ...]] = {}
    mention_ok: set[str] = set()
    display: dict[str, str] = {}
    zh_display: dict[str, str] = {}
    preferred: list[str] = []

    def put(key: str, ids: tuple[str, ...], *, mention: bool) -> None:
        if not key or not ids or key in names:
            return
        names[key] = ids
        if mention and key not in _MENTION_STOP and (len(key) >= 4 or has_cjk(key)):
            mention_ok.add(key)

    for fname in ("names.csv", "zh_names.csv"):
        with open(DRUG_DATA / fname, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                row_ids = tuple(row["drugbank_ids"].split("+"))
                key = fold(row["name"])
                put(key, row_ids, mention=True)
                if has_cjk(key):
                    preferred.append(key)
                    if len(row_ids) == 1:
                        zh_display.setdefault(row_ids[0], row["name"])
                elif len(key) <= 4:  # abbreviations match in text only as written
                    mention_ok.add(key)

    synonyms: list[tuple[str, str]] = []
    with gzip.open(DRUG_DATA / "drugbank_vocabulary.tsv.gz", "rt", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            did, name, syns = line.rstrip("\n").split("\t")
            display[did] = name
            key = fold(name)
            put(key, (did,), mention=True)
            preferred.append(key)
            if key.endswith((" cation", " ion")):  # "Lithium cation" is what "lithium" means
                put(key.rsplit(" ", 1)[0], (did,), mention=True)
            synonyms.extend((fold(s), did) for s in syns.split("|") if s)

    with bz2.open(_ner_path(), "rb") as zfh:
        ner = pickle.load(zfh)
    canon = ner["drug_canonical_to_data"]
    for variant, canonicals in ner["drug_variant_to_canonical"].items():
        ids: list[str] = []
        for c in canonicals:
            data = canon.get(c, {})
            by_name = names.get(fold(c))
            if by_name:  # the canonical is a DrugBank name: trust DrugBank's id for it
                ids.extend(by_name)
            elif data.get("drugbank_id"):
                ids.append(data["drugbank_id"])
            else:  # a combination product: resolve each named part
                parts = [p for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", c) if p]
                part_ids = [names.get(fold(p)) for p in parts]
                if len(parts) > 1 and all(part_ids):
                    ids.extend(i for p in part_ids if p for i in p)
        if ids:
            put(fold(variant), tuple(dict.fromkeys(ids)), mention=True)

    # Synonyms last; a synonym shared by several drugs is ambiguous and dropped.
    owners: dict[str, set[str]] = {}
    for key, did in synonyms:
        owners.setdefault(key, set()).add(did)
    for key, dids in owners.items():
        if len(dids) != 1 or key in names:
            continue
        did = next(iter(dids))
        # "verapamil hydrochloride" listed under dexverapamil must not hide verapamil: a salt
        # synonym whose base name is another drug's name is left to salt stripping.
        base = strip_salts(key)
        if base and base[-1] in names and names[base[-1]] != (did,):
            continue
        put(key, (did,), mention=len(key) >= 5)

    parent: dict[str, str] = {}
    for did, name in display.items():
        words = fold(name).split(" ")
        while len(words) > 1 and words[-1] in _PARENT_WORDS:
            words = words[:-1]
            found = names.get(" ".join(words))
            if found and len(found) == 1 and found[0] != did:
                parent[did] = found[0]
                break
    max_en = max(len(k.split(" ")) for k in mention_ok if not has_cjk(k))
    max_zh = max(len(k) for k in mention_ok if has_cjk(k))
    return _Index(names, mention_ok, display, parent, zh_display, sorted(set(preferred)),
                  min(max_en, 8), max_zh)


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The vocabulary, built on first use and cached on disk (``HUIZHEN_CACHE_DIR``)."""
    fp = _fingerprint()
    path = cache_dir() / f"drug-vocabulary-{fp}.pkl"
    index: _Index | None = None
    if path.exists():
        try:
            with open(path, "rb") as fh:
                index = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            index = None
    if index is None:
        index = _build()
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return Vocabulary(index, version=fp)
