"""Conversation-level grooming risk is scored off the hot path and files a flag above threshold."""

from unittest import mock

import pytest

from accounts.models import AgeBand, DmPolicy
from chat import services as chat_services
from moderation import grooming
from moderation.models import Flag

pytestmark = pytest.mark.django_db


def accepted_conversation(sender, recipient, messages):
    recipient.dm_policy = DmPolicy.ANYONE_IN_BAND
    recipient.save(update_fields=["dm_policy"])
    conversation = chat_services.open_conversation(sender=sender, to=str(recipient.pk), body=messages[0])
    chat_services.accept_conversation(user=recipient, conversation_id=conversation["id"])
    for body in messages[1:]:
        chat_services.send_direct_message(sender=sender, conversation_id=conversation["id"], body=body)
    return int(conversation["id"])


def older_teen_grooming_younger(make_user):
    """A 16-17 writing to a 13-15 (two people who accepted a trusted connection: across bands
    nothing else lets them talk in private) in the stages of grooming; (older, younger,
    conversation id)."""
    from tests.chat.trusted import trusted_pair

    older, younger = make_user(AgeBand.OLDER_TEEN), make_user(AgeBand.YOUNG_TEEN)
    trusted_pair(older, younger)
    conversation_id = accepted_conversation(older, younger, [
        "salut, tu es trop mignonne", "t'as quel âge ?", "tu es seule chez toi ce soir ?",
        "c'est notre secret, ne dis rien à tes parents", "envoie une photo de toi",
    ])
    return older, younger, conversation_id


