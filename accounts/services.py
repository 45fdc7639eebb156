"""Account services: sign-up, sign-in records, settings, deletion, roles, age bands."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Callable

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from accounts.errors import PhareError
from accounts.age_assurance.base import AssuranceResult
from accounts.models import ASSURANCE_ORDER, AgeBand, ConnectionLog, DmPolicy, User

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


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


def name_screen() -> Callable[[str, str], str | None]:
    return import_string(settings.PHARE_NAME_SCREEN)


def validate_pseudonym(pseudonym: str) -> str:
    pseudonym = unicodedata.normalize("NFC", pseudonym.strip())
    if not PSEUDONYM_RE.fullmatch(pseudonym):
        raise PhareError(
            "pseudonym_not_allowed",
            extra={"field": "pseudonym", "reason": "format"},
        )
    folded = re.sub(r"[\W_]+", "", _fold(pseudonym))
    if any(folded.startswith(name) for name in RESERVED_PSEUDONYMS if len(name) > 3) or (
        folded in RESERVED_PSEUDONYMS
    ):
        raise PhareError("pseudonym_not_allowed", extra={"field": "pseudonym", "reason": "reserved"})
    refusal = name_screen()(pseudonym, "pseudonym")
    if refusal:
        raise PhareError("pseudonym_not_allowed", extra={"field": "pseudonym", "reason": refusal})
    return pseudonym


def sign_up(*, pseudonym: str, password: str, birthdate: dt.date, ip: str | None) -> User:
    """Create an account. Raises PhareError; stores the band, never the birthdate."""
    band, band_until = age_band_for(birthdate, timezone.localdate())
    pseudonym = validate_pseudonym(pseudonym)
    candidate = User(pseudonym=pseudonym, pseudonym_key=pseudonym.casefold(), age_band=band)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise PhareError("invalid_password", " ".join(exc.messages)) from exc
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
        raise PhareError("pseudonym_taken") from exc
    return user


def check_credentials(*, pseudonym: str, password: str) -> User:
    user = authenticate(username=pseudonym.strip().casefold(), password=password)
    if user is None or user.deleted_at is not None:
        raise PhareError("invalid_credentials")
    if user.is_suspended():
        raise PhareError("suspended")
    refresh_age_band(user=user)
    return user


def record_connection(*, user: User, kind: str, ip: str | None) -> None:
    ConnectionLog.objects.create(user=user, user_id_snapshot=user.pk, kind=kind, ip=ip or None)


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


def _run_hooks(setting_name: str, **kwargs) -> None:
    for hook in getattr(settings, setting_name, ()):
        import_string(hook)(**kwargs)


def audit(*, actor: User | None, action: str, target: User, data: dict) -> None:
    """Write an audit entry through the configured hook (the moderation audit log)."""
    import_string(settings.PHARE_AUDIT_HOOK)(
        actor=actor, action=action, target_type="user", target_id=str(target.pk), data=data
    )


def change_age_band(*, user: User, band: str, band_until: dt.date | None, cause: str,
                    actor: User | None = None) -> None:
    """Move an account to another band: audited, and the contact matrix re-applied at once
    (the `PHARE_BAND_CHANGED_HOOKS` leave rooms and close conversations no longer allowed,
    live sockets included)."""
    previous = user.age_band
    user.age_band = band
    user.band_until = band_until
    user.save(update_fields=["age_band", "band_until"])
    if previous != band:
        audit(actor=actor, action="age_band_changed", target=user,
              data={"from": previous, "to": band, "cause": cause})
        _run_hooks("PHARE_BAND_CHANGED_HOOKS", user=user, previous_band=previous)


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
        _run_hooks("PHARE_ACCOUNT_RESTRICTED_HOOKS", user=user)
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
        _run_hooks("PHARE_ACCOUNT_RESTRICTED_HOOKS", user=user)
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


def grant_role(*, pseudonym: str, role: str) -> User:
    fields = {"moderator": "is_moderator", "operator": "is_operator", "legal": "is_legal"}
    if role not in fields:
        raise PhareError("bad_request", f"Unknown role {role!r}; use one of {sorted(fields)}.")
    try:
        user = User.objects.get(pseudonym_key=pseudonym.casefold(), deleted_at__isnull=True)
    except User.DoesNotExist as exc:
        raise PhareError("not_found", f"No account named {pseudonym!r}.") from exc
    setattr(user, fields[role], True)
    update_fields = [fields[role]]
    if role == "operator":
        # Operators work in the Django admin.
        user.is_staff = True
        update_fields.append("is_staff")
    user.save(update_fields=update_fields)
    return user


def delete_account(*, user: User) -> None:
    """Erase the account's identity. Connection records stay for the legal retention period.

    The pseudonym is freed, the password made unusable, and the user's messages are
    blanked by `chat` through the `account_deleted` hook wired in settings.
    """
    with transaction.atomic():
        for hook in settings.PHARE_ACCOUNT_DELETED_HOOKS:
            import_string(hook)(user=user)
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
