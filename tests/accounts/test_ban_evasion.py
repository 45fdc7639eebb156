"""Ban-evasion linking (accounts/evasion.py): a banned account's new account is linked on
privacy-preserving signals, held as a new account with a case opened until a moderator
decides; weak signals alone link nobody; signals expire after the retention period."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts import evasion, tasks, throttling
from accounts.models import AgeBand, DmPolicy, EvasionLink, EvasionSignal, NetworkSalt, User
from chat import services as chat_services
from chat.models import Membership
from core.errors import PhareError
from moderation.models import AuditEntry, Case, Decision, Notice
from moderation.services.decide import decide_case
from moderation.services.shared import open_case_for
from tests.chat.media_fixtures import media_root, photo_room, upload_and_scan  # noqa: F401  (fixtures)
from tests.chat.media_images import encode, photo
from tests.conftest import birthdate_for_age

pytestmark = pytest.mark.django_db

BANNED_IP = "198.51.100.7"
OTHER_NETWORK_IP = "203.0.113.9"
SAME_NETWORK_IP = "198.51.100.200"
AGES = {AgeBand.ADULT: 30, AgeBand.OLDER_TEEN: 16, AgeBand.YOUNG_TEEN: 14}


def browser(ip: str, device_id: str | None = None) -> Client:
    """A browser at `ip`, holding `device_id` in Phare's device cookie if given."""
    client = Client(REMOTE_ADDR=ip)
    if device_id is not None:
        client.cookies[settings.PHARE_DEVICE_COOKIE_NAME] = device_id
    return client


