"""One hierarchy of errors for the whole library.

Every error a user can cause carries a message that names the file (or
source), the field and the offending value, so the CLI can print one clear
line and the API can map it to one HTTP status code.
"""

from __future__ import annotations


class HuizhenError(Exception):
    """Base class of every error huizhen raises on purpose."""

    #: HTTP status the API answers with; the CLI exits with ``exit_code``.
    http_status: int = 500
    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        value: object | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.field = field
        self.value = value
        super().__init__(self.render())

    def render(self) -> str:
        """One line: ``source: field=value: message`` with the known parts."""
        parts: list[str] = []
        if self.source:
            parts.append(str(self.source))
        if self.field is not None:
            shown = repr(self.value) if self.value is not None else ""
            parts.append(f"{self.field}={shown}" if shown else self.field)
        parts.append(self.message)
        return ": ".join(parts)


class InputError(HuizhenError):
    """The user's input is wrong: bad file, bad field, bad value."""

    http_status = 422
    exit_code = 2


class UnsupportedFormatError(InputError):
    """The input is not in any format huizhen reads."""

    http_status = 415


class NotFoundError(HuizhenError):
    """Something the user named does not exist (document, tenant, model)."""

    http_status = 404
    exit_code = 2


class KnowledgeError(HuizhenError):
    """Knowledge files are missing, corrupt or of the wrong version."""

    http_status = 500
    exit_code = 3


class ConfigError(HuizhenError):
    """Configuration is missing or invalid."""

    http_status = 500
    exit_code = 2


class AuthError(HuizhenError):
    """Authentication or authorisation failed."""

    http_status = 401
    exit_code = 2


class ForbiddenError(HuizhenError):
    """The caller is known but may not do this (e.g. another tenant's data)."""

    http_status = 403
    exit_code = 2


class ExternalServiceError(HuizhenError):
    """An optional outside service (a language model endpoint) failed."""

    http_status = 502
    exit_code = 4
