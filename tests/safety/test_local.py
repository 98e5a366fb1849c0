"""Licensed (DDInter layout) and local rule imports: bad rows listed, local rules override."""

from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.knowledge.drugs.pack import load_pack
from huizhen.patient.model import Patient
from huizhen.safety import check
from huizhen.safety.local import import_rules


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ddinter_import_loads_good_rows_and_lists_bad_ones(tmp_path: Path) -> None:
    src = write(tmp_path / "ddinter.csv",
                "DDInterID_A,Drug_A,DDInterID_B,Drug_B,Level\n"
                "DDInter1,Amoxicillin,DDInter2,Omeprazole,Major\n"
                "DDInter3,Notadrugazine,DDInter4,Warfarin,Moderate\n"
                "DDInter5,Warfarin,DDInter6,Ibuprofen,Severe\n"
                "DDInter7,,DDInter8,Ibuprofen,Minor\n"
                "DDInter9,Metformin,DDInter10,Metformine,Minor\n")
    store = tmp_path / "local.csv"
    result = import_rules(src, "ddinter", store=store)
    assert result.loaded == 1
    assert result.bad_rows == [
        "line 3: unknown drug 'Notadrugazine' (did you mean niaprazine, dotarizine, adoprazine?)",
        "line 4: Level='Severe' is not one of contraindicated, major, moderate, minor",
        "line 5: Drug_A and Drug_B must both be given",
        "line 6: Drug_A and Drug_B are the same ingredient",
    ]
    pack = load_pack(store)
    report = check(Patient(), ["amoxicillin", "omeprazole"], pack=pack)
    a = report.alerts[0]
    assert (a.severity, a.interrupt, a.local, a.source) == (
        "major", True, True, "DDInter (licensed import), DDInter1/DDInter2")
    assert report.local_rules == str(store)


def test_local_rule_overrides_the_pack(tmp_path: Path) -> None:
    src = write(tmp_path / "formulary.csv",
                "Drug_A,Drug_B,Level,Management,Source\n"
                "warfarin,ibuprofen,minor,Our anticoagulation clinic monitors INR weekly.,"
                "Formulary committee 2026-03\n")
    store = tmp_path / "local.csv"
    assert import_rules(src, "csv", store=store).loaded == 1
    report = check(Patient(), ["warfarin", "ibuprofen"], pack=load_pack(store))
    a = report.alerts[0]
    assert (a.severity, a.interrupt, a.local, a.source, a.management) == (
        "minor", False, True, "Formulary committee 2026-03",
        "Our anticoagulation clinic monitors INR weekly.")


def test_reimport_replaces_the_same_pair(tmp_path: Path) -> None:
    store = tmp_path / "local.csv"
    import_rules(write(tmp_path / "a.csv", "Drug_A,Drug_B,Level\nwarfarin,ibuprofen,minor\n"), "csv",
                 store=store)
    result = import_rules(write(tmp_path / "b.csv", "Drug_A,Drug_B,Level\nibuprofen,warfarin,major\n"),
                          "csv", store=store)
    assert (result.loaded, result.replaced) == (1, 1)
    assert check(Patient(), ["warfarin", "ibuprofen"], pack=load_pack(store)).alerts[0].severity == "major"


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column"):
        import_rules(write(tmp_path / "x.csv", "A,B,Level\nx,y,Major\n"), "csv", store=tmp_path / "s.csv")
    with pytest.raises(InputError, match="missing column.*DDInterID_A"):
        import_rules(write(tmp_path / "y.csv", "Drug_A,Drug_B,Level\nx,y,Major\n"), "ddinter",
                     store=tmp_path / "s.csv")
    with pytest.raises(UnsupportedFormatError):
        import_rules(tmp_path / "y.csv", "xlsx", store=tmp_path / "s.csv")
    with pytest.raises(InputError, match="file not found"):
        import_rules(tmp_path / "missing.csv", "csv", store=tmp_path / "s.csv")
