"""Verifying the JWT a CDS client (an EHR) sends with every CDS Hooks call.

CDS Hooks 2.0, "Trusting CDS Clients": the token is signed with the client's
private key (never ``none``, never a shared HMAC secret), names its issuer,
the endpoint being called as ``aud``, an ``exp``, an ``iat`` and a ``jti``
nonce.  We accept ES384 and RS384 only (the spec's recommendation), keys only
from the issuer's configured JWK Set (no network fetch, so a forged ``jku``
cannot choose the key), each ``jti`` once, and tokens that live at most
``limits.max_token_lifetime_s`` (which also bounds the replay cache).  The
tenant comes from the issuer, or from the ``tenant`` claim when one issuer
serves several hospitals.

Every refusal is an :class:`~huizhen.errors.AuthError` (401) whose message
says which check failed — useful to the EHR integrator, harmless to an
attacker who already knows what they sent.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK

from huizhen.auth.principal import Principal
from huizhen.auth.replay import ReplayGuard
from huizhen.errors import AuthError, ConfigError
from huizhen.tenants import IssuerConfig, ServiceConfig

#: Algorithm -> the JWK key type it needs.
ALLOWED_ALGORITHMS: dict[str, str] = {"ES384": "EC", "RS384": "RSA"}
_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
_MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class _Key:
    raw: dict[str, Any]
    jwk: PyJWK


@dataclass(slots=True)
class _KeySet:
    """One issuer's JWK Set; a file is re-read when its modification time changes."""

    inline: dict[str, Any] | None
    path: Path | None
    keys: dict[str, _Key]
    mtime: float | None = None

    def current(self) -> dict[str, _Key]:
        if self.path is not None:
            try:
                mtime = self.path.stat().st_mtime
                if mtime != self.mtime:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                    self.keys = _parse_jwks(data, str(self.path))
                    self.mtime = mtime
            except (OSError, ValueError) as err:
                raise ConfigError(f"unreadable JWK Set: {err}", source=str(self.path)) from None
        return self.keys


def _parse_jwks(data: object, source: str) -> dict[str, _Key]:
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ConfigError("a JWK Set must be an object with a 'keys' array", source=source)
    keys: dict[str, _Key] = {}
    for index, raw in enumerate(data["keys"]):
        if not isinstance(raw, dict) or not raw.get("kid"):
            raise ConfigError("every key needs a 'kid'", source=source, field=f"keys[{index}]")
        if raw.get("kty") not in ("EC", "RSA"):
            raise ConfigError("only EC and RSA public keys are accepted", source=source,
                              field=f"keys[{index}].kty", value=raw.get("kty"))
        if "d" in raw:
            raise ConfigError("a private key was configured; give the public key only",
                              source=source, field=f"keys[{index}].d")
        try:
            keys[str(raw["kid"])] = _Key(raw=raw, jwk=PyJWK(raw))
        except jwt.PyJWTError as err:
            raise ConfigError(f"unusable key: {err}", source=source, field=f"keys[{index}]") from None
    return keys


