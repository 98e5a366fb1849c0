"""Local and licensed interaction rules: import, validate, store, read back.

A hospital may hold a licence for DDInter (CSV columns ``DDInterID_A, Drug_A,
DDInterID_B, Drug_B, Level``) or keep its own formulary rules (``Drug_A,
Drug_B, Level`` plus optional ``Management``, ``Source``).  Imported rules are
stored in the user data directory (never in the package) and override the
pack for the pairs they name; alerts from them say ``local: true``.  Bad rows
are skipped and listed by line; the good rows still load.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.knowledge.drugs.pack import LEVELS, InteractionRule
from huizhen.knowledge.drugs.vocabulary import load_vocabulary
from huizhen.paths import data_dir

#: Level words accepted in import files -> huizhen tier.
LEVEL_WORDS = {"contraindicated": "contraindicated", "contraindication": "contraindicated",
               "major": "major", "moderate": "moderate", "minor": "minor",
               "禁忌": "contraindicated", "严重": "major", "中度": "moderate", "轻度": "minor"}
FORMATS = ("ddinter", "csv")
STORED_FIELDS = ["a", "b", "a_name", "b_name", "level", "management", "source"]


@dataclass(slots=True)
class ImportResult:
    loaded: int
    bad_rows: list[str] = field(default_factory=list)  # "line N: why"
    path: str = ""
    replaced: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"loaded": self.loaded, "bad_rows": self.bad_rows, "stored_in": self.path,
                "replaced_existing": self.replaced}


def local_rules_path() -> Path:
    return data_dir() / "drugs" / "local_interactions.csv"


def import_rules(path: Path, fmt: str, *, store: Path | None = None) -> ImportResult:
    """Parse ``path`` in ``fmt`` and merge its rules into the local rule store."""
    if fmt not in FORMATS:
        raise UnsupportedFormatError(f"unknown import format; use one of {', '.join(FORMATS)}",
                                     field="--format", value=fmt)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise InputError("file not found", source=str(path)) from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the file as UTF-8 text: {err}", source=str(path)) from err
    reader = csv.DictReader(io.StringIO(text))
    need = ["Drug_A", "Drug_B", "Level"] + (["DDInterID_A", "DDInterID_B"] if fmt == "ddinter" else [])
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {reader.fieldnames}",
                         source=str(path), field="header")
    vocab = load_vocabulary()
    rows: dict[frozenset[str], dict[str, str]] = {}
    bad: list[str] = []
    for lineno, row in enumerate(reader, start=2):
        a_name, b_name = (row.get("Drug_A") or "").strip(), (row.get("Drug_B") or "").strip()
        level = LEVEL_WORDS.get((row.get("Level") or "").strip().lower())
        if not a_name or not b_name:
            bad.append(f"line {lineno}: Drug_A and Drug_B must both be given")
            continue
        if level is None:
            bad.append(f"line {lineno}: Level={row.get('Level')!r} is not one of "
                       f"{', '.join(LEVELS)}")
            continue
        ids = []
        for name in (a_name, b_name):
            found = vocab.normalise(name)
            if len(found) != 1 or not found[0].drugbank_id:
                hint = vocab.suggest(name)[:3]
                why = "unknown drug" if not found else "names several ingredients"
                bad.append(f"line {lineno}: {why} {name!r}" + (f" (did you mean {', '.join(hint)}?)"
                                                              if hint and not found else ""))
                break
            ids.append(vocab.parent(found[0].drugbank_id))
        if len(ids) != 2:
            continue
        if ids[0] == ids[1]:
            bad.append(f"line {lineno}: Drug_A and Drug_B are the same ingredient")
            continue
        source = (row.get("Source") or "").strip() or (
            f"DDInter (licensed import), {row.get('DDInterID_A')}/{row.get('DDInterID_B')}"
            if fmt == "ddinter" else f"local rule file {path.name}")
        rows[frozenset(ids)] = {"a": ids[0], "b": ids[1], "a_name": a_name, "b_name": b_name,
                                "level": level, "management": (row.get("Management") or "").strip(),
                                "source": source}
    target = store or local_rules_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = {frozenset((r.a, r.b)): r for r in read_local_rules(target)} if target.exists() else {}
    replaced = sum(1 for k in rows if k in existing)
    merged = {k: {"a": r.a, "b": r.b, "a_name": r.a, "b_name": r.b, "level": r.level,
                  "management": r.management, "source": r.source}
              for k, r in existing.items() if k not in rows}
    merged.update(rows)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=STORED_FIELDS)
        w.writeheader()
        w.writerows(merged.values())
    tmp.replace(target)
    return ImportResult(loaded=len(rows), bad_rows=bad, path=str(target), replaced=replaced)


def read_local_rules(path: Path) -> list[InteractionRule]:
    """Rules from the local store, flagged ``local``."""
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            mgmt = row["management"] or _DEFAULT_MANAGEMENT[row["level"]]
            out.append(InteractionRule(row["a"], row["b"], row["level"], "", mgmt, row["source"],
                                       f"{row['a_name']} + {row['b_name']}", local=True))
    return out


_DEFAULT_MANAGEMENT = {
    "contraindicated": "Local rule: do not give together.",
    "major": "Local rule: avoid the combination or monitor closely.",
    "moderate": "Local rule: use with monitoring or dose adjustment.",
    "minor": "Local rule: be aware of the interaction.",
}
