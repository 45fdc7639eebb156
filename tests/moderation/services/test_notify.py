"""A notice pushed live is written in its recipient's language (the one they signed in with or
last chose), whatever the language of the moderator or task that caused it."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import translation

from accounts.models import User
from moderation.services.decide import decide_case
from moderation.services.report import file_report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PASSWORD = "correct horse battery"  # make_user's password


def _log_in(user: User, accept_language: str) -> None:
    response = Client().post("/api/v1/accounts/login", data=json.dumps({"pseudonym": user.pseudonym,
                                                                         "password": PASSWORD}),
                             content_type="application/json", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200


def _switch_language(user: User, language: str) -> None:
    client = Client()
    client.force_login(user)
    assert client.post("/i18n/setlang/", {"language": language, "next": "/"}).status_code == 302


async def _notice(ws) -> dict:
    while True:
        event = await ws.next_event(timeout=3)
        if event.get("type") == "notice":
            return event


async def _warn(make_user, moderator, subject: User, *, moderator_language: str) -> None:
    reporter = await sync_to_async(make_user)()
    report = await sync_to_async(file_report)(
        reporter=reporter, target={"user": str(subject.pk)}, category="harassment", details="", good_faith=True)

    def decide() -> None:
        # The moderator's own request language must not leak into the recipient's notice.
        with translation.override(moderator_language):
            decide_case(moderator=moderator, case_id=report.case_id, action="warn",
                        reason_code="harassment")

    await sync_to_async(decide)()


@pytest.mark.parametrize("pseudonym, accept_language, moderator_language, opening, human", [
    ("camille_fr", "fr-FR,fr;q=0.9", "en", "Décision : avertissement.", "Cette décision a été prise par une personne."),
    ("jamie_en", "en-GB,en;q=0.9", "fr", "Decision: warning.", "This was decided by a person."),
])
async def test_live_notice_is_in_the_recipients_language(make_user, moderator, ws_client, pseudonym,
                                                          accept_language, moderator_language, opening, human):
    subject = await sync_to_async(make_user)(pseudonym=pseudonym)
    await sync_to_async(_log_in)(subject, accept_language)
    ws = await ws_client(subject)
    await _warn(make_user, moderator, subject, moderator_language=moderator_language)
    text = (await _notice(ws))["text"]
    assert text.startswith(opening)
    assert human in text
    await ws.close()


async def test_the_language_switch_changes_the_language_of_live_notices(make_user, moderator, ws_client):
    subject = await sync_to_async(make_user)(pseudonym="alex_switch")
    await sync_to_async(_log_in)(subject, "fr")
    await sync_to_async(_switch_language)(subject, "en")
    ws = await ws_client(subject)
    await _warn(make_user, moderator, subject, moderator_language="fr")
    assert (await _notice(ws))["text"].startswith("Decision: warning.")
    await ws.close()


async def test_an_account_without_a_known_language_gets_the_default(make_user, moderator, ws_client, settings):
    subject = await sync_to_async(make_user)(pseudonym="unknown_lang")  # never logged in over HTTP
    assert subject.language == ""
    ws = await ws_client(subject)
    await _warn(make_user, moderator, subject, moderator_language="en")
    assert settings.LANGUAGE_CODE == "fr"
    assert (await _notice(ws))["text"].startswith("Décision : avertissement.")
    await ws.close()
