"""The drug safety knowledge pack: versioned rule tables, loaded once.

Each table in ``data/drugs`` has a documented schema (docs/meds.md)
and a ``source`` on every row.  Rules refer to ingredients by DrugBank id or
to classes by ``class:<id>``; everything is keyed on the *parent moiety* so a
rule written for "lithium" also fires for "lithium carbonate".  Local rules a
hospital imports (``huizhen meds import``) live in the user data directory and
override the pack for the pairs they name.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from huizhen.errors import KnowledgeError
from huizhen.knowledge.drugs.normalise import fold
from huizhen.knowledge.drugs.vocabulary import DRUG_DATA, Vocabulary, load_vocabulary
from huizhen.paths import cache_dir

_PACK_FORMAT = 5  # bump when DrugPack's fields change
LEVELS = ("contraindicated", "major", "moderate", "minor")
RANK = {lv: 4 - i for i, lv in enumerate(LEVELS)}  # contraindicated=4 ... minor=1


@dataclass(frozen=True, slots=True)
class InteractionRule:
    """One interaction between two ingredients or classes."""

    a: str
    b: str
    level: str
    effect: str
    management: str
    source: str
    source_ref: str = ""
    local: bool = False


@dataclass(frozen=True, slots=True)
class DrugRule:
    """A rule about one drug or class: renal band, age, pregnancy, condition, dose, allergy."""

    target: str  # DrugBank id (parent) or class:<id>
    level: str
    management: str
    source: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class DrugPack:
    """All safety knowledge, indexed for the checker."""

    version: str
    vocab: Vocabulary
    class_names: dict[str, str]
    classes_of: dict[str, frozenset[str]]  # parent id -> class keys ("class:...")
    pair_rules: dict[frozenset[str], list[InteractionRule]]
    non_interruptive: set[frozenset[str]]
    renal: dict[str, list[DrugRule]]
    age: dict[str, list[DrugRule]]
    pregnancy: dict[str, list[DrugRule]]
    conditions: dict[str, list[DrugRule]]
    max_dose: dict[str, list[DrugRule]]
    dose_frequency: dict[str, list[DrugRule]]
    allergy_cross: dict[str, list[DrugRule]]  # allergen key -> rules (target = drug key)
    allergy_terms: dict[str, str]  # folded term -> class key
    duplicate_classes: frozenset[str]
    local_source: str | None = None
    rxnorm: dict[str, tuple[str, ...]] = field(default_factory=dict)  # RxCUI -> parent ids
    #: Classes that are one combination product in the source (ANSM's "sulfaméthoxazole +
    #: triméthoprime") whose members the source also grades alone: their rules hold only for a
    #: medication line carrying every member.  (Members the source never names alone — the
    #: hepatitis C pairs — keep the combination's rules: naming one names the product.)
    combinations: dict[str, frozenset[str]] = field(default_factory=dict)
    partner_index: dict[str, frozenset[str]] | None = None
    key_cache: dict[str, frozenset[str]] = field(default_factory=dict)
    reach_cache: dict[str, frozenset[str]] = field(default_factory=dict)

    def partners(self) -> dict[str, frozenset[str]]:
        """key -> keys it has a rule with, so a pair check is a few set intersections."""
        if self.partner_index is None:
            out: dict[str, set[str]] = {}
            for pair in self.pair_rules:
                items = list(pair)
                a, b = items[0], items[-1]
                out.setdefault(a, set()).add(b)
                out.setdefault(b, set()).add(a)
            self.partner_index = {k: frozenset(v) for k, v in out.items()}
        return self.partner_index

    def reach(self, drug_id: str) -> frozenset[str]:
        """Every key some rule pairs with this ingredient or its classes (memoised): one set
        intersection then tells whether two ingredients can interact at all."""
        cache = self.reach_cache
        out = cache.get(drug_id)
        if out is None:
            partners = self.partners()
            acc: set[str] = set()
            for k in self.keys_of(drug_id):
                acc |= partners.get(k, frozenset())
            out = cache[drug_id] = frozenset(acc)
        return out

    def keys_of(self, drug_id: str) -> frozenset[str]:
        """The ingredient's own (parent) id plus every class it belongs to (memoised)."""
        cache = self.key_cache
        keys = cache.get(drug_id)
        if keys is None:
            pid = self.vocab.parent(drug_id)
            keys = cache[drug_id] = self.classes_of.get(pid, frozenset()) | {pid}
        return keys

    def ids_for_code(self, system: str, code: str) -> tuple[str, ...]:
        """The ingredients (parent ids) of a coded medication or allergy, or () when the pack cannot
        read the code: RxNorm ingredient-level codes (data/drugs/rxnorm.csv) and DrugBank ids the
        vocabulary holds; not RxNorm clinical-drug codes, not ATC (no free table)."""
        if system == "RxNorm":
            return self.rxnorm.get(code, ())
        if system == "DrugBank" and self.vocab.name_of(code) != code:
            return (self.vocab.parent(code),)
        return ()

    def class_name(self, key: str) -> str:
        return self.class_names.get(key, key)

    def label(self, key: str) -> str:
        """Readable name for an ingredient id or class key."""
        if key.startswith("class:"):
            return self.class_name(key)
        return self.vocab.name_of(key)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8") as fh:  # type: ignore[operator]
            yield from csv.DictReader(fh)
    except OSError as err:
        raise KnowledgeError(f"cannot read drug knowledge file: {err}", source=str(path)) from err


