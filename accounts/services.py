"""Account services: sign-up, sign-in records, settings, deletion, roles, age bands."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from accounts import signals, throttling
from core.errors import PhareError
from accounts.age_assurance.base import AssuranceResult
from accounts.models import ASSURANCE_ORDER, AgeBand, ConnectionLog, ContactRule, DmPolicy, User
from accounts.permissions import ROLE_FIELDS, has_role, in_good_standing
from accounts.policies import NEVER_IN_CONTACT, bump_contact_version, may_contact
from accounts.pseudonyms import KEY_MAX_LENGTH, is_mixed_script, pseudonym_key, reserved_form

PSEUDONYM_RE = re.compile(r"^[\w][\w.\-]{1,30}[\w]$")
# Names that would let someone pass for staff or the system.
RESERVED_PSEUDONYMS = frozenset(
    {
        "admin", "administrator", "administrateur", "moderator", "moderateur", "modo",
        "operator", "operateur", "phare", "system", "systeme", "support", "staff",
        "root", "official", "officiel", "police", "gendarmerie", "help", "aide",
        "deleted", "anonymous", "anonyme", "null", "undefined",
    }
)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, month=3, day=1)


def age_on(birthdate: dt.date, today: dt.date) -> int:
    return today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))


def age_band_for(birthdate: dt.date, today: dt.date) -> tuple[str, dt.date | None]:
    """The band on `today` and the date it ends. Raises `age_below_minimum` under 13."""
    age = age_on(birthdate, today)
    if age < settings.PHARE_MIN_AGE:
        raise PhareError("age_below_minimum")
    if age < 16:
        return AgeBand.YOUNG_TEEN, add_years(birthdate, 16)
    if age < 18:
        return AgeBand.OLDER_TEEN, add_years(birthdate, 18)
    return AgeBand.ADULT, None


def next_band(band: str) -> str:
    return AgeBand.OLDER_TEEN if band == AgeBand.YOUNG_TEEN else AgeBand.ADULT


def default_dm_policy(band: str) -> str:
    return DmPolicy.ANYONE_IN_BAND if band == AgeBand.ADULT else DmPolicy.SHARED_ROOMS


def _name_screen_refusal(name: str, kind: str) -> str | None:
    """The reason code of the first name screen that refuses `name` (moderation's gate,
    connected to `signals.name_screening`), or None."""
    for _receiver, refusal in signals.name_screening.send(sender=User, name=name, kind=kind):
        if refusal:
            return refusal
    return None


def _reserved_forms() -> tuple[frozenset[str], tuple[str, ...]]:
    """The reserved names as compared (their skeletons): whole names, and the prefixes no
    name may start with (those longer than three letters)."""
    forms = {name: reserved_form(name) for name in RESERVED_PSEUDONYMS}
    return frozenset(forms.values()), tuple(form for name, form in forms.items() if len(name) > 3)


def validate_pseudonym(pseudonym: str) -> str:
    """The pseudonym as it will be shown (NFC), or `pseudonym_not_allowed` with a `reason`:
    `format`, `mixed_script` (Latin mixed with Cyrillic or Greek letters, UTS #39), `reserved`
    (a reserved name or a look-alike of one), or the name screen's reason. Whether the name
    is free is `sign_up`'s to say (`pseudonym_taken`, look-alikes included)."""
    pseudonym = unicodedata.normalize("NFC", pseudonym.strip())
    if not PSEUDONYM_RE.fullmatch(pseudonym) or len(pseudonym_key(pseudonym)) > KEY_MAX_LENGTH:
        raise PhareError(
            "pseudonym_not_allowed",
            extra={"field": "pseudonym", "reason": "format"},
        )
    whole, prefixes = _reserved_forms()
    form = reserved_form(pseudonym)
    if form in whole or form.startswith(prefixes):
        raise PhareError("pseudonym_not_allowed", extra={"field": "pseudonym", "reason": "reserved"})
    if is_mixed_script(pseudonym):
        raise PhareError("pseudonym_not_allowed", extra={"field": "pseudonym", "reason": "mixed_script"})
    refusal = _name_screen_refusal(pseudonym, "pseudonym")
    if refusal:
        raise PhareError("pseudonym_not_allowed", extra={"field": "pseudonym", "reason": refusal})
    return pseudonym


def _checked_new_account(*, pseudonym: str, password: str, band: str) -> str:
    """The pseudonym as it will be shown, once it and the password pass every check a new
    account's must (`pseudonym_not_allowed`, `invalid_password`)."""
    pseudonym = validate_pseudonym(pseudonym)
    candidate = User(pseudonym=pseudonym, pseudonym_key=pseudonym_key(pseudonym), age_band=band)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise PhareError("invalid_password", " ".join(exc.messages)) from exc
    return pseudonym


def sign_up(*, pseudonym: str, password: str, birthdate: dt.date, ip: str | None) -> User:
    """Create an account. Raises PhareError; stores the band, never the birthdate."""
    band, band_until = age_band_for(birthdate, timezone.localdate())
    pseudonym = _checked_new_account(pseudonym=pseudonym, password=password, band=band)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                pseudonym,
                password,
                age_band=band,
                band_until=band_until,
                dm_policy=default_dm_policy(band),
            )
            record_connection(user=user, kind=ConnectionLog.Kind.SIGNUP, ip=ip)
    except IntegrityError as exc:
        # The unique key is the skeleton: a look-alike of an existing name is taken too.
        raise PhareError("pseudonym_taken") from exc
    return user


