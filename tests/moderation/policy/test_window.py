"""Windows (moderation/policy/window.py): the sender's recent texts in one conversation are read
with the current one, so that what is split over several messages is judged whole."""

from __future__ import annotations

import pytest

from moderation.policy import (
    SPLIT_MARKER,
    PolicySnapshot,
    ScreeningContext,
    Verdict,
    explain,
    remember,
    screen_text,
)
from moderation.policy.reasons import REPORT_CATEGORY
from moderation.policy.window import REMEMBERED_CHARS, could_find, cues_of
from moderation.policy.normalise import normalise
from tests.moderation.policy.conftest import (
    ADULTS_DM,
    ADULTS_DM_REQUEST,
    ADULTS_ROOM,
    MINORS_DM,
    MINORS_ROOM,
    PSEUDONYM,
)


def conversation(
    snapshot: PolicySnapshot, context: ScreeningContext, messages: list[str]
) -> list[Verdict]:
    """Each message screened with the sender's earlier ones as its window, as the pipeline
    does (refused texts stay in the window)."""
    recent = []
    verdicts = []
    for text in messages:
        verdict = screen_text(text, snapshot=snapshot, context=context, recent=tuple(recent[-5:]))
        verdicts.append(verdict)
        recent.append(remember(text, refused=verdict.decision in ("block", "escalate"),
                             reasons=verdict.reasons))
    return verdicts


@pytest.mark.parametrize(
    "messages, reason",
    [
        (["06", "12 34", "56 78"], "contact_phone"),
        (["mon snap c", "lea.b", "2009"], "contact_handle"),
        (["on se voit", "samedi", "a la gare"], "meeting_arrangement"),
        (["zero six", "douze trente quatre", "cinquante six soixante dix huit"], "contact_phone"),
        (["lea.martin at", "gmail"], "contact_email"),
        (["ajoute moi", "sur snap"], "contact_handle"),
        (["viens", "me voir"], "meeting_arrangement"),
    ],
)
def test_a_finding_split_over_messages_is_stopped_on_the_message_that_completes_it(
    seed_snapshot, messages, reason
):
    verdicts = conversation(seed_snapshot, MINORS_ROOM, messages)
    alone = [screen_text(m, snapshot=seed_snapshot, context=MINORS_ROOM) for m in messages]
    assert [v.decision for v in alone] == ["allow"] * len(messages)
    assert verdicts[0].decision == "allow"
    completed = next(v for v in verdicts if v.decision != "allow")
    # Contact details are refused in a minors' room; a meeting is held for a moderator.
    assert completed.decision == ("hold" if reason == "meeting_arrangement" else "block")
    assert completed.reasons == (reason, SPLIT_MARKER)


def test_a_split_number_is_decided_like_the_whole_number_in_each_space(seed_snapshot):
    for context in (MINORS_ROOM, MINORS_DM, ADULTS_DM_REQUEST, ADULTS_ROOM, ADULTS_DM):
        whole = screen_text("06 12 34 56 78", snapshot=seed_snapshot, context=context)
        split = conversation(seed_snapshot, context, ["06 12", "34 56 78"])[-1]
        assert split.decision == whole.decision, context
        assert split.reasons == whole.reasons + (SPLIT_MARKER,), context


def test_a_message_that_triggers_alone_is_not_counted_twice(seed_snapshot):
    verdict = conversation(seed_snapshot, MINORS_ROOM, ["06", "06 12 34 56 78"])[-1]
    assert verdict.reasons == ("contact_phone",)


def test_what_an_earlier_message_already_carried_does_not_refuse_the_next_one(seed_snapshot):
    verdicts = conversation(seed_snapshot, MINORS_ROOM, ["06 12 34 56 78", "ok", "tu m'appelles ?"])
    assert [v.decision for v in verdicts] == ["block", "allow", "allow"]


def test_a_retry_after_a_refused_piece_still_joins_the_pieces_that_passed(seed_snapshot):
    verdicts = conversation(seed_snapshot, MINORS_ROOM, ["06 12 34", "56 78", "56.78"])
    assert [v.decision for v in verdicts] == ["allow", "block", "block"]
    assert verdicts[2].reasons == ("contact_phone", SPLIT_MARKER)


def test_a_handle_given_after_its_app_is_caught(seed_snapshot):
    verdicts = conversation(seed_snapshot, MINORS_DM, ["mon snap c'est", "lealou"])
    assert [v.decision for v in verdicts] == ["allow", "block"]


@pytest.mark.parametrize(
    "messages, context",
    [
        (["gg", "3", "2", "on refait ?"], MINORS_ROOM),
        (["il est quelle heure ?", "16h30", "ok merci"], MINORS_ROOM),
        (["le contrôle", "c'est le 12/03/2024", "à 10h"], MINORS_ROOM),
        (["on se voit", "demain en cours"], MINORS_ROOM),
        (["mes notes", "12 14 08", "15 11 09 13"], MINORS_ROOM),
        (["mon insta", "est en privé"], MINORS_ROOM),
        (["rendez-vous", "chez le dentiste"], ADULTS_ROOM),
        (["j'ai payé 12", "euros", "le ticket"], ADULTS_ROOM),
        # A plan stated, then acknowledged: a reply, not an invitation split in two.
        (["the bus leaves from the station at 8", "ok see you there"], MINORS_DM),
    ],
)
def test_ordinary_consecutive_messages_are_judged_as_if_alone(seed_snapshot, messages, context):
    windowed = conversation(seed_snapshot, context, messages)
    alone = [screen_text(m, snapshot=seed_snapshot, context=context) for m in messages]
    assert windowed == alone


def test_an_appointment_that_is_a_meeting_alone_is_not_reported_again_by_the_window(seed_snapshot):
    verdicts = conversation(seed_snapshot, ADULTS_ROOM, ["rdv 14h", "chez le dentiste"])
    assert SPLIT_MARKER not in verdicts[1].reasons


def test_names_ignore_the_window(seed_snapshot):
    recent = (remember("mon snap c'est"),)
    verdict = screen_text("lealou", snapshot=seed_snapshot, context=PSEUDONYM, recent=recent)
    assert verdict.decision == "allow"


def test_the_window_is_read_only_when_its_cues_allow_a_finding():
    plain = [remember(t) for t in ("salut", "ça va ?", "trop bien le film")]
    assert not could_find(cues_of(normalise("mdr").runs, "mdr"), plain)
    numbers = [remember("06 12")]
    assert could_find(cues_of(normalise("34 56").runs, "34 56"), numbers)
    # One number is not a phone number; two numbers in the same message were read alone.
    assert not could_find(cues_of(normalise("3").runs, "3"), plain)
    # An app word earlier: any word may be the handle that follows.
    assert could_find(cues_of(normalise("lealou").runs, "lealou"), [remember("mon snap c'est")])


def test_a_remembered_text_keeps_its_end_only():
    long_text = "blabla " * 100 + "mon snap c'est"
    kept = remember(long_text)
    assert len(kept.text) == REMEMBERED_CHARS
    assert kept.text.endswith("mon snap c'est")


def test_the_split_marker_is_explained_and_filed_under_grooming():
    assert "plusieurs messages" in explain(SPLIT_MARKER, "fr")
    assert "several messages" in explain(SPLIT_MARKER, "en")
    assert REPORT_CATEGORY[SPLIT_MARKER] == "grooming"
