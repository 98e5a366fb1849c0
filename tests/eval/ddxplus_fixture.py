"""Six hand-written patients in the DDXPlus layout (real evidence codes), shared by tests."""

from __future__ import annotations

from pathlib import Path

HEADER = "AGE,DIFFERENTIAL_DIAGNOSIS,SEX,PATHOLOGY,EVIDENCES,INITIAL_EVIDENCE\n"
ROWS = [
    ('25', "[['URTI', 0.6], ['Influenza', 0.4]]", 'F', 'URTI',
     "['E_181', 'E_201', 'E_97', 'E_204_@_V_10']", 'E_181'),
    ('31', "[['URTI', 0.7], ['Pneumonia', 0.3]]", 'M', 'URTI',
     "['E_181', 'E_97', 'E_91', 'E_204_@_V_10']", 'E_97'),
    ('70', "[['Pneumonia', 0.8], ['URTI', 0.2]]", 'M', 'Pneumonia',
     "['E_91', 'E_201', 'E_66', 'E_94', 'E_77', 'E_204_@_V_10']", 'E_66'),
    ('64', "[['Pneumonia', 0.9], ['Bronchitis', 0.1]]", 'F', 'Pneumonia',
     "['E_91', 'E_66', 'E_220', 'E_45', 'E_204_@_V_10']", 'E_91'),
    ('40', "[['Anaphylaxis', 1.0]]", 'F', 'Anaphylaxis',
     "['E_42', 'E_214', 'E_194', 'E_151', 'E_152_@_V_41', 'E_152_@_V_42', 'E_204_@_V_10']",
     'E_42'),
    ('45', "[['Anaphylaxis', 0.9], ['Scombroid food poisoning', 0.1]]", 'M', 'Anaphylaxis',
     "['E_42', 'E_82', 'E_66', 'E_151', 'E_152_@_V_41', 'E_204_@_V_10']", 'E_82'),
]


def write(path: Path, rows: list[tuple[str, ...]] | None = None) -> Path:
    lines = [HEADER]
    for r in rows or ROWS:
        lines.append(",".join(f'"{x}"' for x in r) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path
