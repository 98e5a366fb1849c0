"""Where each tenant's knowledge base is: its own, the service's, or the user's default."""

from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.errors import ConfigError
from huizhen.tenants import build_config


def test_knowledge_base_locations(tmp_path: Path) -> None:
    config = build_config({
        "service_url": "https://cds.example.org",
        "knowledge_base": "postgresql://huizhen@db.example/network",
        "tenants": [{"id": "a"}, {"id": "b", "knowledge_base": "kb/b.sqlite"},
                    {"id": "c", "knowledge_base": "sqlite:///c.sqlite"},
                    {"id": "d", "knowledge_base": f"sqlite:///{tmp_path}/d.sqlite"},
                    {"id": "e", "knowledge_base": "postgres://other.example/kb"}]},
        base_dir=tmp_path)
    assert [config.kb_location(t) for t in "abcde"] == [
        "postgresql://huizhen@db.example/network", tmp_path / "kb" / "b.sqlite",
        tmp_path / "c.sqlite", tmp_path / "d.sqlite", "postgres://other.example/kb"]
    assert config.kb_path("a") == "postgresql://huizhen@db.example/network"
    alone = build_config({"service_url": "https://cds.example.org", "tenants": [{"id": "a"}]})
    assert alone.kb_location("a") is None


@pytest.mark.parametrize(("data", "message"), [
    ({"knowledge_base": "mysql://h/kb"},
     "config: knowledge_base='mysql://h/kb': Value error, unknown knowledge base URL scheme; use "
     "a file path, sqlite:///path or postgresql://..."),
    ({"tenants": [{"id": "a", "knowledge_base": " "}]},
     "config: tenants[0].knowledge_base=' ': Value error, must be a file path, sqlite:///path or "
     "postgresql://..."),
])
def test_bad_knowledge_base_locations_are_refused_at_load(data: dict[str, object],
                                                          message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_config({"service_url": "https://cds.example.org", **data})
    assert str(err.value) == message
