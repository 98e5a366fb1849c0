"""Service configuration: the hospitals (tenants) one huizhen service serves.

A regional network (医联体) runs one service for many hospitals.  Each hospital
is a *tenant* with its own knowledge scope, its own REST API keys, its own
EHR token issuers (CDS Hooks JWTs, verified against the issuer's JWKS) and its
own settings.  Everything that decides *who a caller is* lives in this one
file so an operator can read it top to bottom; it is YAML or JSON::

    service_url: https://cds.example.org       # the CDS Hooks `aud` base
    audit: {url: sqlite:///var/lib/huizhen/audit.db}
    knowledge_base: kb/network.sqlite           # or postgresql://huizhen@db.example/huizhen
    tenants:
      - id: hospital-a
        name: 第一人民医院
        knowledge_base: kb/hospital-a.sqlite    # optional: its own, instead of the service's
        api_keys: [{id: ward-3, sha256: 5e88...}]
        issuers:
          - iss: https://ehr.hospital-a.example/
            jwks_file: keys/hospital-a.jwks.json
        hash_patient_ids: true

API keys are stored as SHA-256 digests, never in clear.  JWKS are inline or in
a file (re-read when it changes, so keys rotate without a restart); the
service never fetches keys over the network.

Several API processes (one host or many, behind a load balancer) read the same
file: they hold no state of their own — documents, vectors, audit events and
replay nonces are all in the databases the file names, so a process can be
added, restarted or removed at any time. Rolling out a tenant change means
rolling the file out to every process (configuration management, a mounted
volume, a ConfigMap) and restarting them one by one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from huizhen.errors import ConfigError
from huizhen.paths import data_dir
from huizhen.store.factory import is_database_url, sqlite_path

#: Environment variable naming the configuration file when ``--config`` is not given.
CONFIG_ENV = "HUIZHEN_SERVICE_CONFIG"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiKeyConfig(_Strict):
    """One REST API key of a tenant, kept as the SHA-256 hex digest of the key."""

    id: str = Field(description="A name for the key, recorded in the audit log as the actor.")
    sha256: str = Field(description="Lower-case hex SHA-256 of the key.")

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX64.match(value):
            raise ValueError("must be 64 lower-case hex digits (the SHA-256 of the key)")
        return value


class IssuerConfig(_Strict):
    """An EHR (CDS client) whose JWTs this tenant trusts."""

    iss: str = Field(description="The exact `iss` claim of the client's tokens.")
    jwks: dict[str, Any] | None = Field(default=None, description="The JWK Set, inline.")
    jwks_file: str | None = Field(default=None, description="Path to the JWK Set file.")
    tenant_claim: str | None = Field(
        default=None,
        description="Value of the token's `tenant` claim that means this hospital, when one "
        "issuer (a regional EHR) serves several tenants.",
    )


class TenantConfig(_Strict):
    id: str
    name: str | None = None
    knowledge_base: str | None = Field(
        default=None,
        description="Knowledge base the tenant searches and ingests into (its documents in its "
        "own scope there, beside the public ones): a file, sqlite:///path or postgresql://...; "
        "default: the service's knowledge_base.",
    )
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)
    issuers: list[IssuerConfig] = Field(default_factory=list)
    hash_patient_ids: bool = Field(
        default=True, description="Store patient ids in the audit log as keyed hashes."
    )
    pseudonym_key: str | None = Field(
        default=None, description="Secret for the patient-id hash; default: one per audit store."
    )
    fhir_servers: list[str] = Field(
        default_factory=list,
        description="EHR FHIR base URLs huizhen may query (with the hook's fhirAuthorization) "
        "for prefetch data the EHR did not send; empty: never query.",
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-', starting alphanumeric")
        return value

    @field_validator("knowledge_base")
    @classmethod
    def _kb(cls, value: str | None) -> str | None:
        return _kb_location(value)


class AuditConfig(_Strict):
    url: str | None = Field(
        default=None, description="postgresql://..., sqlite:///path or a path; default: audit.db "
        "in the data dir."
    )


class RegistryConfig(_Strict):
    url: str | None = Field(
        default=None, description="postgresql://...: take tenants (also) from the registry in "
        "this database (`huizhen.store.tenants`), shared by every API process; default: the "
        "file's tenants only."
    )

    @field_validator("url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        if value is not None and not is_database_url(value):
            raise ValueError("must be a postgresql:// URL")
        return value


class LimitsConfig(_Strict):
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    max_token_lifetime_s: int = Field(default=3600, ge=10)
    clock_skew_s: int = Field(default=30, ge=0, le=300)


class ServiceConfigModel(_Strict):
    service_url: str = Field(description="Public base URL of this service; JWT `aud` is built on it.")
    audit: AuditConfig = Field(default_factory=AuditConfig)
    knowledge_base: str | None = Field(
        default=None,
        description="Knowledge base of every tenant that names none: a file, sqlite:///path or "
        "postgresql://... (one database shared by several API processes); default: the user's "
        "default file.",
    )
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    tenants: list[TenantConfig] = Field(default_factory=list)
    tenant_registry: RegistryConfig = Field(default_factory=RegistryConfig)
    local_tenant: str | None = Field(
        default=None,
        description="A tenant that REST callers on this machine reach without an API key (a "
        "loopback peer, no proxy header): the single-clinic laptop of `huizhen serve --local`. "
        "Never set it on a service behind a reverse proxy or bound to a public interface.",
    )

    @field_validator("service_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("knowledge_base")
    @classmethod
    def _kb(cls, value: str | None) -> str | None:
        return _kb_location(value)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """The loaded configuration, with indexes the request path needs."""

    model: ServiceConfigModel
    base_dir: Path
    tenants: dict[str, TenantConfig] = field(default_factory=dict)
    #: sha256(key) -> (tenant id, key id)
    api_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: iss -> [(tenant id, issuer config)]
    issuers: dict[str, list[tuple[str, IssuerConfig]]] = field(default_factory=dict)

    @property
    def service_url(self) -> str:
        return self.model.service_url

    @property
    def limits(self) -> LimitsConfig:
        return self.model.limits

    def tenant(self, tenant_id: str) -> TenantConfig:
        from huizhen.errors import NotFoundError

        try:
            return self.tenants[tenant_id]
        except KeyError:
            raise NotFoundError("no such tenant", field="tenant", value=tenant_id) from None

    def audit_location(self) -> str | Path:
        """The audit store: a PostgreSQL URL, or the SQLite file (relative to the config)."""
        url = self.model.audit.url
        if not url:
            return data_dir() / "audit.db"
        if url.startswith(("postgresql://", "postgres://")):
            return url
        raw = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
        if "://" in raw:
            raise ConfigError("unknown audit store URL scheme; use postgresql:// or sqlite:///",
                              field="audit.url", value=url)
        path = Path(raw)
        return path if path.is_absolute() else self.base_dir / path

    def kb_location(self, tenant_id: str) -> Path | str | None:
        """The tenant's knowledge base: its own, else the service's; a file (relative to the
        configuration file) or a ``postgresql://`` URL as given; None: the user's default."""
        kb = self.tenant(tenant_id).knowledge_base or self.model.knowledge_base
        if not kb:
            return None
        if is_database_url(kb):
            return kb
        path = sqlite_path(kb)
        assert path is not None  # validated when the configuration was loaded
        return self.resolve(str(path))

    def kb_path(self, tenant_id: str) -> Path | str | None:
        """Older name of :meth:`kb_location` (a database URL is returned as text)."""
        return self.kb_location(tenant_id)

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path


