"""The ConsultReport and its renderers (Markdown, HTML, JSON)."""

from __future__ import annotations

from huizhen.report.html import render_html
from huizhen.report.markdown import render_markdown
from huizhen.report.model import (
    Alert,
    Citation,
    ConsultReport,
    DifferentialEntry,
    Evidence,
    QuestionSuggestion,
    TreatmentOption,
)

__all__ = [
    "Alert",
    "Citation",
    "ConsultReport",
    "DifferentialEntry",
    "Evidence",
    "QuestionSuggestion",
    "TreatmentOption",
    "render_html",
    "render_markdown",
]