def check_credentials(*, pseudonym: str, password: str) -> User:
    # The manager compares by skeleton (UserManager.get_by_natural_key).
    user = authenticate(username=pseudonym.strip(), password=password)
    if user is None or user.deleted_at is not None:
        raise PhareError("invalid_credentials")
    # A suspended or banned account may sign in: its session reaches only what it needs to
    # read its statements of reasons and appeal (core.http.api_view's `while_suspended`).
    refresh_age_band(user=user)
    return user


def record_connection(*, user: User, kind: str, ip: str | None) -> None:
    ConnectionLog.objects.create(user=user, user_id_snapshot=user.pk, kind=kind, ip=ip or None)


def record_connections(*, connections: list[tuple[User, str | None]], kind: str) -> None:
    """`record_connection` for several (user, address) at once, in one INSERT (sockets
    opening together: chat.realtime.joins)."""
    ConnectionLog.objects.bulk_create(
        [ConnectionLog(user=user, user_id_snapshot=user.pk, kind=kind, ip=ip or None) for user, ip in connections])


def update_settings(*, user: User, dm_policy: str) -> User:
    if dm_policy not in DmPolicy.values:
        raise PhareError("bad_request", extra={"field": "dm_policy"})
    user.dm_policy = dm_policy
    user.save(update_fields=["dm_policy"])
    return user


def remember_language(*, user: User, language: str) -> None:
    """Keep the person's language (sign-up, log-in, the language switch) for what reaches
    them without a request of theirs: live notices. An unsupported code changes nothing;
    the row is written only when the language changes."""
    try:
        code = translation.get_supported_language_variant(language)
    except LookupError:
        return
    if user.language != code:
        user.language = code
        user.save(update_fields=["language"])


def language_of(*, user_id: int) -> str:
    """The account's language for a push, else the server's default (accounts that have not
    signed in or switched language since the field existed)."""
    stored = User.objects.filter(pk=user_id).values_list("language", flat=True).first()
    try:
        return translation.get_supported_language_variant(stored or settings.LANGUAGE_CODE)
    except LookupError:  # a language the operator has since removed
        return settings.LANGUAGE_CODE


def audit(*, actor: User | None, action: str, target: User, data: dict) -> None:
    """Write an audit entry about an account (moderation keeps the log: `signals.audit_requested`)."""
    signals.request_audit(actor=actor, action=action, target_type="user", target_id=target.pk, data=data)


def change_age_band(*, user: User, band: str, band_until: dt.date | None, cause: str,
                    actor: User | None = None) -> None:
    """Move an account to another band: audited, and the contact matrix re-applied at once
    (chat, told by `signals.age_band_changed`, leaves rooms and closes conversations no
    longer allowed, live sockets included)."""
    previous = user.age_band
    user.age_band = band
    user.band_until = band_until
    user.save(update_fields=["age_band", "band_until"])
    if previous != band:
        audit(actor=actor, action="age_band_changed", target=user,
              data={"from": previous, "to": band, "cause": cause})
        signals.age_band_changed.send(sender=User, user=user, previous_band=previous)


