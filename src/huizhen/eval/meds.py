"""Benchmark of the interaction checker against a reference list of drug pairs.

Reference layout (DDInter-like): ``Drug_A, Drug_B, Level`` with Level one of
Major / Moderate / Minor / Unknown.  Figures:

* ``pairs``: rows read; ``known_pairs``: rows whose two drugs were both recognised;
* ``recall_major``: share of known Major pairs flagged contraindicated or major;
* ``recall_moderate``: share of known Moderate pairs flagged moderate or worse;
* ``severity_agreement``: share of known Major/Moderate/Minor pairs whose tier
  huizhen gives equals the reference tier (contraindicated counts as Major;
  unflagged pairs disagree);
* ``false_alert_rate``: over as many random pairs of recognised reference drugs
  as there are known pairs (or ``sample`` pairs; ``sample=0``: every such pair),
  none of them in the reference, the share that raise an interaction alert of
  moderate or worse.  Seeded, so runs repeat.

Recall is over known pairs; pairs with an unrecognised drug are counted in
``pairs - known_pairs`` and never counted as found.

``without`` measures a pack with one source's interaction rules left out
(``ansm``, ``onc``, ``fda``): scored against a reference built from that very
source, it estimates what the other sources alone catch (leave-one-source-out,
benchmarks/meds/leave_one_out.py).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from huizhen.errors import InputError
from huizhen.knowledge.drugs.pack import RANK, DrugPack, InteractionRule
from huizhen.safety.checker import get_pack
from huizhen.safety.interactions import best_rule

KEYS = ("pairs", "known_pairs", "recall_major", "recall_moderate", "severity_agreement",
        "false_alert_rate")
_TIER = {"contraindicated": "major", "major": "major", "moderate": "moderate", "minor": "minor"}
_REF_LEVELS = {"major", "moderate", "minor", "unknown"}
#: Interaction sources a pack can be measured without, by how their ``source`` begins.
SOURCES = {"ansm": "ANSM ", "onc": "ONC high-priority", "fda": "FDA label"}


def pack_without(pack: DrugPack, source: str) -> DrugPack:
    """A copy of the pack with the interaction rules of one source (a ``SOURCES`` key) left out."""
    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}; one of {', '.join(SOURCES)}", field="without",
                         value=source)
    prefix = SOURCES[source]
    kept: dict[frozenset[str], list[InteractionRule]] = {}
    for key, rules in pack.pair_rules.items():
        left = [r for r in rules if r.local or not r.source.startswith(prefix)]
        if left:
            kept[key] = left
    return replace(pack, pair_rules=kept, partner_index=None, key_cache={}, reach_cache={})


def read_reference(path: Path) -> list[tuple[str, str, str]]:
    """(Drug_A, Drug_B, level) rows; a bad row or header is an ``InputError`` naming its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        why = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the reference: {why}", source=str(path)) from err
    rows = []
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("Drug_A", "Drug_B", "Level") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", source=str(path), field="header",
                         value=reader.fieldnames)
    for n, row in enumerate(reader, start=2):
        level = (row["Level"] or "").strip().lower()
        if level not in _REF_LEVELS:
            raise InputError("Level must be Major, Moderate, Minor or Unknown",
                             source=f"{path}:{n}", field="Level", value=row["Level"])
        rows.append(((row["Drug_A"] or "").strip(), (row["Drug_B"] or "").strip(), level))
    return rows


def pair_level(pack: DrugPack, a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """The most severe interaction tier between two drugs' ingredients, or None."""
    best: str | None = None
    for x in a:
        for y in b:
            rule, _ = best_rule(pack, x, y, a, b)
            if rule and (best is None or RANK[rule.level] > RANK[best]):
                best = rule.level
    return best


def evaluate(path: Path, *, seed: int = 0, pack: DrugPack | None = None, sample: int | None = None,
             without: str | None = None) -> dict[str, Any]:
    pack = pack or get_pack()
    if without:
        pack = pack_without(pack, without)
    rows = read_reference(path)
    ids: dict[str, tuple[str, ...]] = {}

    def resolve(name: str) -> tuple[str, ...]:
        if name not in ids:
            ids[name] = tuple(dict.fromkeys(pack.vocab.parent(i.drugbank_id)
                                            for i in pack.vocab.normalise(name) if i.drugbank_id))
        return ids[name]

    known = []
    ref_pairs: set[frozenset[str]] = set()
    for a, b, level in rows:
        ia, ib = resolve(a), resolve(b)
        if ia and ib:
            known.append((ia, ib, level))
            ref_pairs.update(frozenset((x, y)) for x in ia for y in ib)
    found = {"major": [0, 0], "moderate": [0, 0]}
    agree = graded = 0
    for ia, ib, level in known:
        ours = pair_level(pack, ia, ib)
        if level in found:
            found[level][1] += 1
            need = RANK["major"] if level == "major" else RANK["moderate"]
            if ours is not None and RANK[ours] >= need:
                found[level][0] += 1
        if level != "unknown":
            graded += 1
            agree += ours is not None and _TIER[ours] == level

    pool = sorted({x for ia, ib, _ in known for x in ia + ib})
    sampled = alerts = 0
    for x, y in _random_pairs(pool, ref_pairs, len(known) if sample is None else sample, seed):
        sampled += 1
        ours = pair_level(pack, (x,), (y,))
        alerts += ours is not None and RANK[ours] >= RANK["moderate"]

    def ratio(n: int, d: int) -> float | None:
        return round(n / d, 4) if d else None

    return {
        "pairs": len(rows),
        "known_pairs": len(known),
        "recall_major": ratio(*found["major"]),
        "recall_moderate": ratio(*found["moderate"]),
        "severity_agreement": ratio(agree, graded),
        "false_alert_rate": ratio(alerts, sampled),
    }


def _random_pairs(pool: list[str], ref_pairs: set[frozenset[str]], target: int,
                  seed: int) -> list[tuple[str, str]]:
    """``target`` distinct seeded random pairs of pool drugs absent from the reference; every
    such pair when ``target`` is 0 or reaches their number."""
    n_all = len(pool) * (len(pool) - 1) // 2
    if target <= 0 or target >= n_all - len(ref_pairs):
        return [(x, y) for i, x in enumerate(pool) for y in pool[i + 1:]
                if frozenset((x, y)) not in ref_pairs]
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    seen: set[frozenset[str]] = set()
    tries = 0
    while len(out) < target and tries < target * 50:
        tries += 1
        x, y = rng.sample(pool, 2)
        key = frozenset((x, y))
        if key in ref_pairs or key in seen:
            continue
        seen.add(key)
        out.append((x, y))
    return out
