"""``huizhen tenants push|list|remove --registry postgresql://...``: the tenant registry.

Thin front end over :mod:`huizhen.store.tenants`: an operator keeps the tenants
in a YAML/JSON file under version control and pushes them to the database
every API process reads them from (``tenant_registry: {url: ...}`` in the
processes' configuration), instead of copying the file to every host.
"""

from __future__ import annotations

from pathlib import Path

import typer

from huizhen.cli.app import app

tenants_app = typer.Typer(help="The tenant registry in PostgreSQL: push, list, remove.",
                          no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
REGISTRY = typer.Option(..., "--registry", help="postgresql://... URL of the registry database.")


@tenants_app.command("push")
def push_command(file: Path = typer.Argument(..., help="Tenants file (YAML or JSON) whose "
                                             "`tenants` list to register."),
                 registry: str = REGISTRY,
                 replace: bool = typer.Option(False, "--replace", help="Remove registered "
                                              "tenants the file does not list.")) -> None:
    """Register the file's tenants (each replaces the registered one with its id)."""
    from huizhen.errors import ConfigError
    from huizhen.store.postgres import redact
    from huizhen.store.tenants import write_tenants
    from huizhen.tenants import parse_config_text, validate_tenant

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", source=str(file)) from None
    data = parse_config_text(text, file)
    tenants = data.get("tenants") if isinstance(data, dict) else None
    if not isinstance(tenants, list):
        raise ConfigError("must be a mapping with a `tenants` list", source=str(file),
                          field="tenants")
    for i, tenant in enumerate(tenants):
        checked = validate_tenant(tenant, source=str(file), where=f"tenants[{i}]")
        if any(issuer.jwks_file for issuer in checked.issuers):
            raise ConfigError("registered tenants carry their JWKS inline (`jwks:`), not a file "
                              "path that every host would need", source=str(file),
                              field=f"tenants[{i}].issuers", value=checked.id)
    write_tenants(registry, tenants, replace_all=replace)
    typer.echo(f"registered {len(tenants)} tenants in {redact(registry)}")


@tenants_app.command("list")
def list_command(registry: str = REGISTRY) -> None:
    """Registered tenants: id, name, API keys and issuers."""
    from huizhen.store.tenants import read_tenants

    rows = read_tenants(registry)
    for t in rows:
        typer.echo(f"{t['id']}\t{t.get('name') or ''}\t{len(t.get('api_keys') or [])} API keys\t"
                   f"{len(t.get('issuers') or [])} issuers")
    typer.echo(f"{len(rows)} tenants", err=True)


@tenants_app.command("remove")
def remove_command(tenant: str = typer.Argument(..., help="Tenant id."),
                   registry: str = REGISTRY) -> None:
    """Remove a tenant from the registry (its documents and audit events stay)."""
    from huizhen.errors import NotFoundError
    from huizhen.store.tenants import delete_tenant

    if not delete_tenant(registry, tenant):
        raise NotFoundError("no such tenant in the registry", field="tenant", value=tenant)
    typer.echo(f"removed {tenant}")
