"""``huizhen kb ingest|search|list|remove --kb postgresql://...``: the command line on a database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import run

from huizhen.retrieval.search import close_all

PROTOCOL = """# 糖尿病診療規範

## 治療

二甲雙胍是第一線口服降糖藥，腎功能不全時需減量。
"""


@pytest.fixture
def closing() -> Iterator[None]:
    yield
    close_all()  # the CLI keeps its store open for the process; let the database go


def test_kb_commands_on_postgresql(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   closing: None) -> None:
    doc = tmp_path / "diabetes.md"
    doc.write_text(PROTOCOL, encoding="utf-8")
    assert run(["kb", "ingest", str(doc), "--tenant", "hosp-a", "--kb", pg_url, "--no-embed"],
               capsys) == (0, f"1 added, 0 updated, 0 unchanged, 1 chunks, 0 failed [hosp-a in {pg_url}]\n", "")
    assert run(["kb", "ingest", str(doc), "--tenant", "hosp-a", "--kb", pg_url, "--no-embed"],
               capsys) == (0, f"0 added, 0 updated, 1 unchanged, 0 chunks, 0 failed [hosp-a in {pg_url}]\n", "")
    code, out, err = run(["kb", "search", "二甲双胍", "--tenant", "hosp-a", "--kb", pg_url, "--json"],
                         capsys)
    hits = json.loads(out)["hits"]
    assert (code, err, [(h["doc_id"], h["heading_path"], h["scope"], h["text"]) for h in hits]) == (
        0, "", [(str(doc.resolve()), ["糖尿病診療規範", "治療"], "hosp-a",
                 "二甲雙胍是第一線口服降糖藥，腎功能不全時需減量。")])
    assert run(["kb", "search", "二甲双胍", "--tenant", "hosp-b", "--kb", pg_url], capsys) == (
        0, "no passages match '二甲双胍'\n", "")
    assert run(["kb", "list", "--kb", pg_url], capsys) == (
        0, f"hosp-a\t{doc.resolve()}\t糖尿病診療規範\t1 chunks\t0 embedded\n", "1 documents\n")
    assert run(["kb", "remove", str(doc), "--tenant", "hosp-a", "--kb", pg_url], capsys) == (
        0, f"removed {doc} [hosp-a]\n", "")
    assert run(["kb", "list", "--kb", pg_url, "--json"], capsys) == (0, "[]\n", "")


def test_a_database_without_a_knowledge_base(pg_url: str, capsys: pytest.CaptureFixture[str],
                                             closing: None) -> None:
    code, out, err = run(["kb", "list", "--kb", pg_url], capsys)
    assert (code, out, err) == (3, "", (f"huizhen: {pg_url}: no knowledge base in this database; "
                                        "create it with `huizhen kb init` or `huizhen kb ingest`\n"))


def test_tenant_registry_commands(pg_url: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from huizhen.tenants import build_config, hash_api_key

    file = tmp_path / "tenants.yaml"
    file.write_text(json.dumps({"service_url": "https://cds.example.org", "tenants": [
        {"id": "hospital-a", "name": "第一人民医院",
         "api_keys": [{"id": "his", "sha256": hash_api_key("key-a")}]},
        {"id": "hospital-b"}]}, ensure_ascii=False), encoding="utf-8")
    assert run(["tenants", "push", str(file), "--registry", pg_url], capsys) == (
        0, f"registered 2 tenants in {pg_url}\n", "")
    assert run(["tenants", "list", "--registry", pg_url], capsys) == (
        0, "hospital-a\t第一人民医院\t1 API keys\t0 issuers\nhospital-b\t\t0 API keys\t0 issuers\n",
        "2 tenants\n")
    config = build_config({"service_url": "https://cds.example.org",
                           "tenant_registry": {"url": pg_url}})
    assert config.api_keys == {hash_api_key("key-a"): ("hospital-a", "his")}
    assert run(["tenants", "remove", "hospital-b", "--registry", pg_url], capsys) == (
        0, "removed hospital-b\n", "")
    assert run(["tenants", "remove", "hospital-b", "--registry", pg_url], capsys) == (
        2, "", "huizhen: tenant='hospital-b': no such tenant in the registry\n")
    file.write_text("tenants:\n  - id: hospital-c\n    issuers:\n      - iss: https://ehr/\n"
                    "        jwks_file: keys.json\n", encoding="utf-8")
    assert run(["tenants", "push", str(file), "--registry", pg_url], capsys) == (
        2, "", (f"huizhen: {file}: tenants[0].issuers='hospital-c': registered tenants carry their "
        "JWKS inline (`jwks:`), not a file path that every host would need\n"))