def test_dm_traffic_schedules_one_assessment_after_commit(make_user, django_capture_on_commit_callbacks):
    a, b = make_user(AgeBand.ADULT), make_user(AgeBand.ADULT)
    with mock.patch("moderation.tasks.assess_grooming_risk.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            conversation_id = accepted_conversation(a, b, ["bonjour", "ça va ?", "bonne soirée"])
    # Debounced: three messages within the window, one task.
    delay.assert_called_once_with(conversation_id, a.pk)


def test_an_escalating_conversation_files_one_flag_with_the_excerpt(make_user):
    older, younger, conversation_id = older_teen_grooming_younger(make_user)
    # What the task does (on_commit callbacks do not run inside a test transaction).
    grooming.assess_conversation(conversation_id=conversation_id)
    flags = [f for f in Flag.objects.filter(conversation_id_snapshot=conversation_id) if "grooming_risk" in f.reasons]
    assert len(flags) == 1
    flag = flags[0]
    assert flag.subject_id == older.pk and flag.decision == "hold"
    assert "ne dis rien" in flag.text and flag.risk >= 0.7
    # Scoring again (a task run twice) files nothing more.
    assert grooming.assess_conversation(conversation_id=conversation_id) == []


def test_an_ordinary_conversation_files_nothing(make_user):
    a, b = make_user(AgeBand.YOUNG_TEEN), make_user(AgeBand.YOUNG_TEEN)
    conversation_id = accepted_conversation(a, b, [
        "salut ! tu as fini l'exercice de maths ?", "moi je bloque sur le 3", "on en parle demain en cours",
    ])
    assert grooming.assess_conversation(conversation_id=conversation_id) == []
    assert not Flag.objects.filter(conversation_id_snapshot=conversation_id).exists()


def test_the_younger_recipients_replies_are_never_flagged_and_the_flag_points_at_the_groomers_message(make_user):
    """Cases land on the person who initiated: a child answering a groomer's questions is not
    the offender, and the groomer's flag (whose measures hide the message it points at) never
    points at the child's reply."""
    from chat.models import Message

    older, younger, conversation_id = older_teen_grooming_younger(make_user)
    # The child's replies come last: the excerpt's last message is theirs.
    for body in ("oui je suis seule ce soir", "j'ai 13 ans", "ok c'est notre secret, je dis rien à mes parents",
                 "tu veux une photo de moi ?"):
        chat_services.send_direct_message(sender=younger, conversation_id=str(conversation_id), body=body)
    grooming.assess_conversation(conversation_id=conversation_id)
    flags = [f for f in Flag.objects.filter(conversation_id_snapshot=conversation_id) if "grooming_risk" in f.reasons]
    assert [f.subject_id for f in flags] == [older.pk]
    assert Message.objects.get(pk=flags[0].message_id_snapshot).author_id == older.pk


def test_a_held_sender_waits_in_that_conversation_until_a_moderator_decides(make_user, moderator):
    """Once the score held the older sender, their further replies in that conversation are
    held too (review_pending) until the case is decided; the younger person's replies are not."""
    from chat.models import Message
    from moderation.services.decide import decide_case
    from moderation.services.triage import triage_flag

    older, younger, conversation_id = older_teen_grooming_younger(make_user)
    before = chat_services.send_direct_message(sender=older, conversation_id=str(conversation_id), body="tu fais quoi ?")
    assert before.status == "delivered"
    [flag] = grooming.assess_conversation(conversation_id=conversation_id)
    triage_flag(flag_id=flag.pk)
    flag.refresh_from_db()

    held = chat_services.send_direct_message(sender=older, conversation_id=str(conversation_id), body="tu fais quoi ?")
    assert held.status == "held"
    assert Message.objects.get(pk=held.message["id"]).status == Message.Status.HELD
    assert "review_pending" in Flag.objects.get(message_id_snapshot=held.message["id"]).reasons
    answer = chat_services.send_direct_message(sender=younger, conversation_id=str(conversation_id), body="rien")
    assert answer.status == "delivered"
    # Scoring again while the pair waits files no new grooming case: one at a time.
    assert grooming.assess_conversation(conversation_id=conversation_id) == []

    decide_case(moderator=moderator, case_id=flag.case_id, action="dismiss", reason_code="other")
    after = chat_services.send_direct_message(sender=older, conversation_id=str(conversation_id), body="tu fais quoi ?")
    assert after.status == "delivered"


def test_a_meeting_held_between_minors_waits_for_a_moderator_without_restricting_its_author(make_user):
    """A meeting in a minors' room is held (a moderator reads it first) and filed as grooming,
    but it is not critical alone: its author is neither cooled down nor paused."""
    from django.utils import timezone

    from chat.models import Message
    from moderation.models import Case
    from moderation.services.triage import triage_flag

    room = chat_services.create_room(slug="ados", name="Ados", audience="minors")
    teen = make_user(AgeBand.YOUNG_TEEN)
    chat_services.join_room(user=teen, slug=room.slug)
    result = chat_services.post_room_message(author=teen, room=room, body="tu viens à mon anniv samedi à 14h chez moi ?")
    assert result.status == "held"
    assert Message.objects.get(pk=result.message["id"]).status == Message.Status.HELD
    flag = Flag.objects.get(message_id_snapshot=int(result.message["id"]))
    triage_flag(flag_id=flag.pk)  # what the queue's task does after commit
    case = Case.objects.get(subject_type="message", subject_id=int(result.message["id"]))
    teen.refresh_from_db()
    assert case.category == "grooming" and not case.interim_restricted
    assert not teen.is_muted(timezone.now())


def test_a_sender_working_a_minors_room_goes_to_the_queue_without_a_restriction(make_user):
    """Room messages are scored per sender (moderation.tasks.assess_room_voices, every
    minute): flattery, class and town questions in a minors' room send the sender to the
    queue with the excerpt; a room score never holds and never restricts (no addressee)."""
    from django.utils import timezone

    from moderation.services.triage import triage_flag

    room = chat_services.create_room(slug="ados-salon", name="Salon ados", audience="minors")
    sender, classmate = make_user(AgeBand.OLDER_TEEN), make_user(AgeBand.YOUNG_TEEN)
    for person in (sender, classmate):
        chat_services.join_room(user=person, slug=room.slug)
    chat_services.post_room_message(author=classmate, room=room, body="qui a vu le dernier épisode ?")
    for body in ("lucie t'as trop raison, t'es la plus mignonne du salon", "t'es en quelle classe ?",
                 "et t'habites où ?", "t'es seule chez toi ce soir ?"):
        assert chat_services.post_room_message(author=sender, room=room, body=body).status == "delivered"

    flags = grooming.assess_room_voices()
    assert [(f.subject_id, f.decision, f.room_id_snapshot) for f in flags] == [(sender.pk, "flag", room.pk)]
    assert "t'es en quelle classe" in flags[0].text and "grooming_risk" in flags[0].reasons
    assert grooming.assess_room_voices() == []  # idempotent: the same messages file nothing more
    # More of the same while the case waits: still one case, not one a minute.
    chat_services.post_room_message(author=sender, room=room, body="tu fais quoi ce soir toute seule ?")
    assert grooming.assess_room_voices() == []
    triage_flag(flag_id=flags[0].pk)
    sender.refresh_from_db()
    assert not sender.is_muted(timezone.now())
    # Who wrote nothing lately is not read again.
    assert grooming.assess_room_voices(since=timezone.now()) == []
