"""The operator helper: a key pair from the CLI signs a token the provider accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounts.age_assurance.signed_token import SignedTokenProvider
from accounts.age_assurance.testing import _main


def test_keypair_then_sign_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["keypair", "--alg", "ES256", "--kid", "cli-1"]) == 0
    pair = json.loads(capsys.readouterr().out)
    assert "d" in pair["private"] and "d" not in pair["public"]
    key_file = tmp_path / "issuer.json"
    key_file.write_text(json.dumps(pair))

    nonce = "q" * 43
    args = [
        "sign",
        "--key",
        str(key_file),
        "--iss",
        "https://demo-issuer.local",
        "--aud",
        "phare",
        "--nonce",
        nonce,
        "--age-band",
        "16-17",
    ]
    assert _main(args) == 0
    token = capsys.readouterr().out.strip()

    provider = SignedTokenProvider(
        issuers={"https://demo-issuer.local": {"keys": [pair["public"]]}}, audience="phare"
    )
    result = provider.complete(
        payload={"token": token}, expected_nonce=nonce, now=datetime.now(UTC)
    )
    assert (result.age_band, result.level) == ("16-17", "estimated")