def sign_up(client: Client, pseudonym: str, capture, band: str = AgeBand.ADULT) -> User:
    """Sign up through the API, running what is enqueued after commit (the comparison task)."""
    body = {"pseudonym": pseudonym, "password": "correct horse battery",
            "birthdate": birthdate_for_age(AGES[band]).isoformat()}
    with capture(execute=True):
        response = client.post("/api/v1/accounts/signup", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return User.objects.get(pk=int(response.json()["user"]["id"]))


def sign_in(client: Client, pseudonym: str, capture) -> None:
    body = {"pseudonym": pseudonym, "password": "correct horse battery"}
    with capture(execute=True):
        response = client.post("/api/v1/accounts/login", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content


def ban(moderator: User, user: User, *, days_ago: int = 10, category: str = "harassment") -> None:
    """A moderator's ban through the decide service, moved `days_ago` into the past (with the
    account's sign-up before it) so that a new account signs up after it."""
    with transaction.atomic():
        case = open_case_for(subject_type=Case.SubjectType.USER, subject_id=user.pk,
                             defaults={"subject_user_id": user.pk, "category": category})
    decide_case(moderator=moderator, case_id=case.pk, action="ban", reason_code=category)
    past = timezone.now() - dt.timedelta(days=days_ago)
    Decision.objects.filter(case=case).update(created_at=past)
    User.objects.filter(pk=user.pk).update(date_joined=past - dt.timedelta(days=5))


def device_of(client: Client) -> str:
    return client.cookies[settings.PHARE_DEVICE_COOKIE_NAME].value


def refused(call) -> PhareError:
    with pytest.raises(PhareError) as caught:
        call()
    return caught.value


def end_cool_down(user: User) -> None:
    """As if the interim cool-down's minutes had passed."""
    User.objects.filter(pk=user.pk).update(muted_until=timezone.now() - dt.timedelta(seconds=1))
    user.refresh_from_db()


@pytest.fixture
def moderator(make_user) -> User:
    return make_user(AgeBand.ADULT, "mod_evasion", is_moderator=True)


@pytest.fixture
def banned(moderator, django_capture_on_commit_callbacks) -> tuple[User, str]:
    """An adult account banned ten days ago, and the device id its browser holds."""
    client = browser(BANNED_IP)
    user = sign_up(client, "darkwolf", django_capture_on_commit_callbacks)
    ban(moderator, user)
    return user, device_of(client)


@pytest.fixture
def established_room(db):
    room = chat_services.create_room(slug="calme", name="Calme", audience="adults")
    room.established_only = True
    room.save(update_fields=["established_only"])
    return room


@pytest.fixture
def open_adult(make_user) -> User:
    return make_user(AgeBand.ADULT, "open_olga", dm_policy=DmPolicy.ANYONE_IN_BAND)


def room_post(author: User, room):
    Membership.objects.get_or_create(room=room, user=author)
    return chat_services.post_room_message(author=author, room=room, body="bonjour à tous")


def dm_request(sender: User, recipient: User):
    return chat_services.open_conversation(sender=sender, to=str(recipient.pk), body="bonjour")


# --- Recorded: hashes only ------------------------------------------------------------------------

def test_sign_up_sets_a_private_device_cookie_and_keeps_only_hashes(django_capture_on_commit_callbacks):
    client = browser(BANNED_IP)
    user = sign_up(client, "river_song", django_capture_on_commit_callbacks)
    cookie = client.cookies[settings.PHARE_DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 365 * 86400
    assert not cookie["secure"]  # plain HTTP here; over HTTPS it is Secure (next test)

    signals = EvasionSignal.objects.filter(user=user)
    kinds = sorted(signals.values_list("kind", flat=True))
    periods = evasion.salt_periods_in_use(timezone.now())
    assert kinds == sorted(["device", "pseudonym"] + ["network"] * len(periods))
    assert set(signals.filter(kind="network").values_list("period", flat=True)) == set(periods)
    values = " ".join(signals.values_list("value", flat=True))
    assert cookie.value not in values and "198.51.100" not in values
    assert signals.get(kind="pseudonym").value == "riversong"

    # Signing in again from the same browser keeps its device id and adds no device.
    sign_in(client, "river_song", django_capture_on_commit_callbacks)
    assert device_of(client) == cookie.value
    assert EvasionSignal.objects.filter(user=user, kind="device").count() == 1


def test_the_device_cookie_is_secure_over_https(django_capture_on_commit_callbacks):
    client = browser(BANNED_IP)
    body = {"pseudonym": "secure_sam", "password": "correct horse battery",
            "birthdate": birthdate_for_age(30).isoformat()}
    response = client.post("/api/v1/accounts/signup", data=json.dumps(body), content_type="application/json",
                           secure=True)
    assert response.status_code == 201
    assert response.cookies[settings.PHARE_DEVICE_COOKIE_NAME]["secure"]


def test_nothing_is_recorded_when_linking_is_off(settings, django_capture_on_commit_callbacks):
    settings.PHARE_EVASION_LINKING = False
    client = browser(BANNED_IP)
    user = sign_up(client, "quiet_quinn", django_capture_on_commit_callbacks)
    assert settings.PHARE_DEVICE_COOKIE_NAME not in client.cookies
    assert not EvasionSignal.objects.filter(user=user).exists()


# --- Linked -----------------------------------------------------------------------------------

def test_a_banned_users_new_account_on_the_same_device_is_linked_held_and_put_before_a_moderator(
        banned, moderator, established_room, open_adult, django_capture_on_commit_callbacks):
    banned_user, device_id = banned
    new = sign_up(browser(OTHER_NETWORK_IP, device_id), "sunny_kate", django_capture_on_commit_callbacks)
    # Signed up after the ban, and old enough by now not to be new by age: only the hold makes it new.
    User.objects.filter(pk=new.pk).update(date_joined=timezone.now() - dt.timedelta(days=3))

    new.refresh_from_db()
    link = EvasionLink.objects.get(user=new)
    assert (link.banned_user_id, link.signals, link.status) == (banned_user.pk, ["device"], "held")
    assert new.evasion_hold and throttling.is_new_account(new)
    case = Case.objects.get(subject_type="user", subject_id=new.pk)
    assert case.is_open and case.interim_restricted and case.subject_user_id == new.pk
    assert link.case_id == case.pk and case.category == "harassment"  # what the banned account was banned for
    assert not new.banned  # never banned automatically
    entry = AuditEntry.objects.get(action="evasion.link_found", target_id=str(new.pk))
    assert entry.data == {"banned_user": banned_user.pk, "signals": ["device"], "score": 3, "case": case.pk}
    assert device_id not in json.dumps(entry.data)
    assert AuditEntry.objects.filter(action="evasion.case", target_id=str(case.pk)).exists()
    assert Notice.objects.filter(recipient=new, kind="interim", case=case).exists()

    # Established-only rooms refuse it, even once the interim cool-down is over; and its first
    # contacts wait for the moderator.
    end_cool_down(new)
    error = refused(lambda: room_post(new, established_room))
    assert error.code == "room_locked" and error.extra["reason"] == "established_only"
    error = refused(lambda: dm_request(new, open_adult))
    assert error.code == "forbidden" and error.extra["reason"] == "first_contacts_paused"

    # The moderator sees the link and which signals matched in the console's case page.
    console = Client()
    console.force_login(moderator)
    page = console.get(f"/moderation/cases/{case.pk}/").content.decode()
    assert "evasion-links" in page and "darkwolf" in page and str(EvasionSignal.Kind.DEVICE.label) in page

    # The comparison runs again at the next sign-in: the pair is judged once.
    tasks.link_to_banned_accounts.apply(args=[new.pk]).get()
    assert EvasionLink.objects.filter(user=new).count() == 1


def test_dismissal_lifts_the_hold_through_the_decide_service(
        banned, moderator, established_room, open_adult, django_capture_on_commit_callbacks):
    _banned_user, device_id = banned
    new = sign_up(browser(OTHER_NETWORK_IP, device_id), "sunny_kate", django_capture_on_commit_callbacks)
    # Signed up after the ban, and old enough by now not to be new by age.
    User.objects.filter(pk=new.pk).update(date_joined=timezone.now() - dt.timedelta(days=3))
    case = Case.objects.get(subject_type="user", subject_id=new.pk)

    decide_case(moderator=moderator, case_id=case.pk, action="dismiss", reason_code="no_violation")

    new.refresh_from_db()
    assert not new.evasion_hold and not throttling.is_new_account(new)
    assert EvasionLink.objects.get(user=new).status == "lifted"
    assert AuditEntry.objects.filter(action="evasion.hold_lifted", target_id=str(new.pk)).count() == 1
    assert room_post(new, established_room).status == "delivered"
    assert dm_request(new, open_adult)["state"] == "requested"
    # "Not the same person" is not asked again at the next comparison.
    tasks.link_to_banned_accounts.apply(args=[new.pk]).get()
    new.refresh_from_db()
    assert not new.evasion_hold and not Case.objects.filter(subject_id=new.pk, status="open").exists()


def test_a_ban_confirms_the_link_and_keeps_the_new_accounts_signals(
        banned, moderator, django_capture_on_commit_callbacks):
    _banned_user, device_id = banned
    new = sign_up(browser(OTHER_NETWORK_IP, device_id), "sunny_kate", django_capture_on_commit_callbacks)
    case = Case.objects.get(subject_type="user", subject_id=new.pk)
    decide_case(moderator=moderator, case_id=case.pk, action="ban", reason_code="harassment")
    new.refresh_from_db()
    assert new.banned and not new.evasion_hold
    assert EvasionLink.objects.get(user=new).status == "lifted"
    # Now banned itself: its signals are kept for the retention period after this ban.
    EvasionSignal.objects.filter(user=new).update(seen_at=timezone.now() - dt.timedelta(days=100))
    evasion.purge_signals()
    assert EvasionSignal.objects.filter(user=new, kind="device").exists()


def test_a_minor_account_on_a_banned_adults_device_opens_a_high_priority_case(
        banned, django_capture_on_commit_callbacks):
    _banned_user, device_id = banned
    new = sign_up(browser(OTHER_NETWORK_IP, device_id), "petit_lou", django_capture_on_commit_callbacks,
                  band=AgeBand.YOUNG_TEEN)
    case = Case.objects.get(subject_type="user", subject_id=new.pk)
    assert case.minors_involved and case.priority >= 80
    assert case.sla_due_at <= case.created_at + dt.timedelta(hours=4)


def test_the_same_network_and_a_similar_pseudonym_together_link(banned, django_capture_on_commit_callbacks):
    banned_user, _device_id = banned
    new = sign_up(browser(SAME_NETWORK_IP), "Dark_Wolf07", django_capture_on_commit_callbacks)
    link = EvasionLink.objects.get(user=new)
    assert (link.banned_user_id, link.signals, link.score) == (banned_user.pk, ["network", "pseudonym"], 3)


def test_the_same_image_links(banned, photo_room, django_capture_on_commit_callbacks):
    banned_user, _device_id = banned
    picture = encode(photo(7), "JPEG", quality=90)
    # The banned account had sent the picture before its ban (unban, upload, ban again as it was).
    User.objects.filter(pk=banned_user.pk).update(banned=False)
    Membership.objects.create(room=photo_room, user=banned_user)
    upload_and_scan(User.objects.get(pk=banned_user.pk), picture, django_capture_on_commit_callbacks, room="photos")
    User.objects.filter(pk=banned_user.pk).update(banned=True)
    assert EvasionSignal.objects.filter(user=banned_user, kind="image").exists()

    new = sign_up(browser(OTHER_NETWORK_IP), "meadow_lark", django_capture_on_commit_callbacks)
    assert not EvasionLink.objects.filter(user=new).exists()
    Membership.objects.create(room=photo_room, user=new)
    upload_and_scan(new, picture, django_capture_on_commit_callbacks, room="photos")
    link = EvasionLink.objects.get(user=new)
    assert (link.banned_user_id, link.signals) == (banned_user.pk, ["image"])


# --- Not linked -------------------------------------------------------------------------------

def test_another_device_network_and_pseudonym_is_not_linked(banned, django_capture_on_commit_callbacks):
    new = sign_up(browser(OTHER_NETWORK_IP), "meadow_lark", django_capture_on_commit_callbacks)
    new.refresh_from_db()
    assert evasion.find_matches(new) == []
    assert not new.evasion_hold and not EvasionLink.objects.exists()
    assert not Case.objects.filter(subject_id=new.pk).exists()


def test_the_same_network_alone_does_not_link(banned, django_capture_on_commit_callbacks):
    banned_user, _device_id = banned
    new = sign_up(browser(SAME_NETWORK_IP), "meadow_lark", django_capture_on_commit_callbacks)
    new.refresh_from_db()
    # Compared, and found to share the network only: not enough.
    [match] = evasion.find_matches(new)
    assert (match.banned_user_id, match.kinds, match.likely) == (banned_user.pk, {"network"}, False)
    assert not new.evasion_hold and not EvasionLink.objects.exists()
    assert not Case.objects.filter(subject_id=new.pk).exists()


def test_an_account_made_before_the_ban_is_not_linked(moderator, django_capture_on_commit_callbacks):
    client = browser(BANNED_IP)
    first = sign_up(client, "darkwolf", django_capture_on_commit_callbacks)
    earlier = sign_up(browser(OTHER_NETWORK_IP, device_of(client)), "sunny_kate", django_capture_on_commit_callbacks)
    ban(moderator, first, days_ago=1)
    User.objects.filter(pk=earlier.pk).update(date_joined=timezone.now() - dt.timedelta(days=2))
    sign_in(browser(OTHER_NETWORK_IP, device_of(client)), "sunny_kate", django_capture_on_commit_callbacks)
    assert not EvasionLink.objects.exists()


# --- Retention -------------------------------------------------------------------------------

def test_signals_past_the_retention_are_purged_and_no_longer_link(
        banned, moderator, make_user, django_capture_on_commit_callbacks):
    banned_user, device_id = banned
    long_ago = timezone.now() - dt.timedelta(days=95)
    # Banned 95 days ago, last seen then; another account signed up 88 days ago, after the ban.
    Decision.objects.filter(case__subject_user=banned_user).update(created_at=long_ago)
    EvasionSignal.objects.filter(user=banned_user).update(seen_at=long_ago)
    client = browser(OTHER_NETWORK_IP)
    later = sign_up(client, "sunny_kate", django_capture_on_commit_callbacks)
    User.objects.filter(pk=later.pk).update(date_joined=timezone.now() - dt.timedelta(days=88))
    # Banned 10 days ago but last seen 100 days ago: kept for 90 days after the ban.
    recent_ban_client = browser("192.0.2.10")
    recently_banned = sign_up(recent_ban_client, "old_timer", django_capture_on_commit_callbacks)
    ban(moderator, recently_banned, days_ago=10)
    EvasionSignal.objects.filter(user=recently_banned).update(seen_at=timezone.now() - dt.timedelta(days=100))
    # An account nobody banned, last seen 100 days ago.
    quiet = make_user(AgeBand.ADULT, "quiet_one")
    EvasionSignal.objects.create(user=quiet, kind="device", value="f" * 64,
                                 seen_at=timezone.now() - dt.timedelta(days=100))
    # A network salt no longer in use.
    old_period = evasion.salt_periods_in_use(timezone.now()).start - 1
    NetworkSalt.objects.create(period=old_period, salt="0" * 64)
    EvasionSignal.objects.create(user=quiet, kind="network", period=old_period, value="e" * 64)

    assert settings.CELERY_BEAT_SCHEDULE["purge-evasion-signals"]["task"] == "accounts.tasks.purge_evasion_signals"
    assert tasks.purge_evasion_signals.apply().get() > 0

    assert not EvasionSignal.objects.filter(user=banned_user).exists()
    assert not EvasionSignal.objects.filter(user=quiet).exists()
    assert not NetworkSalt.objects.filter(period=old_period).exists()
    assert EvasionSignal.objects.filter(user=recently_banned, kind="device").exists()
    # The later account now signs in from the banned account's device: nothing left to match.
    sign_in(browser(OTHER_NETWORK_IP, device_id), "sunny_kate", django_capture_on_commit_callbacks)
    assert not EvasionLink.objects.filter(user=later).exists()


# --- The pieces ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("ip", "prefix"), [
    ("198.51.100.7", "198.51.100.0/24"),
    ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
    ("::ffff:198.51.100.7", "198.51.100.0/24"),
    ("127.0.0.1", None),
    ("not-an-address", None),
    (None, None),
])
def test_network_prefix(ip, prefix):
    assert evasion.network_prefix(ip) == prefix


@pytest.mark.parametrize(("a", "b", "similar"), [
    ("darkwolf", "Dark_Wolf07", True),
    ("darkwolf", "dаrkwolf", True),  # Cyrillic а
    ("darkwolf", "darkwolves", False),
    ("shadowcat", "shadowbat", True),  # one letter apart, long enough
    ("alex", "alex99", True),
    ("alex", "alec", False),  # too short for an edit to count
    ("bob", "bob2", False),  # too short to mean anything
    ("sunflower", "meadowlark", False),
])
def test_pseudonym_similarity(a, b, similar):
    assert evasion.similar_stems(evasion.pseudonym_stem(a), evasion.pseudonym_stem(b)) is similar


def test_the_score_rule():
    def likely(*kinds: str) -> bool:
        return evasion.Match(1, frozenset(kinds)).likely

    assert likely("device") and likely("image") and likely("network", "pseudonym")
    assert not likely("network") and not likely("pseudonym")
