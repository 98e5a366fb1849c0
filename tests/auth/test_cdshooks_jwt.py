"""CDS Hooks JWT verification: acceptance, and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from huizhen.auth import JWTVerifier, MemoryReplayGuard, Principal
from huizhen.auth.client import CDSClientSigner, generate_key, public_jwk
from huizhen.errors import AuthError, ConfigError
from huizhen.tenants import build_config

SERVICE = "https://cds.example.org"
AUD = f"{SERVICE}/cds-services/huizhen-order-sign"
EHR_A = "https://ehr.hospital-a.example/"
REGION = "https://ehr.region.example/"


@pytest.fixture(scope="module")
def signers() -> dict[str, CDSClientSigner]:
    return {
        "es": CDSClientSigner(EHR_A, generate_key("ES384"), "a-es", "ES384"),
        "rs": CDSClientSigner(EHR_A, generate_key("RS384"), "a-rs", "RS384"),
        "region-b": CDSClientSigner(REGION, generate_key("ES384"), "r1", "ES384", tenant="org-b"),
        "stranger": CDSClientSigner("https://evil.example/", generate_key("ES384"), "a-es"),
    }


@pytest.fixture()
def verifier(signers: dict[str, CDSClientSigner], tmp_path: Path) -> JWTVerifier:
    jwks_file = tmp_path / "region.jwks.json"
    jwks_file.write_text(json.dumps(signers["region-b"].jwks()))
    config = build_config({
        "service_url": SERVICE,
        "tenants": [
            {"id": "hospital-a", "issuers": [{"iss": EHR_A, "jwks": {"keys": [
                public_jwk(signers["es"].key, "a-es", "ES384"),
                public_jwk(signers["rs"].key, "a-rs", "RS384")]}}]},
            {"id": "hospital-b", "issuers": [{"iss": REGION, "jwks_file": jwks_file.name,
                                              "tenant_claim": "org-b"}]},
            {"id": "hospital-c", "issuers": [{"iss": REGION, "jwks_file": jwks_file.name,
                                              "tenant_claim": "org-c"}]},
        ],
    }, base_dir=tmp_path)
    return JWTVerifier(config, MemoryReplayGuard())


def _refused(verifier: JWTVerifier, token: str, message: str, aud: str = AUD) -> AuthError:
    with pytest.raises(AuthError) as caught:
        verifier.verify(token, aud)
    assert caught.value.http_status == 401
    assert message in caught.value.render()
    return caught.value


def test_es384_and_rs384_tokens_are_accepted(verifier, signers) -> None:
    assert verifier.verify(signers["es"].token(AUD), AUD) == Principal(
        tenant="hospital-a", kind="jwt", actor=EHR_A)
    token = signers["rs"].token([AUD, "https://other"], extra={"sub": "epic-client"})
    assert verifier.verify(token, AUD) == Principal(
        tenant="hospital-a", kind="jwt", actor=f"{EHR_A}#epic-client")


def test_tenant_comes_from_the_token_when_an_issuer_serves_several(verifier, signers) -> None:
    assert verifier.verify(signers["region-b"].token(AUD), AUD).tenant == "hospital-b"
    signer = signers["region-b"]
    unnamed = CDSClientSigner(REGION, signer.key, "r1")
    _refused(verifier, unnamed.token(AUD), "tenant: this issuer serves several tenants")
    other = CDSClientSigner(REGION, signer.key, "r1", tenant="org-z")
    _refused(verifier, other.token(AUD), "tenant='org-z': tenant is not served for this issuer")


def test_expired_token_is_refused(verifier, signers) -> None:
    past = int(time.time()) - 600
    token = signers["es"].token(AUD, extra={"iat": past, "exp": past + 60})
    _refused(verifier, token, f"exp={past + 60}: token has expired")


def test_wrong_audience_is_refused(verifier, signers) -> None:
    token = signers["es"].token(f"{SERVICE}/cds-services/other-service")
    _refused(verifier, token,
             f"aud='{SERVICE}/cds-services/other-service': aud must be this endpoint's URL, {AUD}")
    _refused(verifier, signers["es"].token(SERVICE), "aud must be this endpoint's URL")


def test_replayed_jti_is_refused(verifier, signers) -> None:
    token = signers["es"].token(AUD)
    verifier.verify(token, AUD)
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    _refused(verifier, token, f"jti={jti!r}: token was already used (jti replayed)")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {"iss": EHR_A, "aud": AUD, "iat": now, "exp": now + 60, "jti": "x-" + str(now)}


def test_hmac_tokens_are_refused_including_key_confusion(verifier, signers) -> None:
    shared = jwt.encode(_claims(), "a-shared-secret-that-is-long-enough-for-hs384-xxxxxxxxxxxx",
                        algorithm="HS384", headers={"kid": "a-es"})
    _refused(verifier, shared, "alg='HS384': signing algorithm refused; only asymmetric ES384 or RS384")
    # The classic attack: HMAC-sign with the service's *public* key as the secret.
    public = json.dumps(public_jwk(signers["es"].key, "a-es", "ES384")).encode()
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "a-es"}).encode())
    body = _b64(json.dumps(_claims()).encode())
    mac = _b64(hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest())
    _refused(verifier, f"{head}.{body}.{mac}", "alg='HS256': signing algorithm refused")


def test_unsigned_none_token_is_refused(verifier) -> None:
    head = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "a-es"}).encode())
    token = f"{head}.{_b64(json.dumps(_claims()).encode())}."
    _refused(verifier, token, "alg='none': signing algorithm refused")


def test_unknown_issuer_is_refused(verifier, signers) -> None:
    _refused(verifier, signers["stranger"].token(AUD),
             "iss='https://evil.example/': issuer is not on the allowlist")


def test_forged_signature_and_unknown_kid_are_refused(verifier, signers) -> None:
    forger = CDSClientSigner(EHR_A, generate_key("ES384"), "a-es")
    _refused(verifier, forger.token(AUD), "kid='a-es': signature does not verify with the issuer's key")
    _refused(verifier, CDSClientSigner(EHR_A, forger.key, "nope").token(AUD),
             "kid='nope': no key with this kid in the issuer's JWK Set")


def test_algorithm_must_match_the_key(verifier, signers) -> None:
    # An RS384 token naming the EC key's kid.
    token = CDSClientSigner(EHR_A, signers["rs"].key, "a-es", "RS384").token(AUD)
    _refused(verifier, token, "alg='RS384': the key 'a-es' is not a RS384 key")


def test_missing_claims_and_overlong_tokens_are_refused(verifier, signers) -> None:
    claims = _claims()
    del claims["jti"]
    token = jwt.encode(claims, signers["es"].key, algorithm="ES384", headers={"kid": "a-es"})
    _refused(verifier, token, "jti: required claim is missing")
    _refused(verifier, signers["es"].token(AUD, lifetime_s=7200), "token lives longer than 3600 s")
    _refused(verifier, "not-a-jwt", "Authorization: malformed JWT")
    _refused(verifier, "", "missing bearer token")


def test_malformed_tokens_are_refused_naming_the_part(verifier, signers) -> None:
    good = signers["es"].token(AUD)
    head, body, sig = good.split(".")
    _refused(verifier, f"{head}.{body}", "Authorization: malformed JWT: not three dot-separated segments")
    _refused(verifier, f"{head}.{body}.{sig}.{sig}", "malformed JWT: not three dot-separated segments")
    _refused(verifier, f"%%%.{body}.{sig}", "malformed JWT: the header is not base64url-encoded JSON")
    _refused(verifier, f"{head}.{_b64(b'not json')}.{sig}",
             "malformed JWT: the payload is not base64url-encoded JSON")
    _refused(verifier, f"{_b64(b'[1, 2]')}.{body}.{sig}",
             "malformed JWT: the header is not a JSON object")
    listed = _b64(json.dumps({"alg": ["ES384"], "kid": "a-es"}).encode())
    _refused(verifier, f"{listed}.{body}.{sig}", "alg=['ES384']: signing algorithm refused")
    # A payload altered after signing: the peek reads it, the strict decode refuses it.
    forged = _b64(json.dumps({**jwt.decode(good, options={"verify_signature": False}),
                              "sub": "someone-else"}).encode())
    _refused(verifier, f"{head}.{forged}.{sig}", "signature does not verify with the issuer's key")
    # The genuine token was not consumed by the refusals above.
    assert verifier.verify(good, AUD).tenant == "hospital-a"


def test_weak_rsa_keys_are_refused(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    config = build_config({"service_url": SERVICE, "tenants": [{"id": "t", "issuers": [
        {"iss": EHR_A, "jwks": {"keys": [public_jwk(weak, "w", "RS384")]}}]}]})
    verifier = JWTVerifier(config, MemoryReplayGuard())
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        token = CDSClientSigner(EHR_A, weak, "w", "RS384").token(AUD)
    _refused(verifier, token, "kid='w': RSA keys under 2048 bits are refused")


def test_jwks_file_is_reread_when_keys_rotate(verifier, signers, tmp_path: Path) -> None:
    rotated = CDSClientSigner(REGION, generate_key("ES384"), "r2", tenant="org-b")
    _refused(verifier, rotated.token(AUD), "kid='r2': no key with this kid")
    path = tmp_path / "region.jwks.json"
    path.write_text(json.dumps({"keys": signers["region-b"].jwks()["keys"] + rotated.jwks()["keys"]}))
    import os
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert verifier.verify(rotated.token(AUD), AUD).tenant == "hospital-b"


def test_private_keys_in_the_jwks_are_a_configuration_error(signers) -> None:
    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(signers["es"].key))
    private["kid"] = "p"
    config = build_config({"service_url": SERVICE, "tenants": [{"id": "t", "issuers": [
        {"iss": EHR_A, "jwks": {"keys": [private]}}]}]})
    with pytest.raises(ConfigError, match=r"keys\[0\]\.d: a private key was configured"):
        JWTVerifier(config, MemoryReplayGuard())