def _key(vocab: Vocabulary, raw: str, kind: str = "") -> str:
    if kind == "class" or raw.startswith(("ansm:", "hz:")):
        return raw if raw.startswith("class:") else f"class:{raw}"
    if raw.startswith("class:"):
        return raw
    return vocab.parent(raw)


def _drug_rules(vocab: Vocabulary, name: str, extra: tuple[str, ...]) -> dict[str, list[DrugRule]]:
    out: dict[str, list[DrugRule]] = {}
    for row in _rows(DRUG_DATA / name):
        target = row["drug"] if row["drug"].startswith("class:") else vocab.parent(row["drug_id"])
        rule = DrugRule(target, row.get("level", "major"), row.get("management", row.get("note", "")),
                        row["source"], {k: row.get(k, "") for k in extra})
        out.setdefault(target, []).append(rule)
    return out


def load_pack(local_rules: Path | None = None) -> DrugPack:
    """The pack plus, when given (or present in the data dir), the local rules."""
    from huizhen.safety.local import local_rules_path, read_local_rules

    path = local_rules if local_rules is not None else local_rules_path()
    base = _base_pack()
    if not path.exists():
        return base
    pack = DrugPack(**{f: getattr(base, f) for f in base.__dataclass_fields__})
    pack.pair_rules = dict(base.pair_rules)
    for rule in read_local_rules(path):
        key = frozenset((pack.vocab.parent(rule.a), pack.vocab.parent(rule.b)))
        pack.pair_rules[key] = [rule]  # local rules replace the pack's rules for that pair
    pack.local_source = str(path)
    pack.partner_index = None
    pack.key_cache = {}
    pack.reach_cache = {}
    return pack


@lru_cache(maxsize=1)
def _base_pack() -> DrugPack:
    """The pack, read from the user cache when the data files are unchanged."""
    vocab = load_vocabulary()
    h = hashlib.sha1(f"{_PACK_FORMAT}:{vocab.version}".encode())
    for p in sorted(DRUG_DATA.iterdir()):
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    path = cache_dir() / f"drug-pack-{h.hexdigest()[:12]}.pkl"
    if path.exists():
        try:
            with open(path, "rb") as fh:
                pack: DrugPack = pickle.load(fh)
            pack.vocab = vocab
            return pack
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            pass
    pack = _read_pack(vocab)
    pack.vocab = None  # type: ignore[assignment]  # pickled separately (the vocabulary cache)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(pack, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    pack.vocab = vocab
    return pack


