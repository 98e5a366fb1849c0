"""What the drug-pack build scripts share: paths, deterministic writers, the stop on
unresolved names.  Developer machine only; nothing here runs at run time."""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA = ROOT / "src/huizhen/data/drugs"
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


@contextmanager
def gz_text(path: Path) -> Iterator[IO[str]]:
    """A gzip text writer with a fixed timestamp, so rebuilding unchanged data changes no bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            io.TextIOWrapper(gz, encoding="utf-8", newline="") as text:
        yield text


def write_table(path: Path, fields: list[str], rows: Iterable[Mapping[str, str]]) -> int:
    """Write rows as CSV (gzip when the name ends in .gz); returns how many were written."""
    n = 0
    with (gz_text(path) if path.suffix == ".gz" else open(path, "w", newline="", encoding="utf-8")) as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for row in rows:
            w.writerow(row)
            n += 1
    print(f"{path.name}: {n} rows")
    return n


def stop_if_unresolved(missing: list[str]) -> None:
    """No rule ships without an id: stop the build with every name that did not resolve."""
    if missing:
        sys.exit(f"unresolved: {sorted(set(missing))}")


def text_rules(path: Path) -> list[str]:
    """The non-blank, non-comment lines of a hand-written name table."""
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
