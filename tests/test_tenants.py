"""Where each tenant's knowledge base is: its own, the service's, or the user's default."""

from __future__ import annotations

from pathlib import Path

import pytest
from pg_support import new_database, pg_admin_url

from huizhen.errors import ConfigError
from huizhen.tenants import build_config, hash_api_key

__all__ = ["pg_admin_url"]


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
     ("config: knowledge_base='mysql://h/kb': Value error, unknown knowledge base URL scheme; use "
     "a file path, sqlite:///path or postgresql://...")),
    ({"tenants": [{"id": "a", "knowledge_base": " "}]},
     ("config: tenants[0].knowledge_base=' ': Value error, must be a file path, sqlite:///path or "
     "postgresql://...")),
])
def test_bad_knowledge_base_locations_are_refused_at_load(data: dict[str, object],
                                                          message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_config({"service_url": "https://cds.example.org", **data})
    assert str(err.value) == message


def test_tenants_from_the_registry_database(pg_admin_url: str) -> None:
    from huizhen.store.tenants import delete_tenant, read_tenants, write_tenants

    url = new_database(pg_admin_url)
    assert read_tenants(url) == []  # nothing registered yet: no table needed
    jwks = {"keys": [{"kty": "EC", "crv": "P-384", "kid": "k1", "x": "AA", "y": "AA"}]}
    write_tenants(url, [
        {"id": "hospital-b", "name": "第二医院", "knowledge_base": "postgresql://db.example/kb",
         "api_keys": [{"id": "his", "sha256": hash_api_key("key-b")}]},
        {"id": "hospital-a", "issuers": [{"iss": "https://ehr.a.example/", "jwks": jwks}]}])
    config = build_config({"service_url": "https://cds.example.org",
                           "tenant_registry": {"url": url},
                           "tenants": [{"id": "clinic", "knowledge_base": "kb.sqlite"}]},
                          base_dir=Path("/srv/huizhen"))
    assert list(config.tenants) == ["clinic", "hospital-a", "hospital-b"]
    assert config.tenants["hospital-b"].name == "第二医院"
    assert config.api_keys == {hash_api_key("key-b"): ("hospital-b", "his")}
    assert [(t, i.iss) for t, i in config.issuers["https://ehr.a.example/"]] == [
        ("hospital-a", "https://ehr.a.example/")]
    assert (config.kb_location("hospital-b"), config.kb_location("clinic")) == (
        "postgresql://db.example/kb", Path("/srv/huizhen/kb.sqlite"))
    # replacing the registry's contents is one transaction; removing one tenant is another
    write_tenants(url, [{"id": "hospital-c"}, {"id": "hospital-a", "hash_patient_ids": False}],
                  replace_all=True)
    assert read_tenants(url) == [{"id": "hospital-a", "hash_patient_ids": False},
                                 {"id": "hospital-c"}]
    assert delete_tenant(url, "hospital-c") and not delete_tenant(url, "hospital-c")
    assert [t["id"] for t in read_tenants(url)] == ["hospital-a"]


def test_registry_errors_name_the_tenant_and_field(pg_admin_url: str, tmp_path: Path) -> None:
    from huizhen.store.tenants import write_tenants

    url = new_database(pg_admin_url)
    write_tenants(url, [{"id": "hospital-a", "hash_patient_ids": "sometimes"}])
    base = {"service_url": "https://cds.example.org", "tenant_registry": {"url": url}}
    with pytest.raises(ConfigError) as err:
        build_config(base)
    assert str(err.value) == (f"{url} (tenant registry): tenants[hospital-a].hash_patient_ids="
                              "'sometimes': Input should be a valid boolean, unable to interpret "
                              "input")
    write_tenants(url, [{"id": "hospital-a"}], replace_all=True)
    with pytest.raises(ConfigError) as err:
        build_config({**base, "tenants": [{"id": "hospital-a"}]})
    assert str(err.value) == (f"{url} (tenant registry): tenants[hospital-a].id='hospital-a': "
                              "duplicate tenant id")
    nowhere = f"postgresql://u:pw@/kb?host={tmp_path}"
    with pytest.raises(ConfigError) as err:
        build_config({**base, "tenant_registry": {"url": nowhere}})
    assert str(err.value) == (
        f"tenant_registry.url='postgresql://u:***@/kb?host={tmp_path}': tenant registry: "
        f'connection is bad: connection to server on socket "{tmp_path}/.s.PGSQL.5432" failed: '
        "No such file or directory")
    with pytest.raises(ConfigError) as err:
        build_config({**base, "tenant_registry": {"url": "tenants.yaml"}})
    assert str(err.value) == ("config: tenant_registry.url='tenants.yaml': Value error, must be a "
                              "postgresql:// URL")
