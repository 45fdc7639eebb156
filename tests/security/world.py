"""A small world for authorisation tests: one account per role, and things that belong to
other people (a message, a report, a case, a notice, an appeal, a conversation, an upload),
each carrying a secret string that must never appear in an answer to someone not allowed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.models import AgeBand, User
from chat import services as chat_services

ROLES = ("visitor", "minor", "adult", "muted", "suspended", "moderator", "operator")
SIGNED_IN = frozenset(ROLES) - {"visitor"}

SECRET_MESSAGE = "zqsecretmessage7f3a"
SECRET_DM = "zqsecretdm22c1"
SECRET_REPORT = "zqsecretreport91b"
SECRET_APPEAL = "zqsecretappeal5d0"
SECRET_PSEUDONYMS = ("zq_otter_ann", "zq_otter_tim")


@dataclass
class World:
    users: dict[str, User]
    other_adult: User
    other_minor: User
    adults_room: Any
    minors_room: Any
    ids: dict[str, str] = field(default_factory=dict)  # what → id of someone else's thing

    def secrets(self) -> list[str]:
        return [SECRET_MESSAGE, SECRET_DM, SECRET_REPORT, SECRET_APPEAL, *SECRET_PSEUDONYMS]


def build_world(make_user) -> World:
    later = timezone.now() + dt.timedelta(days=3)
    users = {
        "minor": make_user(AgeBand.YOUNG_TEEN, "kestrel_mi"),
        "adult": make_user(AgeBand.ADULT, "kestrel_ad"),
        "muted": make_user(AgeBand.ADULT, "kestrel_mu", muted_until=later),
        "suspended": make_user(AgeBand.ADULT, "kestrel_su", suspended_until=later),
        "moderator": make_user(AgeBand.ADULT, "kestrel_mo", is_moderator=True),
        "operator": make_user(AgeBand.ADULT, "kestrel_op", is_operator=True, is_staff=True),
    }
    other_adult = make_user(AgeBand.ADULT, SECRET_PSEUDONYMS[0])
    other_minor = make_user(AgeBand.YOUNG_TEEN, SECRET_PSEUDONYMS[1])
    third_adult = make_user(AgeBand.ADULT, "zq_third_ben")
    adults_room = chat_services.create_room(slug="az-cafe", name="Az café", audience="adults")
    minors_room = chat_services.create_room(slug="az-college", name="Az collège", audience="minors")
    world = World(users=users, other_adult=other_adult, other_minor=other_minor,
                  adults_room=adults_room, minors_room=minors_room)
    world.ids["adult_user"] = str(other_adult.pk)
    world.ids["minor_user"] = str(other_minor.pk)

    chat_services.join_room(user=other_adult, slug=adults_room.slug)
    message = chat_services.post_room_message(author=other_adult, room=adults_room, body=SECRET_MESSAGE)
    world.ids["message"] = str(message.message["id"])
    chat_services.join_room(user=other_minor, slug=minors_room.slug)
    minor_message = chat_services.post_room_message(author=other_minor, room=minors_room, body="bonjour tout le monde")
    world.ids["minor_message"] = str(minor_message.message["id"])

    # A conversation between two other people.
    third_adult.dm_policy = "anyone_in_band"
    third_adult.save(update_fields=["dm_policy"])
    conversation = chat_services.open_conversation(sender=other_adult, to=str(third_adult.pk), body=SECRET_DM)
    world.ids["conversation"] = str(conversation["id"])
    # A trusted connection between the same two (as rows: nothing of it is anyone else's).
    from chat.models import TrustedConnection

    low, high = sorted([other_adult, third_adult], key=lambda u: u.pk)
    world.ids["trusted_connection"] = str(TrustedConnection.objects.create(
        proposer=other_adult, user_low=low, user_high=high, state="active").pk)

    _add_moderation(world, third_adult, make_user)
    _add_upload(world)
    return world


def _add_moderation(world: World, third_adult: User, make_user) -> None:
    """Through the real services: a decided case with a notice and an appeal (all about
    other people, decided by a moderator who is not one of the roles), and an open case."""
    try:
        from moderation import rules
        from moderation.services.appeal import file_appeal
        from moderation.services.claim import claim_case
        from moderation.services.decide import decide_case
        from moderation.services.report import file_report
        from moderation.models import Notice
    except ImportError:  # before the moderation queue lands
        return
    report = file_report(
        reporter=world.other_adult, target={"user": str(third_adult.pk)}, category="harassment",
        details=SECRET_REPORT, good_faith=True,
    )
    world.ids["report"] = str(report.pk)
    other_moderator = make_user(AgeBand.ADULT, "zq_kite_lou", is_moderator=True)
    claim_case(moderator=other_moderator, case_id=str(report.case_id))
    decide_case(moderator=other_moderator, case_id=str(report.case_id), action="warn",
                reason_code=rules.REASON_CODES[0], note=SECRET_REPORT)
    notice = Notice.objects.filter(recipient=third_adult, decision__isnull=False).order_by("-pk").first()
    world.ids["notice"] = str(notice.pk)
    appeal = file_appeal(user=third_adult, notice_id=str(notice.pk), reason=SECRET_APPEAL)
    world.ids["appeal"] = str(appeal.pk)
    open_report = file_report(
        reporter=third_adult, target={"message": world.ids["message"]}, category="spam",
        details=SECRET_REPORT, good_faith=True,
    )
    world.ids["case"] = str(open_report.case_id)


def _add_upload(world: World) -> None:
    try:
        from chat.models import Upload
    except ImportError:
        return
    upload = Upload.objects.create(uploader=world.other_adult, room=world.adults_room)
    world.ids["upload"] = str(upload.pk)