def _read_pack(vocab: Vocabulary) -> DrugPack:
    meta = yaml.safe_load((DRUG_DATA / "pack.yaml").read_text(encoding="utf-8"))
    class_names: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    for name in ("classes_ansm.csv.gz", "classes_onc.csv.gz"):
        for row in _rows(DRUG_DATA / name):
            key = f"class:{row['class_id']}"
            class_names.setdefault(key, row["class_name"])
            members.setdefault(vocab.parent(row["drugbank_id"]), set()).add(key)
    for row in _rows(DRUG_DATA / "classes.csv"):
        key = f"class:{row['class_id']}"
        class_names[key] = row["class_name"]
        members.setdefault(vocab.parent(row["drug_id"]), set()).add(key)
    classes_of = {k: frozenset(v) for k, v in members.items()}

    pairs: dict[frozenset[str], list[InteractionRule]] = {}
    for row in _rows(DRUG_DATA / "interactions.csv.gz"):
        a, b = _key(vocab, row["a"], row["a_kind"]), _key(vocab, row["b"], row["b_kind"])
        rule = InteractionRule(a, b, row["level"], row["effect"], row["management"], row["source"],
                               row["source_ref"])
        pairs.setdefault(frozenset((a, b)), []).append(rule)
    combos: dict[str, set[str]] = {}
    for pid, keys in classes_of.items():
        for key in keys:
            if " + " in class_names.get(key, ""):
                combos.setdefault(key, set()).add(pid)
    graded_alone = {side for rules in pairs.values() for r in rules if r.source.startswith("ANSM ")
                    for side in (r.a, r.b) if not side.startswith("class:")}
    combos = {k: v for k, v in combos.items() if v <= graded_alone}
    ni = {frozenset((vocab.parent(r["a"]), vocab.parent(r["b"])))
          for r in _rows(DRUG_DATA / "non_interruptive.csv.gz")}
    terms = {fold(r["term"]): f"class:{r['class_id']}" for r in _rows(DRUG_DATA / "allergy_terms.csv")}

    allergy: dict[str, list[DrugRule]] = {}
    for row in _rows(DRUG_DATA / "allergy_cross.csv"):
        src = row["allergen"] if row["allergen"].startswith("class:") else vocab.parent(row["allergen_id"])
        tgt = row["drug"] if row["drug"].startswith("class:") else vocab.parent(row["drug_id"])
        allergy.setdefault(src, []).append(DrugRule(tgt, row["level"], row["management"], row["source"]))

    return DrugPack(
        version=str(meta["version"]),
        vocab=vocab,
        class_names=class_names,
        classes_of=classes_of,
        pair_rules=pairs,
        non_interruptive=ni,
        renal=_drug_rules(vocab, "renal.csv", ("egfr_from", "egfr_to", "to_inclusive")),
        age=_drug_rules(vocab, "age.csv", ("age_from", "age_to")),
        pregnancy=_drug_rules(vocab, "pregnancy.csv", ("state", "from_week")),
        conditions=_drug_rules(vocab, "conditions.csv", ("condition", "icd10", "snomed", "hpo")),
        max_dose=_drug_rules(vocab, "max_dose.csv", ("max_mg_per_day", "population", "note")),
        dose_frequency=_drug_rules(vocab, "dose_frequency.csv", ("max_per_day",)),
        allergy_cross=allergy,
        allergy_terms=terms,
        duplicate_classes=frozenset(f"class:{c}" for c in meta["duplicate_classes"]),
        combinations={k: frozenset(v) for k, v in combos.items()},
        rxnorm={r["rxcui"]: tuple(vocab.parent(i) for i in r["drugbank_ids"].split("+"))
                for r in _rows(DRUG_DATA / "rxnorm.csv")},
    )
