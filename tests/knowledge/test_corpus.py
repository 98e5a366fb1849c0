from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from huizhen.errors import InputError, UnsupportedFormatError
from huizhen.knowledge.corpus import ingest, iter_medquad, read_file
from huizhen.store.sqlite import SQLiteStore

_spec = importlib.util.spec_from_file_location(
    "kb_fixture", Path(__file__).parents[1] / "retrieval" / "kb_fixture.py")
assert _spec and _spec.loader
kbf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kbf)


def _sections(doc):  # type: ignore[no-untyped-def]
    return [(s.anchor, s.heading_path, s.text) for s in doc.sections]


def test_each_format_keeps_title_and_heading_path(tmp_path: Path) -> None:
    f = kbf.write_good(tmp_path)
    md = read_file(f["md"], "hosp-a")
    assert (md.title, md.language, md.scope, md.source) == (
        "Community-acquired pneumonia protocol", "en", "hosp-a", "pneumonia.md")
    assert _sections(md) == [
        ("1", ("Community-acquired pneumonia protocol",), "Local protocol of the respiratory department."),
        ("2", ("Community-acquired pneumonia protocol", "Diagnosis"),
         "Chest radiograph for every adult with suspected pneumonia. Score severity with CURB-65."),
        ("3", ("Community-acquired pneumonia protocol", "Treatment"),
         "Amoxicillin 1 g three times daily for five days in low-severity pneumonia.\n"
         "Add clarithromycin when atypical pathogens are suspected."),
        ("4", ("Community-acquired pneumonia protocol", "Treatment", "Penicillin allergy"),
         "Doxycycline 200 mg on day one, then 100 mg daily."),
    ]
    zh = read_file(f["zh"])
    assert (zh.title, zh.language) == ("糖尿病診療規範", "zh")
    assert _sections(zh) == [("1", ("糖尿病診療規範", "治療"), "二甲雙胍是第一線口服降糖藥，腎功能不全時需減量。"),
                             ("2", ("糖尿病診療規範", "併發症篩查"), "每年檢查眼底與尿微量白蛋白。")]
    html = read_file(f["html"])
    assert html.title == "Sepsis bundle"
    assert _sections(html) == [
        ("1", ("Sepsis bundle",), "Recognise sepsis early with qSOFA."),
        ("2", ("Sepsis bundle", "First hour"), "Measure lactate.\nObtain blood cultures before antibiotics."),
        ("3", ("Sepsis bundle", "Fluids"), "Give 30 mL/kg crystalloid for hypotension."),
    ]
    txt = read_file(f["txt"])
    assert _sections(txt) == [("1", ("Warfarin counselling sheet",),
                               "Patients taking warfarin need regular INR monitoring.\n"
                               "Avoid large changes in vitamin K intake.")]
    pdf = read_file(f["pdf"])
    assert _sections(pdf) == [
        ("p1", ("Acute stroke pathway", "page 1"), "Thrombolysis within 4.5 hours of stroke onset."),
        ("p2", ("Acute stroke pathway", "page 2"), "Keep blood pressure below 185/110 before alteplase."),
    ]
    docx = read_file(f["docx"])
    assert _sections(docx) == [
        ("1", ("Heparin dosing", "Dosage"),
         "Unfractionated heparin 80 units/kg bolus, then 18 units/kg/h infusion."),
        ("2", ("Heparin dosing", "Dosage", "Monitoring"),
         "Check aPTT six hours after every dose change.\naPTT | Action\nbelow 35 s | rebolus 80 units/kg"),
    ]
    docs = list(iter_medquad(f["jsonl"]))
    assert [(d.doc_id, d.title, d.synonyms, d.source, d.url) for d in docs] == [
        ("T-1", "Gout", ["podagra"], "TestSource", "https://example.org/gout"),
        ("T-2", "Asthma", [], "TestSource", "https://example.org/asthma")]
    assert [s.heading_path for s in docs[0].sections] == [
        ("Gout", "information"), ("Gout", "symptoms"), ("Gout", "treatment")]
    assert docs[0].license.startswith("CC BY 4.0")


def test_bad_files_raise_one_clear_message(tmp_path: Path) -> None:
    bad = kbf.write_bad(tmp_path)
    expected = {
        "encrypted": (InputError, "encryption='password': the PDF is encrypted with a password"),
        "corrupt": (InputError, "pdf: unreadable PDF"),
        "unknown": (UnsupportedFormatError, "suffix='.tiff': unknown format"),
        "empty": (InputError, "size=3: the file is empty"),
        "latin1": (InputError, "encoding='utf-8': not valid UTF-8 (byte 0xe8 at offset 2)"),
    }
    for kind, path in bad.items():
        cls, text = expected[kind]
        with pytest.raises(cls) as err:
            read_file(path)
        assert str(err.value).startswith(f"{path}: {text}"), str(err.value)


