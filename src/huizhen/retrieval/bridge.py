"""A Chinese → English lexical bridge: English index terms for the medical names in a
Chinese query, so lexical search can find English documents for Chinese questions.

Why: MedQuAD (and most guidelines) are English; a doctor asks "痛风的症状是什么". The
dense model maps some Chinese names to their English documents, but misses many
(痛风 → gout was not found), and lexical search shares no word with the documents.
The bridge looks the query's Chinese medical names up in real, licensed
translations that ship with huizhen and appends the English names' index terms:

* the official Simplified Chinese labels of the Human Phenotype Ontology
  (``data/hpo/hp-zh.babelon.tsv``, HPO license; 18,988 labels, e.g. 痛风 → Gout);
* the Chinese names of the DDXPlus conditions (``data/ddxplus/zh.json``, CC BY 4.0);
* the Chinese approved generic drug names (``data/drugs/zh_names.csv``, ChP 2020 /
  NEML 2018) with their English ingredient names.

Matching is greedy longest-first over the Simplified query text, so 2型糖尿病
(type II diabetes mellitus) wins over 糖尿病 inside it, and a name the lexicon lacks
as a whole still bridges through its parts (特发性震颤 → tremor). The Chinese words
left over are looked up in a word alignment learned from the same label pairs
(先天性 → congenit, 胰腺 → pancreat, 囊肿 → cyst: a stem that most labels with the
word share, and that is not common to many other labels), so 胰腺癌 still reaches
"pancreatic". Section-type wording (症状, 治疗, 遗传 ...) needs no bridge: English
headings are indexed with their Chinese wording (``indexing.SECTION_TERMS``).
"""

from __future__ import annotations

import csv
import json
import re
import threading
from functools import lru_cache
from pathlib import Path

from huizhen.errors import KnowledgeError
from huizhen.paths import PACKAGE_DATA
from huizhen.retrieval.tokenize import has_cjk, to_simplified, tokens

HPO_ZH = PACKAGE_DATA / "hpo" / "hp-zh.babelon.tsv"
DDXPLUS_ZH = PACKAGE_DATA / "ddxplus" / "zh.json"
DRUGS_ZH = PACKAGE_DATA / "drugs" / "zh_names.csv"

#: Labels shorter than this are too ambiguous inside running text (e.g. 痣, 疝 as a part
#: of longer words); two Han characters (痛风, 贫血, 白癜) are the shortest kept.
MIN_CHARS = 2
#: HPO labels that name no medical entity and would bridge question wording.
_SKIP = frozenset(["所有词汇", "所有"])
_PAREN = re.compile(r"[（(][^）)]*[）)]")

_lock = threading.Lock()
_lexicon: dict[str, tuple[str, ...]] | None = None
_longest = 0


def _add(lex: dict[str, list[str]], zh: str, en: str) -> None:
    zh = to_simplified(zh).strip()
    en = en.strip()
    if not en or not has_cjk(zh):
        return
    for key in {zh, _PAREN.sub("", zh).strip()}:
        if len(key) >= MIN_CHARS and key not in _SKIP and has_cjk(key):
            names = lex.setdefault(key, [])
            if en not in names:
                names.append(en)


def _read_hpo(lex: dict[str, list[str]], path: Path) -> None:
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        try:
            col = {name: header.index(name) for name in
                   ("translation_language", "predicate_id", "source_value", "translation_value",
                    "translation_status")}
        except ValueError as err:
            raise KnowledgeError(f"a column is missing ({err})", source=str(path)) from None
        for line in fh:
            row = line.rstrip("\n").split("\t")
            if (len(row) < len(header) or row[col["translation_language"]] != "zh"
                    or row[col["predicate_id"]] != "rdfs:label"
                    or row[col["translation_status"]] != "OFFICIAL"):
                continue
            _add(lex, row[col["translation_value"]], row[col["source_value"]])


def _read_ddxplus(lex: dict[str, list[str]], path: Path) -> None:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    conditions = data.get("conditions") if isinstance(data, dict) else None
    if not isinstance(conditions, dict):
        raise KnowledgeError("no 'conditions' mapping", source=str(path), field="conditions")
    for en, zh in conditions.items():
        if isinstance(zh, str):
            _add(lex, zh, _PAREN.sub("", en))


def _read_drugs(lex: dict[str, list[str]], path: Path) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"name", "ingredients"} <= set(reader.fieldnames):
            raise KnowledgeError("columns 'name' and 'ingredients' are required", source=str(path))
        for row in reader:
            for ingredient in (row["ingredients"] or "").split("+"):
                _add(lex, row["name"] or "", ingredient)