def refresh_age_band(*, user: User, today: dt.date | None = None) -> bool:
    """Move the user into the band their age has reached. Returns True if it changed."""
    today = today or timezone.localdate()
    band, band_until = user.age_band, user.band_until
    while band_until is not None and band_until <= today:
        band = next_band(band)
        # The 16th birthday is two years before the 18th.
        band_until = add_years(band_until, 2) if band == AgeBand.OLDER_TEEN else None
    if band == user.age_band and band_until == user.band_until:
        return False
    with transaction.atomic():
        change_age_band(user=user, band=band, band_until=band_until, cause="birthday")
    return True


def require_reassurance(*, user: User, reason: str, actor: User | None = None) -> User:
    """Signals disagree with the account's band: no contact until a stronger check passes.

    Raised by a detector (an age statement from the other side of the line), a report or a
    moderator. Idempotent. The level needed is the next above the current one.
    """
    order = list(ASSURANCE_ORDER)
    needed = order[min(ASSURANCE_ORDER[user.assurance_level] + 1, len(order) - 1)]
    if user.reassurance_required and user.reassurance_level == needed:
        return user
    with transaction.atomic():
        user.reassurance_required = True
        user.reassurance_level = needed
        user.reassurance_reason = reason[:64]
        user.save(update_fields=["reassurance_required", "reassurance_level", "reassurance_reason"])
        audit(actor=actor, action="reassurance_required", target=user,
              data={"reason": reason, "level": needed})
        signals.account_restricted.send(sender=User, user=user)
    return user


def apply_assurance(*, user: User, result: AssuranceResult) -> User:
    """Store an age check's result (band, level, method, provider, date — nothing else).

    A result weaker than what the account already holds is refused (`assurance_weaker`),
    so a lesser check can never undo a stronger one. Passing the level a re-assurance asked
    for lifts the restriction. A different band moves the account (see change_age_band).
    """
    level = str(result.level)
    if ASSURANCE_ORDER[level] < ASSURANCE_ORDER[user.assurance_level]:
        raise PhareError("assurance_weaker", extra={"current": user.assurance_level})
    with transaction.atomic():
        user.assurance_level = level
        user.assurance_method = str(result.method)
        user.assurance_provider = result.provider
        user.assured_at = result.assured_at
        fields = ["assurance_level", "assurance_method", "assurance_provider", "assured_at"]
        lifted = user.reassurance_required and ASSURANCE_ORDER[level] >= ASSURANCE_ORDER[
            user.reassurance_level or "estimated"]
        if lifted:
            user.reassurance_required = False
            user.reassurance_level = ""
            user.reassurance_reason = ""
            fields += ["reassurance_required", "reassurance_level", "reassurance_reason"]
        user.save(update_fields=fields)
        audit(actor=None, action="age_assurance_passed", target=user, data=result.as_dict())
        band = str(result.age_band)
        if band != user.age_band:
            # A provider that does not know the birthday gives no end date: the band then
            # holds until the next check, which errs on the side of the stricter space.
            change_age_band(user=user, band=band, band_until=result.band_until, cause="age_assurance")
        signals.account_restricted.send(sender=User, user=user)
    return user


def advance_age_bands(*, today: dt.date | None = None) -> int:
    """Housekeeping: bring every account whose band ended up to date. Idempotent."""
    today = today or timezone.localdate()
    count = 0
    for user in User.objects.filter(band_until__lte=today).iterator():
        count += refresh_age_band(user=user, today=today)
    return count


def purge_connection_logs(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.PHARE_CONNECTION_LOG_RETENTION_DAYS)
    deleted, _ = ConnectionLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def find_account(pseudonym: str) -> User | None:
    """The account (not deleted) called `pseudonym`, look-alikes included."""
    return User.objects.find_by_pseudonym(pseudonym, among=User.objects.filter(deleted_at__isnull=True))


