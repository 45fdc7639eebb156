"""Make issuer keys and sign age tokens: for tests, for a local demo issuer, and for operators
checking their configuration. Never used to verify anything.

    python -m accounts.age_assurance.testing keypair [--alg ES256|EdDSA|Ed25519|RS256]
        prints {"private": JWK, "public": JWK}; put the public one in PHARE_AGE_TOKEN_ISSUERS.
    python -m accounts.age_assurance.testing sign --key private.json --alg ES256 \\
        --iss https://issuer.example --aud phare --nonce N --age-band 18+ --method estimation
        prints a compact JWS to paste into the signed-token flow.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from joserfc import jws
from joserfc.jwk import JWKRegistry, Key, KeyParameters

__all__ = ["make_issuer_keypair", "sign_token", "token_claims"]

# alg → how to generate a key for it.
_KEY_SPECS: dict[str, tuple[str, str | int]] = {
    "ES256": ("EC", "P-256"),
    "EdDSA": ("OKP", "Ed25519"),
    "Ed25519": ("OKP", "Ed25519"),
    "RS256": ("RSA", 2048),
}


def make_issuer_keypair(
    alg: str = "ES256", *, kid: str | None = None
) -> tuple[Key, dict[str, Any]]:
    """A fresh private key for `alg` and its public JWK (what an operator configures)."""
    kty, crv_or_size = _KEY_SPECS[alg]
    parameters: KeyParameters | None = {"kid": kid} if kid else None
    private = JWKRegistry.generate_key(kty, crv_or_size, parameters=parameters, private=True)
    return private, dict(private.as_dict(private=False))


def token_claims(
    *,
    iss: str,
    aud: str | list[str],
    nonce: str,
    method: str = "estimation",
    age_band: str | None = "18+",
    age_over_18: bool | None = None,
    lifetime_seconds: int = 300,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a well-formed age token; pass overrides to build bad ones."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "iat": issued,
        "exp": issued + lifetime_seconds,
        "nonce": nonce,
        "method": method,
    }
    if age_band is not None:
        claims["age_band"] = age_band
    if age_over_18 is not None:
        claims["age_over_18"] = age_over_18
    return claims


def sign_token(
    claims: dict[str, Any],
    private_key: Key,
    alg: str = "ES256",
    *,
    headers: dict[str, Any] | None = None,
) -> str:
    """A compact JWS of `claims` signed with `private_key`."""
    protected: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if private_key.kid:
        protected["kid"] = private_key.kid
    protected.update(headers or {})
    payload = json.dumps(claims, separators=(",", ":"))
    return jws.serialize_compact(protected, payload, private_key, algorithms=[alg])


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accounts.age_assurance.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    keypair = commands.add_parser("keypair", help="generate an issuer key pair (JWK)")
    keypair.add_argument("--alg", default="ES256", choices=sorted(_KEY_SPECS))
    keypair.add_argument("--kid")
    sign = commands.add_parser("sign", help="sign an age token")
    sign.add_argument("--key", required=True, help="file holding the private JWK")
    sign.add_argument("--alg", default="ES256", choices=sorted(_KEY_SPECS))
    sign.add_argument("--iss", required=True)
    sign.add_argument("--aud", default="phare")
    sign.add_argument("--nonce", required=True)
    sign.add_argument("--method", default="estimation", choices=["estimation", "verification"])
    sign.add_argument("--age-band", default="18+", choices=["13-15", "16-17", "18+"])
    sign.add_argument("--lifetime", type=int, default=300)
    args = parser.parse_args(argv)

    if args.command == "keypair":
        private, public = make_issuer_keypair(args.alg, kid=args.kid)
        print(json.dumps({"private": private.as_dict(private=True), "public": public}, indent=2))
        return 0
    with open(args.key, encoding="utf-8") as fh:
        data = json.load(fh)
    # Accept the keypair command's whole output as well as a bare private JWK.
    private = JWKRegistry.import_key(data.get("private", data))
    claims = token_claims(
        iss=args.iss,
        aud=args.aud,
        nonce=args.nonce,
        method=args.method,
        age_band=args.age_band,
        lifetime_seconds=args.lifetime,
    )
    print(sign_token(claims, private, args.alg))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
