"""HPO disease annotations (``phenotype.hpoa``): which phenotypes each disease has.

Every row is kept as one annotation with its frequency already turned into a
number, its ``NOT`` qualifier and its sex restriction; onset (aspect C) and
inheritance (aspect I) rows are kept apart because they describe the disease,
not a phenotype.  Term ids are resolved through the ontology (alt ids and
replaced obsolete ids map to current terms) so annotations and patient terms
always meet on the same id.  The result is pickled next to the ontology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huizhen.errors import InputError, KnowledgeError
from huizhen.knowledge.hpo import Ontology, cached_pickle, default_hpo_dir, file_digest, load_hpo

#: HPO frequency terms → the midpoint of the range the HPO defines for them.
FREQUENCY_TERMS: dict[str, float] = {
    "HP:0040280": 1.0,  # Obligate, 100%
    "HP:0040281": 0.895,  # Very frequent, 80-99%
    "HP:0040282": 0.545,  # Frequent, 30-79%
    "HP:0040283": 0.17,  # Occasional, 5-29%
    "HP:0040284": 0.025,  # Very rare, 1-4%
    "HP:0040285": 0.0,  # Excluded, 0%
}
_RATIO = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_frequency(value: str) -> float | None:
    """Frequency column → probability in [0, 1]; None when not given or unreadable."""
    value = value.strip()
    if not value:
        return None
    if value in FREQUENCY_TERMS:
        return FREQUENCY_TERMS[value]
    m = _RATIO.match(value)
    if m:
        n, d = int(m.group(1)), int(m.group(2))
        return min(1.0, n / d) if d else None
    m = _PERCENT.match(value)
    if m:
        return min(1.0, float(m.group(1)) / 100.0)
    return None


@dataclass(slots=True)
class Disease:
    id: str  # OMIM:..., ORPHA:..., DECIPHER:...
    name: str
    #: Onset terms (aspect C) and modes of inheritance (aspect I), as HPO ids.
    onset: list[str] = field(default_factory=list)
    inheritance: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Annotations:
    """All phenotype annotations of one release, as parallel numpy arrays."""

    release: str
    diseases: list[Disease]
    index: dict[str, int]
    #: One entry per phenotype (aspect P) row.
    disease: np.ndarray  # int32 disease index
    term: np.ndarray  # int32 term index in Ontology.ids
    #: Frequency in [0, 1], NaN where the row gives none.
    frequency: np.ndarray  # float32
    negated: np.ndarray  # bool: the NOT qualifier (or frequency 0)
    #: "" (both sexes), "male" or "female": the annotation holds only for that sex.
    sex: np.ndarray  # <U6

    def __len__(self) -> int:
        return len(self.diseases)

    def disease_of(self, disease_id: str) -> Disease | None:
        i = self.index.get(disease_id)
        return None if i is None else self.diseases[i]


def parse_hpoa(path: Path, onto: Ontology) -> Annotations:
    """Read phenotype.hpoa, resolving every term id against ``onto``."""
    release = "unknown"
    diseases: list[Disease] = []
    index: dict[str, int] = {}
    rows_d: list[int] = []
    rows_t: list[int] = []
    rows_f: list[float] = []
    rows_n: list[bool] = []
    rows_s: list[str] = []
    header: dict[str, int] | None = None
    resolved: dict[str, str | None] = {}

    def current(tid: str) -> str | None:
        if tid not in resolved:
            try:
                resolved[tid] = onto.resolve(tid)[0]
            except InputError:  # unknown to this ontology: skip the row
                resolved[tid] = None
        return resolved[tid]

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                if line.startswith("#version:"):
                    release = line.split(":", 1)[1].strip()
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = {name: i for i, name in enumerate(cols)}
                need = {"database_id", "disease_name", "qualifier", "hpo_id", "frequency",
                        "sex", "aspect"}
                if not need <= header.keys():
                    raise KnowledgeError("phenotype.hpoa lacks columns " + ", ".join(
                        sorted(need - header.keys())), source=str(path))
                continue
            if len(cols) < len(header):
                continue
            did = cols[header["database_id"]]
            if did not in index:
                index[did] = len(diseases)
                diseases.append(Disease(did, cols[header["disease_name"]]))
            d = index[did]
            tid = current(cols[header["hpo_id"]])
            if tid is None:
                continue
            aspect = cols[header["aspect"]]
            negated = cols[header["qualifier"]].strip().upper() == "NOT"
            if aspect == "C" and not negated:
                if tid not in diseases[d].onset:
                    diseases[d].onset.append(tid)
                continue
            if aspect == "I" and not negated:
                if tid not in diseases[d].inheritance:
                    diseases[d].inheritance.append(tid)
                continue
            if aspect != "P":
                continue
            freq = parse_frequency(cols[header["frequency"]])
            if freq == 0.0:
                negated = True
            rows_d.append(d)
            rows_t.append(onto.index[tid])
            rows_f.append(np.nan if freq is None else freq)
            rows_n.append(negated)
            rows_s.append(cols[header["sex"]].strip().lower())
    if not diseases:
        raise KnowledgeError("phenotype.hpoa holds no annotations", source=str(path))
    return Annotations(
        release=release,
        diseases=diseases,
        index=index,
        disease=np.asarray(rows_d, dtype=np.int32),
        term=np.asarray(rows_t, dtype=np.int32),
        frequency=np.asarray(rows_f, dtype=np.float32),
        negated=np.asarray(rows_n, dtype=bool),
        sex=np.asarray(rows_s, dtype="<U6"),
    )


_LOADED: dict[tuple[str, str], Annotations] = {}


def load_annotations(hpo_dir: Path | str | None = None) -> Annotations:
    """Disease annotations of the release in ``hpo_dir`` (cached like the ontology)."""
    path = default_hpo_dir(hpo_dir)
    hpoa = path / "phenotype.hpoa"
    if not hpoa.is_file():
        raise KnowledgeError("no phenotype.hpoa in the HPO directory", source=str(path))
    onto = load_hpo(path)
    key = file_digest([path / "hp.obo", hpoa])
    mem_key = (str(path.resolve()), key)
    if mem_key not in _LOADED:
        _LOADED[mem_key] = cached_pickle("hpoa", key, lambda: parse_hpoa(hpoa, onto))
    return _LOADED[mem_key]
