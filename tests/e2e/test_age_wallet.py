"""Proving one's age with a wallet (openid4vp) from the chat client, in a real Chromium.

The server here is one of its own, the suite's settings plus a trust list naming a test
issuer made for this module; the wallet is accounts.age_assurance.sd_jwt_testing, which
answers the request the page shows, by the link's own parameters, while the page polls.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

from accounts.age_assurance.sd_jwt_testing import Credential, issue_attestation, present
from accounts.age_assurance.testing import make_issuer_keypair
from tests.e2e.conftest import (PASSWORD, LiveServer, Person, birthdate, open_person_at, running_server, sign_up,
                                unique)

pytestmark = pytest.mark.e2e

ISS = "https://av-issuer.test"
VCT = "urn:example:age-attestation:1"


@pytest.fixture(scope="module")
def issuer_key() -> tuple[Any, dict[str, Any]]:
    return make_issuer_keypair("ES256", kid="av-e2e")


@pytest.fixture(scope="module")
def wallet_server(e2e_env, issuer_key, tmp_path_factory) -> Iterator[LiveServer]:
    """The suite's server, with the openid4vp provider on (a trust list of one test issuer,
    trusted for `verified`)."""
    folder = tmp_path_factory.mktemp("wallet")
    trust_list = folder / "trust-list.json"
    trust_list.write_text(json.dumps({"issuers": [
        {"issuer": ISS, "name": "Test age attestations", "level": "verified", "vcts": [VCT],
         "keys": [issuer_key[1]]},
    ]}))
    env = {**e2e_env, "PHARE_OPENID4VP_TRUST_LIST": str(trust_list)}
    with running_server(env, folder / "uvicorn.log", "uvicorn (wallet)") as server:
        yield server


@pytest.fixture
def open_person(browser, wallet_server: LiveServer) -> Iterator[Callable[..., Person]]:
    contexts: list = []

    def open_(*, locale: str = "en-GB") -> Person:
        return open_person_at(browser, wallet_server, contexts, pseudonym=unique("wallet"), locale=locale)

    yield open_
    for context in contexts:
        context.close()
    # Shown by pytest only when the test failed: the server's last words.
    print("--- uvicorn (wallet) ---\n" + wallet_server.server.log_tail())


def wallet_request(href: str) -> dict[str, Any]:
    """The authorization request, as a wallet reads it from the openid4vp:// link."""
    assert href.startswith("openid4vp://?"), href
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(href).query))
    query["dcql_query"] = json.loads(query["dcql_query"])
    return query


def wallet_presentation(issuer_key, request: dict[str, Any], *, tamper: bool = False) -> str:
    """What the test wallet sends: an attestation of the trusted issuer disclosing what the
    request asks, bound to its nonce and client_id. `tamper`: one byte of the issuer's
    signature changed after the fact."""
    holder_key, holder_jwk = make_issuer_keypair("ES256")
    credential = issue_attestation(issuer_key=issuer_key[0], iss=ISS, vct=VCT, holder_jwk=holder_jwk,
                                   age_claims={"age_over_16": True, "age_over_18": True})
    if tamper:
        head, payload, signature = credential.issuer_jwt.split(".")
        middle = len(signature) // 2
        changed = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
        credential = Credential(issuer_jwt=f"{head}.{payload}.{changed}", disclosures=credential.disclosures)
    asked = [claim["path"][0] for claim in request["dcql_query"]["credentials"][0]["claims"]]
    return present(credential, holder_key=holder_key, nonce=request["nonce"], aud=request["client_id"],
                   disclose=asked)