def validate_tenant(data: object, *, source: str = "tenant", where: str = "tenant") -> TenantConfig:
    """One tenant's settings, validated as in a tenants file; ConfigError names the field."""
    try:
        return TenantConfig.model_validate(data)
    except ValidationError as err:
        raise _invalid(err, source, where) from None


def _registered(url: str) -> list[tuple[str, TenantConfig, str]]:
    """The tenants of the registry database, each validated and labelled by its id."""
    from huizhen.store.postgres import redact
    from huizhen.store.tenants import read_tenants

    source = f"{redact(url)} (tenant registry)"
    return [(f"tenants[{row['id']}]", validate_tenant(row, source=source,
                                                      where=f"tenants[{row['id']}]"), source)
            for row in read_tenants(url)]


def _kb_location(value: str | None) -> str | None:
    """A knowledge base location is a path, ``sqlite:///path`` or ``postgresql://``;
    anything else is refused when the configuration loads, not at the first search."""
    if value is None:
        return None
    if not value.strip():
        raise ValueError("must be a file path, sqlite:///path or postgresql://...")
    from huizhen.errors import KnowledgeError

    try:
        sqlite_path(value)
    except KnowledgeError as err:
        raise ValueError(err.message) from None
    return value


def hash_api_key(key: str) -> str:
    """The digest a key is stored and looked up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _invalid(err: ValidationError, source: str, where: str = "") -> ConfigError:
    """The first validation error, naming its field (below ``where`` when given)."""
    first = err.errors()[0]
    loc = _location(tuple(first["loc"]))
    if where:
        loc = where if loc == "(root)" else f"{where}.{loc}"
    return ConfigError(first["msg"], source=source, field=loc, value=first.get("input"))


def build_config(data: object, *, source: str = "config", base_dir: Path | None = None) -> ServiceConfig:
    """Validate a parsed configuration and index it.

    Duplicates that would make a caller ambiguous (a tenant id, an API key, an
    issuer claimed by two tenants without distinguishing `tenant_claim`s) are
    refused here, at start-up, rather than at the first request.
    """
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping with service_url and tenants", source=source)
    try:
        model = ServiceConfigModel.model_validate(data)
    except ValidationError as err:
        raise _invalid(err, source) from None
    config = ServiceConfig(model=model, base_dir=base_dir or Path.cwd())
    listed: list[tuple[str, TenantConfig, str]] = [
        (f"tenants[{index}]", tenant, source) for index, tenant in enumerate(model.tenants)]
    if model.tenant_registry.url:
        listed += _registered(model.tenant_registry.url)
    for where, tenant, origin in listed:
        if tenant.id in config.tenants:
            raise ConfigError("duplicate tenant id", source=origin, field=f"{where}.id", value=tenant.id)
        config.tenants[tenant.id] = tenant
        for k, key in enumerate(tenant.api_keys):
            if key.sha256 in config.api_keys:
                raise ConfigError(
                    "the same API key is configured twice", source=origin,
                    field=f"{where}.api_keys[{k}].sha256", value=key.sha256,
                )
            config.api_keys[key.sha256] = (tenant.id, key.id)
        for i, issuer in enumerate(tenant.issuers):
            field_name = f"{where}.issuers[{i}]"
            if (issuer.jwks is None) == (issuer.jwks_file is None):
                raise ConfigError("give exactly one of jwks or jwks_file", source=origin,
                                  field=field_name, value=issuer.iss)
            if issuer.jwks_file is not None and not config.resolve(issuer.jwks_file).is_file():
                raise ConfigError("JWKS file not found", source=origin,
                                  field=f"{field_name}.jwks_file", value=issuer.jwks_file)
            config.issuers.setdefault(issuer.iss, []).append((tenant.id, issuer))
    if model.local_tenant is not None and model.local_tenant not in config.tenants:
        raise ConfigError("not one of the tenants", source=source, field="local_tenant",
                          value=model.local_tenant)
    for iss, owners in config.issuers.items():
        if len(owners) > 1:
            claims = [cfg.tenant_claim for _, cfg in owners]
            if None in claims or len(set(claims)) != len(claims):
                raise ConfigError(
                    "an issuer shared by several tenants needs a distinct tenant_claim for each",
                    source=source, field="issuers", value=iss,
                )
    return config


#: The tenant of ``huizhen serve --local``; the variable that carries its port to workers.
LOCAL_TENANT = "local"
LOCAL_ENV = "HUIZHEN_SERVICE_LOCAL_PORT"


def local_config(port: int) -> ServiceConfig:
    """One clinic on one machine (``huizhen serve --local``): a single tenant that callers
    on this machine reach without an API key, the default knowledge base and audit file."""
    return build_config({"service_url": f"http://127.0.0.1:{port}",
                         "tenants": [{"id": LOCAL_TENANT, "name": "this clinic"}],
                         "local_tenant": LOCAL_TENANT}, source="(--local)")


def load_config(path: str | os.PathLike[str] | None = None) -> ServiceConfig:
    """Read the service configuration file (YAML or JSON).

    Without a path, ``$HUIZHEN_SERVICE_CONFIG`` is used; without either the
    service runs with no tenants (health and version only), which is what a
    first ``huizhen serve`` on a laptop shows.
    """
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    if path is None and os.environ.get(LOCAL_ENV, "").isdigit():
        return local_config(int(os.environ[LOCAL_ENV]))
    if path is None:
        return build_config({"service_url": "http://127.0.0.1:8080"}, source="(default)")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("configuration file not found", source=str(file)) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", source=str(file)) from None
    return build_config(parse_config_text(text, file), source=str(file),
                        base_dir=file.resolve().parent)


def parse_config_text(text: str, file: Path) -> object:
    """A configuration or tenants file's text as data: JSON for ``.json``, else YAML."""
    try:
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"not valid YAML/JSON: {err}".splitlines()[0], source=str(file)) from None