def grant_role(*, pseudonym: str, role: str) -> User:
    """`manage.py grantrole`: the command line's grant, through `change_role` (audited, the
    account's sockets reloaded) like the admin's."""
    if role not in ROLE_FIELDS:
        raise PhareError("bad_request", f"Unknown role {role!r}; use one of {sorted(ROLE_FIELDS)}.")
    user = find_account(pseudonym)
    if user is None:
        raise PhareError("not_found", f"No account named {pseudonym!r}.")
    return change_role(actor=None, user_id=user.pk, role=role, granted=True)


# The roles of the server's first operator: the admin's superuser, and Phare's operator role.
OPERATOR_ROLES = ("operator", "superuser")


def create_operator(*, pseudonym: str, password: str) -> User:
    """`manage.py createsuperuser` and `bootstrap`: an operator account made on the command
    line. It is an adult account (staff never share minors' spaces) whose pseudonym and
    password pass sign-up's checks; its creation is audited (`account.created`) and its roles
    granted through `change_role` (audited, `role.granted`), as the admin would.
    Raises `pseudonym_not_allowed`, `invalid_password`, `pseudonym_taken`."""
    band = AgeBand.ADULT
    pseudonym = _checked_new_account(pseudonym=pseudonym, password=password, band=band)
    try:
        with transaction.atomic():
            user = User.objects.create_user(pseudonym, password, age_band=band, band_until=None,
                                            dm_policy=default_dm_policy(band))
            audit(actor=None, action="account.created", target=user, data={"by": "command_line"})
            for role in OPERATOR_ROLES:
                user = change_role(actor=None, user_id=user.pk, role=role, granted=True)
    except IntegrityError as exc:
        raise PhareError("pseudonym_taken") from exc
    return user


def bump_sanction_version(*, user_id: int) -> None:
    """Tell the account's open sockets, through the database, that what they hold is stale
    (a sanction, a block or mute it set, a room it left): `chat.realtime.watcher` sees the new
    version within seconds and the socket reads its state again. Every service that sends a
    socket a `refresh` or `leave_room` control calls this too, so that a lost event is only late."""
    User.objects.filter(pk=user_id).update(sanction_version=F("sanction_version") + 1)