def lexicon() -> dict[str, tuple[str, ...]]:
    """Chinese name (Simplified) → English names, from the three sources, built once."""
    global _lexicon, _longest
    with _lock:
        if _lexicon is None:
            lex: dict[str, list[str]] = {}
            _read_hpo(lex, HPO_ZH)
            _read_ddxplus(lex, DDXPLUS_ZH)
            _read_drugs(lex, DRUGS_ZH)
            _longest = max((len(k) for k in lex), default=0)
            _lexicon = {k: tuple(v) for k, v in lex.items()}
        return _lexicon


#: Word alignment learned from the lexicon: a Chinese word is linked to an English stem
#: seen in at least ``ALIGN_SHARE`` of the labels with that word, and in at least
#: ``ALIGN_BACK`` of the labels with that stem (so generic stems such as "abnormal" or
#: "concentration" are not linked), in at least ``ALIGN_MIN`` labels.
ALIGN_SHARE = 0.35
ALIGN_BACK = 0.3
ALIGN_MIN = 3
ALIGN_MAX = 2
_FORMAT = "bridge-align-v1"
_align: dict[str, tuple[str, ...]] | None = None


def _learn_alignment(lex: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    from collections import Counter

    cz: Counter[str] = Counter()
    ce: Counter[str] = Counter()
    cze: Counter[tuple[str, str]] = Counter()
    for zh, names in lex.items():
        zt = {t for t in tokens(zh) if has_cjk(t) and len(t) >= 2}
        et = {t for name in names for t in tokens(name)}
        cz.update(zt)
        ce.update(et)
        cze.update((z, e) for z in zt for e in et)
    links: dict[str, list[tuple[float, str]]] = {}
    for (z, e), c in cze.items():
        if cz[z] >= ALIGN_MIN and c / cz[z] >= ALIGN_SHARE and c / ce[e] >= ALIGN_BACK:
            links.setdefault(z, []).append((c / cz[z], e))
    return {z: tuple(e for _, e in sorted(v, key=lambda x: (-x[0], x[1]))[:ALIGN_MAX])
            for z, v in links.items()}


def alignment() -> dict[str, tuple[str, ...]]:
    """Chinese word → English stems, learned once from the lexicon and cached on disk
    (learning segments every label: seconds)."""
    global _align
    if _align is not None:
        return _align
    import hashlib
    import json as _json

    from huizhen.paths import cache_dir

    h = hashlib.sha1(_FORMAT.encode())
    for p in (HPO_ZH, DDXPLUS_ZH, DRUGS_ZH):
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}|{ALIGN_SHARE}|{ALIGN_BACK}|"
                 f"{ALIGN_MIN}|{ALIGN_MAX}".encode())
    path = cache_dir() / f"bridge-{h.hexdigest()[:16]}.json"
    try:
        table = {k: tuple(v) for k, v in _json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        table = _learn_alignment(lexicon())
        try:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(_json.dumps(table, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass
    _align = table
    return table


def english_names(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """(Chinese name, its English names) found in ``query``, longest match first at each
    position, left to right; matches never overlap."""
    text = to_simplified(query)
    if not has_cjk(text):
        return []
    lex = lexicon()
    out: list[tuple[str, tuple[str, ...]]] = []
    i, n = 0, len(text)
    while i < n:
        for j in range(min(n, i + _longest), i + MIN_CHARS - 1, -1):
            names = lex.get(text[i:j])
            if names is not None:
                out.append((text[i:j], names))
                i = j
                break
        else:
            i += 1
    return out


def bridge_terms(query: str) -> list[str]:
    """English index terms for the Chinese medical names in ``query`` (none for a query
    without Chinese): what lexical search adds to the query's own terms. Names found
    whole give their English names' terms; the rest of the Chinese text gives the
    stems its words are aligned with (胰腺癌 → pancreat)."""
    text = to_simplified(query)
    if not has_cjk(text):
        return []
    found = english_names(text)
    words = " ".join(name for _, names in found for name in names)
    out = tokens(words)
    rest = text
    for zh, _ in found:
        rest = rest.replace(zh, " ")
    table = alignment()
    typed = _section_words()
    for t in tokens(rest):
        if t not in typed:  # 症状, 治疗 ... already match English headings (SECTION_TERMS)
            out.extend(table.get(t, ()))
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def _section_words() -> frozenset[str]:
    from huizhen.retrieval.indexing import SECTION_TERMS

    return frozenset(tokens(" ".join(SECTION_TERMS.values()), segment=False))
