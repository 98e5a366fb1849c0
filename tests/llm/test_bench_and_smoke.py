from __future__ import annotations

import os
from pathlib import Path

import pytest

from huizhen.llm import ChatClient, LLMConfig
from huizhen.llm.bench import load_sets, run
from huizhen.llm.grounding import check_answer

SETS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "citations"


def test_citation_benchmark_meets_its_target() -> None:
    sets = load_sets(SETS)
    assert len(sets) >= 60 and sum(s["lang"] == "zh" for s in sets) >= len(sets) // 2
    figures = run(SETS)
    assert figures.planted >= 100
    assert figures.precision >= 0.90 and figures.recall >= 0.90, figures.to_dict()


SMOKE_URL = os.environ.get("HUIZHEN_LLM_SMOKE_BASE_URL")
SMOKE_MODEL = os.environ.get("HUIZHEN_LLM_SMOKE_MODEL")


@pytest.mark.skipif(not (SMOKE_URL and SMOKE_MODEL),
                    reason="no local model installed here: start one (Ollama, llama.cpp's llama-server, vLLM) "
                           "and set HUIZHEN_LLM_SMOKE_BASE_URL and HUIZHEN_LLM_SMOKE_MODEL to run this smoke test")
def test_smoke_with_a_real_local_model() -> None:
    passages = ["Gout › Treatment: Colchicine 0.5 mg twice daily treats acute gout attacks."]
    with ChatClient(LLMConfig(base_url=str(SMOKE_URL), model=str(SMOKE_MODEL), timeout=120)) as client:
        from huizhen.llm.prompts import ask_messages
        from huizhen.store.model import Hit

        hit = Hit(doc_id="d", title="Gout", heading_path=("Gout", "Treatment"), snippet=passages[0],
                  text=passages[0].split(": ", 1)[1], score=1.0, source="test", url="", license="",
                  scope="public", chunk_id=1)
        reply = client.chat(ask_messages("How is acute gout treated?", [hit], "en")).text
        assert reply.strip()
        report = check_answer(reply, passages)
        assert report.sentences and client.usage[-1].status == "ok"
