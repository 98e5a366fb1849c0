"""Section titles and words of the rendered report, in English and Chinese."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "huizhen consult", "zh": "会诊报告"},
    "patient": {"en": "Patient", "zh": "患者"},
    "differential": {"en": "Differential diagnosis", "zh": "鉴别诊断"},
    "probability": {"en": "Probability", "zh": "概率"},
    "engine": {"en": "Engine", "zh": "引擎"},
    "for": {"en": "For", "zh": "支持"},
    "against": {"en": "Against", "zh": "不支持"},
    "cannot_miss": {"en": "cannot miss", "zh": "不可漏诊"},
    "questions": {"en": "Ask or test next", "zh": "建议追问或检查"},
    "red_flag": {"en": "red flag", "zh": "危险信号"},
    "treatments": {"en": "Treatment options", "zh": "治疗方案"},
    "unsafe": {"en": "NOT SAFE for this patient", "zh": "对该患者不安全"},
    "alerts": {"en": "Medication alerts", "zh": "用药警示"},
    "no_alerts": {"en": "No medication alerts.", "zh": "无用药警示。"},
    "unchecked": {"en": "Could not be checked", "zh": "无法核查的药物"},
    "citations": {"en": "Sources", "zh": "引用来源"},
    "knowledge": {"en": "Knowledge used", "zh": "所用知识版本"},
    "notes": {"en": "Notes", "zh": "说明"},
    "none": {"en": "None.", "zh": "无。"},
    "age": {"en": "age", "zh": "年龄"},
    "sex": {"en": "sex", "zh": "性别"},
    "findings": {"en": "findings", "zh": "表现"},
    "excluded": {"en": "excluded", "zh": "已排除"},
    "medications": {"en": "medications", "zh": "用药"},
    "allergies": {"en": "allergies", "zh": "过敏"},
    "first-line": {"en": "first-line", "zh": "一线"},
    "alternative": {"en": "alternative", "zh": "备选"},
    "supportive": {"en": "supportive", "zh": "支持治疗"},
}


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when the language is unknown)."""
    entry = LABELS.get(key)
    if entry is None:  # a word the tables do not know is shown as it is
        return key
    return entry.get(lang, entry["en"])
