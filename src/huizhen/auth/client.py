"""The CDS client side of the JWT handshake: make a key pair, sign call tokens.

An EHR integrator uses this to try a huizhen deployment before wiring their
EHR (``huizhen serve`` + a few signed calls); the load benchmark and the tests
use it to call the service exactly as an EHR would.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from huizhen.errors import InputError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def generate_key(alg: str = "ES384") -> PrivateKey:
    """A fresh private key for ES384 (P-384) or RS384 (RSA 2048)."""
    if alg == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    if alg == "RS384":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise InputError("only ES384 and RS384 keys are made", field="alg", value=alg)


def public_jwk(key: PrivateKey, kid: str, alg: str) -> dict[str, Any]:
    """The public half as a JWK, ready for the service's JWK Set."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        text = ECAlgorithm.to_jwk(key.public_key())
    else:
        text = RSAAlgorithm.to_jwk(key.public_key())
    jwk: dict[str, Any] = json.loads(text)
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    return jwk


@dataclass
class CDSClientSigner:
    """Signs one token per call, as CDS Hooks requires (fresh ``jti``, short ``exp``)."""

    issuer: str
    key: PrivateKey
    kid: str
    alg: str = "ES384"
    tenant: str | None = None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.key, self.kid, self.alg)]}

    def token(self, audience: str | list[str], *, lifetime_s: int = 300,
              extra: dict[str, Any] | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": audience, "iat": now, "exp": now + lifetime_s,
            "jti": str(uuid.uuid4()),
        }
        if self.tenant is not None:
            claims["tenant"] = self.tenant
        claims.update(extra or {})
        return jwt.encode(claims, self.key, algorithm=self.alg,
                          headers={"kid": self.kid, "typ": "JWT"})
