"""Section titles and words of the rendered report, in English and Chinese."""

from __future__ import annotations

from typing import Any

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
    "option": {"en": "option", "zh": "可选"},
    "source": {"en": "source", "zh": "来源"},
    # Sex, as the Patient model records it.
    "male": {"en": "male", "zh": "男"},
    "female": {"en": "female", "zh": "女"},
    "other": {"en": "other", "zh": "其他"},
    "unknown": {"en": "unknown", "zh": "未知"},
    # Engines behind a differential entry.
    "common": {"en": "common-disease model", "zh": "常见病模型"},
    "rare": {"en": "rare-disease phenotype engine", "zh": "罕见病表型引擎"},
    # Medication alerts: severity tiers and types (huizhen.safety.model.ALERT_TYPES).
    "contraindicated": {"en": "contraindicated", "zh": "禁忌"},
    "major": {"en": "major", "zh": "严重"},
    "moderate": {"en": "moderate", "zh": "中度"},
    "minor": {"en": "minor", "zh": "轻度"},
    "interaction": {"en": "interaction", "zh": "相互作用"},
    "allergy": {"en": "allergy", "zh": "过敏"},
    "duplicate": {"en": "duplicate therapy", "zh": "重复用药"},
    "condition": {"en": "contraindicated condition", "zh": "疾病禁忌"},
    "renal": {"en": "renal dosing", "zh": "肾功能剂量"},
    "pregnancy": {"en": "pregnancy", "zh": "妊娠"},
    "lactation": {"en": "lactation", "zh": "哺乳"},
    "dose": {"en": "dose", "zh": "剂量"},
}


def citation_place(citation: Any) -> str:
    """Where a cited passage sits: "title › heading path", without repeating the title
    when the heading path already starts with it."""
    heading = citation.heading or ""
    if heading == citation.title or heading.startswith(f"{citation.title} › "):
        return heading
    return f"{citation.title} › {heading}" if heading else citation.title


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when the language is unknown)."""
    entry = LABELS.get(key)
    if entry is None:  # a word the tables do not know is shown as it is
        return key
    return entry.get(lang, entry["en"])