class JWTVerifier:
    """Turns a bearer token into a :class:`Principal`, or refuses it."""

    def __init__(self, config: ServiceConfig, replay: ReplayGuard) -> None:
        self._config = config
        self._replay = replay
        self._lock = threading.Lock()
        self._keysets: dict[tuple[str, str], _KeySet] = {}
        for iss, owners in config.issuers.items():
            for tenant, issuer in owners:
                self._keysets[(iss, tenant)] = self._keyset(issuer)

    def _keyset(self, issuer: IssuerConfig) -> _KeySet:
        if issuer.jwks is not None:
            return _KeySet(inline=issuer.jwks, path=None,
                           keys=_parse_jwks(issuer.jwks, f"issuer {issuer.iss}"))
        assert issuer.jwks_file is not None
        keyset = _KeySet(inline=None, path=self._config.resolve(issuer.jwks_file), keys={})
        keyset.current()  # fail at start-up, not at the first call
        return keyset

    def verify(self, token: str | None, audience: str | list[str]) -> Principal:
        """Check everything CDS Hooks requires of the token for this endpoint URL."""
        if not token:
            raise AuthError("missing bearer token; CDS Hooks requires a JWT on every call",
                            field="Authorization")
        header, unverified = _peek(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
            raise AuthError(
                "signing algorithm refused; only asymmetric ES384 or RS384 are accepted",
                field="alg", value=alg,
            )
        if header.get("typ") not in (None, "JWT"):
            raise AuthError("typ must be JWT", field="typ", value=header.get("typ"))
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss not in self._config.issuers:
            raise AuthError("issuer is not on the allowlist", field="iss", value=iss)
        tenant, _issuer = self._tenant_for(iss, unverified.get("tenant"))
        kid = header.get("kid")
        try:
            with self._lock:
                keys = self._keysets[(iss, tenant)].current()
        except ConfigError as err:  # a key file broken while running: refuse, keep serving
            raise AuthError(f"the issuer's keys are unusable ({err.message})", field="iss",
                            value=iss) from None
        key = keys.get(str(kid)) if kid is not None else None
        if key is None:
            raise AuthError("no key with this kid in the issuer's JWK Set", field="kid", value=kid)
        if not _fits(key, alg):
            raise AuthError(f"the key {kid!r} is not a {alg} key", field="alg", value=alg)
        if alg == "RS384" and key.jwk.key.key_size < _MIN_RSA_BITS:
            raise AuthError(f"RSA keys under {_MIN_RSA_BITS} bits are refused", field="kid", value=kid)
        limits = self._config.limits
        try:
            claims = jwt.decode(
                token, key.jwk.key, algorithms=[alg], audience=audience, issuer=iss,
                leeway=limits.clock_skew_s, options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired", field="exp", value=unverified.get("exp")) from None
        except jwt.InvalidAudienceError:
            raise AuthError(f"aud must be this endpoint's URL, {_one(audience)}", field="aud",
                            value=unverified.get("aud")) from None
        except jwt.MissingRequiredClaimError as err:
            raise AuthError("required claim is missing", field=err.claim) from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token is not valid yet", field="iat", value=unverified.get("iat")) from None
        except jwt.InvalidSignatureError:
            raise AuthError("signature does not verify with the issuer's key", field="kid",
                            value=kid) from None
        except jwt.PyJWTError as err:
            raise AuthError(f"invalid token: {err}", field="Authorization") from None
        exp, iat = float(claims["exp"]), float(claims["iat"])
        if exp - time.time() > limits.max_token_lifetime_s or exp - iat > limits.max_token_lifetime_s:
            raise AuthError(f"token lives longer than {limits.max_token_lifetime_s} s",
                            field="exp", value=claims["exp"])
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("jti must be a non-empty string", field="jti", value=jti)
        if not self._replay.claim_nonce(iss, jti, exp + limits.clock_skew_s):
            raise AuthError("token was already used (jti replayed)", field="jti", value=jti)
        subject = claims.get("sub")
        actor = f"{iss}#{subject}" if isinstance(subject, str) and subject else iss
        return Principal(tenant=tenant, kind="jwt", actor=actor)

    def _tenant_for(self, iss: str, claim: object) -> tuple[str, IssuerConfig]:
        owners = self._config.issuers[iss]
        if claim is not None:
            for tenant, issuer in owners:
                if issuer.tenant_claim is not None and issuer.tenant_claim == claim:
                    return tenant, issuer
            if len(owners) == 1 and owners[0][1].tenant_claim is None and claim == owners[0][0]:
                return owners[0]
            if len(owners) > 1 or owners[0][1].tenant_claim is not None:
                raise AuthError("tenant is not served for this issuer", field="tenant", value=claim)
        if len(owners) == 1:
            return owners[0]
        raise AuthError("this issuer serves several tenants; the token must name one",
                        field="tenant")


def _segment(part: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        raise AuthError(f"malformed JWT: the {name} is not base64url-encoded JSON",
                        field="Authorization") from None
    if not isinstance(value, dict):
        raise AuthError(f"malformed JWT: the {name} is not a JSON object", field="Authorization")
    return value


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked: only to choose the issuer and key.

    One cheap parse instead of PyJWT's two unverified decodes (each re-validates the
    token's characters in Python); the verified ``jwt.decode`` that follows parses
    the token strictly, so nothing read here is trusted on its own.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthError("malformed JWT: not three dot-separated segments", field="Authorization")
    return _segment(parts[0], "header"), _segment(parts[1], "payload")


def _fits(key: _Key, alg: str) -> bool:
    """Does the configured key belong to the algorithm the token claims?

    Without this a token could pick an algorithm the key was never meant for.
    """
    declared = key.raw.get("alg")
    if declared is not None and declared != alg:
        return False
    if ALLOWED_ALGORITHMS[alg] == "EC":
        return key.raw.get("kty") == "EC" and key.raw.get("crv") == "P-384"
    return key.raw.get("kty") == "RSA"


def _one(audience: str | list[str]) -> str:
    return audience if isinstance(audience, str) else " or ".join(audience)
