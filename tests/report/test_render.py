from __future__ import annotations

from huizhen.report import (
    Alert,
    Citation,
    ConsultReport,
    DifferentialEntry,
    Evidence,
    QuestionSuggestion,
    TreatmentOption,
    render_html,
    render_markdown,
)


def _report(lang: str = "en") -> ConsultReport:
    return ConsultReport(
        patient={"age": 70, "sex": "female", "findings": ["cough", "fever"], "excluded": ["chest pain"],
                 "medications": ["warfarin"], "allergies": ["penicillin"]},
        differential=[
            DifferentialEntry(
                id="ddxplus:Pneumonia", name="Pneumonia", name_zh="肺炎", probability=0.8123,
                engines=["common"], cannot_miss=True,
                evidence_for=[Evidence("fever", weight=3.2)],
                evidence_against=[Evidence("no chest pain | pleuritic")],
            )
        ],
        questions=[QuestionSuggestion(id="E_66", text="Are you short of breath?", red_flag=True)],
        treatments=[
            TreatmentOption(diagnosis_id="ddxplus:Pneumonia", diagnosis="Pneumonia", line="first-line",
                            text="amoxicillin", dose="1 g three times daily", source="NICE NG138",
                            safe=False, citations=[1],
                            alerts=[Alert(type="allergy", severity="contraindicated", interrupt=True,
                                          drugs=["amoxicillin"], message="penicillin allergy")])
        ],
        alerts=[Alert(type="interaction", severity="major", interrupt=True, drugs=["warfarin", "aspirin"],
                      message="bleeding risk", management="avoid", source="ONC high-priority list")],
        unchecked_drugs=["foo"],
        citations=[Citation(n=1, title="Pneumonia", heading="Treatment", snippet="<b>antibiotics</b>",
                            url="https://medlineplus.gov/pneumonia.html", license="CC BY 4.0")],
        knowledge={"hpo": "2025-01-16"},
        notes=["note one"],
        lang=lang,
    )


def test_markdown_whole_output() -> None:
    md = render_markdown(_report())
    assert md == (
        "# huizhen consult\n\n"
        "> huizhen supports, and does not replace, the doctor's judgement. Every suggestion must be "
        "checked against the patient and the cited sources.\n\n"
        "## Patient\n\nage: 70; sex: female\n\n"
        "- **findings**: cough, fever\n- **excluded**: chest pain\n- **medications**: warfarin\n"
        "- **allergies**: penicillin\n\n"
        "## Differential diagnosis\n\n"
        "1. **Pneumonia** 81.2% (Engine: common-disease model) — **cannot miss**\n"
        "   - For: fever\n   - Against: no chest pain \\| pleuritic\n\n"
        "## Ask or test next\n\n- Are you short of breath? (red flag)\n\n"
        "## Treatment options\n\n"
        "- *Pneumonia*, first-line: amoxicillin — 1 g three times daily (source: NICE NG138)[1]\n"
        "  - **NOT SAFE for this patient**\n  - contraindicated: penicillin allergy\n\n"
        "## Medication alerts\n\n"
        "- ⚠ **major** interaction: bleeding risk (source: ONC high-priority list)\n  - avoid\n"
        "- **Could not be checked**: foo\n\n"
        "## Sources\n\n"
        "1. Pneumonia › Treatment — https://medlineplus.gov/pneumonia.html (CC BY 4.0)\n"
        "   > <b>antibiotics</b>\n\n"
        "## Notes\n\n- note one\n\n"
        "## Knowledge used\n\n- hpo: 2025-01-16\n"
    )


def test_markdown_chinese_whole_output() -> None:
    report = _report("zh")
    report.citations[0].heading = "Pneumonia › Treatment"  # a heading path that starts with the title
    assert render_markdown(report) == (
        "# 会诊报告\n\n"
        "> huizhen supports, and does not replace, the doctor's judgement. Every suggestion must be "
        "checked against the patient and the cited sources.\n\n"
        "## 患者\n\n年龄: 70; 性别: 女\n\n"
        "- **表现**: cough, fever\n- **已排除**: chest pain\n- **用药**: warfarin\n"
        "- **过敏**: penicillin\n\n"
        "## 鉴别诊断\n\n"
        "1. **肺炎 (Pneumonia)** 81.2% (引擎: 常见病模型) — **不可漏诊**\n"
        "   - 支持: fever\n   - 不支持: no chest pain \\| pleuritic\n\n"
        "## 建议追问或检查\n\n- Are you short of breath? (危险信号)\n\n"
        "## 治疗方案\n\n"
        "- *Pneumonia*, 一线: amoxicillin — 1 g three times daily (来源: NICE NG138)[1]\n"
        "  - **对该患者不安全**\n  - 禁忌: penicillin allergy\n\n"
        "## 用药警示\n\n"
        "- ⚠ **严重** 相互作用: bleeding risk (来源: ONC high-priority list)\n  - avoid\n"
        "- **无法核查的药物**: foo\n\n"
        "## 引用来源\n\n"
        "1. Pneumonia › Treatment — https://medlineplus.gov/pneumonia.html (CC BY 4.0)\n"
        "   > <b>antibiotics</b>\n\n"
        "## 说明\n\n- note one\n\n"
        "## 所用知识版本\n\n- hpo: 2025-01-16\n"
    )


def test_html_escapes_and_links_citations() -> None:
    page = render_html(_report())
    assert "&lt;b&gt;antibiotics&lt;/b&gt;" in page and "<b>antibiotics" not in page
    assert '<a href="#cite-1">[1]</a>' in page and 'id="cite-1"' in page
    assert '<html lang="en">' in page and "NOT SAFE for this patient" in page
    assert page.startswith("<!doctype html>") and page.endswith("</html>\n")