def wallet_posts(request: dict[str, Any], presentation: str) -> tuple[int, dict[str, Any]]:
    """The wallet's direct_post to the response_uri: form-encoded, no cookies."""
    body = urllib.parse.urlencode({
        "vp_token": json.dumps({"age_attestation": [presentation]}), "state": request["state"],
    }).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(request["response_uri"], data=body), timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def open_wallet_check(person: Person):
    """An adult who only declared an age opens the room that needs a verification: the
    dialog offers the wallet; the request is made and its link shown."""
    page = person.page
    sign_up(person, age=30)
    room = page.locator("#room-list").get_by_role("button", name=re.compile("Après minuit"))
    expect(room).to_contain_text("age check needed")
    room.click()
    dialog = page.locator("#assurance-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Prove my age with a wallet").click()
    link = dialog.get_by_role("link", name="Open my wallet app")
    expect(link).to_be_visible()
    expect(dialog.get_by_role("status")).to_have_text("Waiting for your wallet's answer…")
    return dialog, wallet_request(link.get_attribute("href"))


def test_an_adult_proves_their_age_with_a_wallet_while_the_page_waits(open_person, issuer_key):
    person = open_person()
    dialog, request = open_wallet_check(person)
    # Nothing more than the band needs is asked, and the answer goes to this server.
    assert request["dcql_query"]["credentials"][0]["claims"] == [{"path": ["age_over_18"]}]
    assert request["response_uri"] == person.server.url + "/api/v1/age-assurance/openid4vp/response"

    status, answer = wallet_posts(request, wallet_presentation(issuer_key, request))
    assert status == 200, answer

    outcome = dialog.locator(".wallet-outcome")
    expect(outcome).to_have_text("Your age is confirmed. Your account now has: an age verification (18+).")
    person.shot("age-wallet-verified")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog).to_be_hidden()
    # The page knows the new level: the room opens and no longer asks for a check.
    expect(person.page.locator("#pane-title")).to_have_text("Après minuit")
    expect(person.page.locator("#composer")).to_be_visible()
    room = person.page.locator("#room-list").get_by_role("button", name=re.compile("Après minuit"))
    expect(room).not_to_contain_text("age check needed")
    assert person.page_errors == []


def test_a_tampered_presentation_is_refused_and_the_page_says_so(open_person, issuer_key):
    person = open_person()
    dialog, request = open_wallet_check(person)

    status, answer = wallet_posts(request, wallet_presentation(issuer_key, request, tamper=True))
    assert status == 400 and answer["error"]["code"] == "token_invalid_signature", answer

    outcome = dialog.locator(".wallet-outcome")
    expect(outcome).to_contain_text("Your wallet's answer was not accepted.")
    # Why, in the page's language (the wallet, which sent no language, was told in French).
    expect(outcome).to_contain_text("The age token's signature is not valid.")
    expect(dialog.get_by_role("button", name="Try again with my wallet")).to_be_visible()
    expect(dialog.get_by_role("link", name="Open my wallet app")).to_have_count(0)
    person.shot("age-wallet-refused")
    # Nothing changed on the account: the room still asks for a check.
    dialog.get_by_role("button", name="Not now").click()
    room = person.page.locator("#room-list").get_by_role("button", name=re.compile("Après minuit"))
    expect(room).to_contain_text("age check needed")
    assert person.page_errors == []


def test_in_french_the_wallet_branch_says_tu(open_person, issuer_key):
    person = open_person(locale="fr-FR")
    page = person.page
    page.get_by_label(re.compile("^Pseudonyme$")).first.fill(person.pseudonym)
    page.locator("#signup-password").fill(PASSWORD)
    page.locator("#signup-birthdate").fill(birthdate(30))
    page.locator("#signup-form button[type=submit]").click()
    expect(page.locator("#whoami")).to_contain_text(person.pseudonym)
    page.locator("#room-list").get_by_role("button", name=re.compile("Après minuit")).click()
    dialog = page.locator("#assurance-dialog")
    dialog.get_by_role("button", name="Prouver mon âge avec un portefeuille").click()
    link = dialog.get_by_role("link", name="Ouvrir mon application portefeuille")
    expect(link).to_be_visible()
    request = wallet_request(link.get_attribute("href"))
    wallet_posts(request, wallet_presentation(issuer_key, request))
    expect(dialog.locator(".wallet-outcome")).to_have_text(
        "Ton âge est confirmé. Ton compte a maintenant : une vérification de l'âge (18+).")
    assert person.page_errors == []