def test_ingest_skips_bad_files_and_keeps_the_rest(tmp_path: Path) -> None:
    kbf.write_good(tmp_path / "docs")
    kbf.write_bad(tmp_path / "docs" / "bad")
    (tmp_path / "docs" / "medquad-bad.jsonl").write_text('{"doc_id": "X"}\nnot json\n')
    store = SQLiteStore(tmp_path / "kb.sqlite")
    report = ingest([tmp_path / "docs"], store, "hosp-a")
    assert (report.added, report.updated, report.unchanged) == (8, 0, 0)
    assert sorted(Path(p).name for p, _ in report.failed) == [
        "broken.pdf", "empty.md", "latin1.txt", "locked.pdf", "medquad-bad.jsonl", "scan.tiff"]
    assert {Path(p).name: m for p, m in report.failed}["medquad-bad.jsonl"].endswith(
        "medquad-bad.jsonl:1: title: MedQuAD record without this field")
    assert store.integrity_errors() == []
    assert len(store.list_documents("hosp-a")) == 8
    store.close()


def test_reingest_is_idempotent_and_a_changed_file_replaces_its_chunks(tmp_path: Path) -> None:
    f = kbf.write_good(tmp_path / "docs")
    store = SQLiteStore(tmp_path / "kb.sqlite")
    first = ingest([f["md"]], store)
    gen = store.generation()
    again = ingest([f["md"]], store)
    assert (first.added, again.added, again.unchanged, again.chunks) == (1, 0, 1, 0)
    assert store.generation() == gen  # nothing written
    f["md"].write_text("# Community-acquired pneumonia protocol\n\n## Treatment\n\nAmoxicillin only.\n")
    changed = ingest([f["md"]], store)
    assert (changed.updated, changed.chunks) == (1, 1)
    [info] = store.list_documents()
    assert (info.sections, info.chunks) == (1, 1)
    assert store.integrity_errors() == []
    store.close()


def test_init_attaches_prebuilt_vectors_and_refuses_a_foreign_stamp(tmp_path: Path) -> None:
    import numpy as np

    from huizhen.errors import KnowledgeError
    from huizhen.knowledge.corpus import init_default
    from huizhen.retrieval.dense import STAMP_KEY
    from huizhen.retrieval.embedding import default_embedder, quantize, stamp, text_key
    from huizhen.retrieval.indexing import section_embedding_text
    from huizhen.retrieval.prebuilt import attach_prebuilt

    f = kbf.write_good(tmp_path / "docs")
    texts = [section_embedding_text(s) for d in iter_medquad(f["jsonl"]) for s in d.sections]
    keys = np.array(sorted(text_key(t) for t in texts), dtype=np.uint64)
    by_key = {text_key(t): t for t in texts}
    q, scales = quantize(default_embedder().passages([by_key[int(k)] for k in keys.tolist()]))
    npz = tmp_path / "prebuilt.npz"
    np.savez(npz, keys=keys, vectors=q, scales=scales, stamp=np.array(stamp()))

    from huizhen.retrieval import prebuilt

    store = SQLiteStore(tmp_path / "kb.sqlite")
    original = prebuilt.PREBUILT
    prebuilt.PREBUILT = npz
    try:
        report, attached = init_default(store, corpus=f["jsonl"])
        assert (report.added, attached) == (2, 6)
        again, attached_again = init_default(store, corpus=f["jsonl"])
        assert (again.unchanged, attached_again) == (2, 0)
    finally:
        prebuilt.PREBUILT = original
    assert store.get_meta(STAMP_KEY) == stamp() and store.count_missing_embeddings() == 0
    store.close()

    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, keys=keys, vectors=q, scales=scales, stamp=np.array("other-model/v9"))
    other = SQLiteStore(tmp_path / "kb2.sqlite")
    ingest([f["jsonl"]], other)
    with pytest.raises(KnowledgeError, match="stamp='other-model/v9': made with other-model/v9"):
        attach_prebuilt(other, foreign)
    assert other.count_missing_embeddings() == 6  # nothing half-attached
    assert attach_prebuilt(other, tmp_path / "absent.npz") is None
    other.close()


def test_shipped_embeddings_cover_the_shipped_corpus_with_the_installed_stamp() -> None:
    """Guards the recipe: changing the chunker, the embedding text or the model without
    rebuilding the prebuilt vectors (scripts/build_kb_embeddings.py) fails here."""
    import numpy as np

    from huizhen.retrieval.embedding import stamp, text_key
    from huizhen.retrieval.indexing import section_embedding_text
    from huizhen.retrieval.prebuilt import PREBUILT

    with np.load(PREBUILT) as z:
        assert str(z["stamp"]) == stamp()
        keys = set(z["keys"].tolist())
        assert z["vectors"].dtype == np.int8 and z["vectors"].shape == (len(keys), 384)
    wanted = {text_key(section_embedding_text(s)) for d in iter_medquad() for s in d.sections}
    assert wanted == keys