def end_all_sessions(*, user: User) -> None:
    """End every session of the account: the epoch is part of the session's auth hash, so
    each session fails Django's check at its next request. chat, told by
    `signals.sessions_ended`, closes the account's sockets (4001) after commit; `chat.realtime.watcher`
    closes them too within seconds if that event is lost, as it sees the epoch change: so the
    event is best-effort, and a Redis outage does not fail a log-out that was made."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        signals.sessions_ended.send(sender=User, user=user)


def delete_account(*, user: User) -> None:
    """Erase the account's identity. Connection records stay for the legal retention period.

    The pseudonym is freed, the password made unusable, every session ended and socket
    closed, and the user's messages are blanked by `chat`, told by `signals.account_deleted`.
    """
    with transaction.atomic():
        end_all_sessions(user=user)
        signals.account_deleted.send(sender=User, user=user)
        tombstone = f"deleted-{user.pk}"
        user.pseudonym = tombstone
        user.pseudonym_key = tombstone
        user.set_unusable_password()
        user.is_active = False
        user.deleted_at = timezone.now()
        user.is_moderator = user.is_operator = user.is_legal = user.is_staff = False
        user.save(
            update_fields=[
                "pseudonym", "pseudonym_key", "password", "is_active", "deleted_at",
                "is_moderator", "is_operator", "is_legal", "is_staff",
            ]
        )


# --- Staff roles, changed in the admin (staff cannot raise their own privileges) -------------

# The roles `change_role` handles: those of accounts.permissions, and the admin's superuser.
STAFF_ROLE_FIELDS = {**ROLE_FIELDS, "superuser": "is_superuser"}


def may_change_role(*, actor: User | None, user: User, role: str) -> bool:
    """Whether `actor` may grant or revoke `role` on `user`; `actor` None is the command line,
    which has the server's own authority.

    Nobody changes their own roles. Only a superuser changes superuser status or the roles of
    a superuser. Anyone else may give or take only a role they hold and may act in now, so an
    operator cannot raise themselves through an account they control (make it legal, then
    read connection records through it; make it a moderator, then decide cases through it).
    """
    if role not in STAFF_ROLE_FIELDS:
        return False
    if actor is None:
        return True
    if actor.pk == user.pk or not in_good_standing(actor):
        return False
    if actor.is_superuser:
        return True
    if role == "superuser" or user.is_superuser:
        return False
    return has_role(actor, role)


def change_role(*, actor: User | None, user_id: int, role: str, granted: bool) -> User:
    """Grant (`granted`) or revoke one staff role (moderator, operator, legal, superuser).

    Refusals: `bad_request` (unknown role), `not_found`, `forbidden` (see may_change_role).
    Side effects: `is_staff`, the admin's door, follows (operators and superusers only); an
    audit entry (`role.granted` / `role.revoked`); the account's live sockets reload it.
    Idempotent: a role already in that state writes nothing.
    """
    if role not in STAFF_ROLE_FIELDS:
        raise PhareError("bad_request", extra={"field": "role"})
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, deleted_at__isnull=True).first()
        if user is None:
            raise PhareError("not_found")
        if not may_change_role(actor=actor, user=user, role=role):
            raise PhareError("forbidden", extra={"field": role})
        field = STAFF_ROLE_FIELDS[role]
        if getattr(user, field) == bool(granted):
            return user
        setattr(user, field, bool(granted))
        user.is_staff = user.is_operator or user.is_superuser
        user.save(update_fields=[field, "is_staff"])
        audit(actor=actor, action="role.granted" if granted else "role.revoked", target=user,
              data={"role": role})
        signals.account_restricted.send(sender=User, user=user)
    return user


# --- The contact matrix (operators' overrides of accounts.policies' safe default) ------------

_BAND_ORDER = [band.value for band in AgeBand]


def _contact_pair(band_a: str, band_b: str) -> tuple[str, str]:
    if band_a not in _BAND_ORDER or band_b not in _BAND_ORDER:
        raise PhareError("bad_request", extra={"field": "band"})
    low, high = sorted((band_a, band_b), key=_BAND_ORDER.index)
    return low, high


def set_contact_rule(*, actor: User | None, band_a: str, band_b: str, allowed: bool) -> ContactRule:
    """Whether two age bands may be in contact, both ways: one row per pair, whatever the
    order given. Side effects: an audit entry (`policy.contact_rule`, with the value the
    matrix held before); every process reloads the matrix, and the DM paths check it at
    every request, accept and message, so a refusal holds at once for open conversations."""
    low, high = _contact_pair(band_a, band_b)
    if allowed and (low, high) in NEVER_IN_CONTACT:
        raise PhareError("bad_request", extra={"field": "allowed", "reason": "never_allowed"})
    with transaction.atomic():
        was = may_contact(low, high)
        if low != high:  # a row written the other way round would contradict this one
            ContactRule.objects.filter(band_a=high, band_b=low).delete()
        rule, _created = ContactRule.objects.update_or_create(
            band_a=low, band_b=high, defaults={"allowed": bool(allowed)})
        signals.request_audit(actor=actor, action="policy.contact_rule", target_type="contactrule",
                              target_id=str(rule.pk),
                              data={"bands": [low, high], "allowed": rule.allowed, "was": was})
        bump_contact_version()
    return rule


def remove_contact_rule(*, actor: User | None, rule_id: int) -> None:
    """Drop an override: the pair goes back to the safe default in code. Audited
    (`policy.contact_rule_removed`); every process reloads the matrix. Idempotent."""
    with transaction.atomic():
        rule = ContactRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            return
        rule.delete()
        signals.request_audit(actor=actor, action="policy.contact_rule_removed", target_type="contactrule",
                              target_id=str(rule_id),
                              data={"bands": [rule.band_a, rule.band_b], "was": rule.allowed})
        bump_contact_version()


# --- Connection records (IP addresses): the legal role reads them, every read audited --------

def audit_connection_log_read(*, actor: User, record_id: int | None, query: dict[str, str]) -> None:
    """Put a read of connection records on the audit log: one record (`record_id`), or a list
    with its filters, search and page (`query`)."""
    signals.request_audit(actor=actor, action="connection_log.read", target_type="connection_log",
                          target_id=record_id if record_id is not None else "*", data={"query": query})
