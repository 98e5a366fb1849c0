"""``huizhen serve``: the REST API and CDS Hooks services over HTTP.

Thin: load the tenants file (so a bad one fails here, with its line, before a
port is bound), then hand the app to uvicorn.  With ``--workers`` uvicorn
starts that many processes, each building the app from the same file; they
share the audit store (and with it the JWT replay guard).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

from huizhen.cli.app import app


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind; loopback unless a proxy "
                                               "with TLS is in front."),
    port: int = typer.Option(8080, min=0, max=65535, help="Port to listen on."),
    config: Path | None = typer.Option(None, "--config", "-c", dir_okay=False,
                                       help="Tenants file (YAML/JSON); default "
                                            "$HUIZHEN_SERVICE_CONFIG."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
    local: bool = typer.Option(False, "--local", help="One clinic on this machine: the web "
                               "page and REST API answer callers on this machine without an "
                               "API key (loopback only; not behind a proxy)."),
) -> None:
    """Serve the REST API and CDS Hooks 2.0 services."""
    import uvicorn

    from huizhen.errors import InputError
    from huizhen.tenants import CONFIG_ENV, LOCAL_ENV, load_config, local_config

    if local:
        if config is not None:
            raise InputError("--local serves one clinic without a tenants file; drop --config "
                             "(or give the tenants file a local_tenant)", field="--local")
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise InputError("--local answers without an API key, so it binds to this machine "
                             "only", field="--host", value=host)
        loaded = local_config(port)
        os.environ[LOCAL_ENV] = str(port)
    else:
        loaded = load_config(config)  # validate before binding
    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    typer.echo(f"huizhen serving {len(loaded.tenants)} tenant(s) on http://{host}:{port} "
               f"(CDS Hooks audience base {loaded.service_url})"
               + ("; open it in a browser on this machine, no API key needed" if local else ""),
               err=True)
    if workers == 1:
        from huizhen.api import create_app

        uvicorn.run(create_app(loaded), host=host, port=port, log_level=log_level,
                    access_log=False)
    else:
        uvicorn.run("huizhen.api.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level, access_log=False)


@app.command("api-key")
def api_key(tenant: str = typer.Argument(..., help="Tenant id the key is for."),
            name: str = typer.Option("default", help="Key name recorded as the audit actor.")) -> None:
    """Make a new REST API key: prints the key once, and the line for the tenants file."""
    from huizhen.tenants import hash_api_key

    key = f"hz_{secrets.token_urlsafe(32)}"
    typer.echo(f"key (give to the client, not stored anywhere): {key}")
    typer.echo(f"tenants file, under tenant {tenant!r} api_keys:  "
               f"- {{id: {name}, sha256: {hash_api_key(key)}}}")
