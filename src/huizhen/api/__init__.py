"""huizhen over HTTP: REST for hospital systems, CDS Hooks 2.0 for EHRs."""

from __future__ import annotations

from huizhen.api.app import create_app

__all__ = ["create_app"]
