"""Pseudonymous identity: no email, no phone; an age band and how sure we are of it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_role
from accounts.pseudonyms import KEY_MAX_LENGTH, lookup_keys, pseudonym_key


class AgeBand(models.TextChoices):
    YOUNG_TEEN = "13-15", "13-15"
    OLDER_TEEN = "16-17", "16-17"
    ADULT = "18+", "18+"


MINOR_BANDS = frozenset({AgeBand.YOUNG_TEEN.value, AgeBand.OLDER_TEEN.value})


class AssuranceLevel(models.TextChoices):
    DECLARED = "declared", _("declared")
    ESTIMATED = "estimated", _("estimated")
    VERIFIED = "verified", _("verified")


ASSURANCE_ORDER = {"declared": 0, "estimated": 1, "verified": 2}


class DmPolicy(models.TextChoices):
    NOBODY = "nobody", _("nobody")
    SHARED_ROOMS = "shared_rooms", _("people in my rooms")
    ANYONE_IN_BAND = "anyone_in_band", _("anyone I may talk to")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Django's log-in (the API's and the admin's) finds the account through this.
        user = self.find_by_pseudonym(username or "")
        if user is None:
            raise self.model.DoesNotExist
        return user

    def find_by_pseudonym(self, pseudonym: str, *, among: QuerySet | None = None,
                          pk: int | None = None) -> "User | None":
        """The account called `pseudonym`, compared by confusable skeleton (so "bоb" finds
        "bob"), in one query; with `pk`, the account with that id wins. `among` restricts
        the search (active accounts, say). An account that kept its old key because its
        skeleton was an older account's (migration 0008) is found by its exact name."""
        keys = lookup_keys(pseudonym)
        condition = Q(pseudonym_key__in=keys)
        if pk is not None:
            condition |= Q(pk=pk)
        query = among if among is not None else self.get_queryset()
        rows = list(query.filter(condition)[:3])
        exact = keys[-1]

        def rank(user: "User") -> tuple[bool, bool, bool]:
            return (user.pk != pk, user.pseudonym.casefold() != exact, user.pseudonym_key != keys[0])

        return min(rows, key=rank, default=None)

    def create_user(self, pseudonym: str, password: str | None = None, **fields) -> "User":
        user = self.model(pseudonym=pseudonym, pseudonym_key=pseudonym_key(pseudonym), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, pseudonym: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("age_band", AgeBand.ADULT)
        fields.update(is_staff=True, is_superuser=True, is_operator=True)
        return self.create_user(pseudonym, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Its birthdate is never stored: only the band and the day the band ends."""

    pseudonym = models.CharField(max_length=32)
    # Uniqueness by confusable skeleton, case-insensitive: "Alice", "alice" and "аlice"
    # (Cyrillic а) are one pseudonym (accounts/pseudonyms.py).
    pseudonym_key = models.CharField(max_length=KEY_MAX_LENGTH, unique=True, editable=False)
    age_band = models.CharField(max_length=5, choices=AgeBand.choices)
    # The date the current band ends (16th or 18th birthday); null once adult.
    band_until = models.DateField(null=True, blank=True)
    assurance_level = models.CharField(
        max_length=10, choices=AssuranceLevel.choices, default=AssuranceLevel.DECLARED
    )
    assurance_method = models.CharField(max_length=32, default="self_declaration")
    assurance_provider = models.CharField(max_length=32, default="declared")
    assured_at = models.DateTimeField(default=timezone.now)
    dm_policy = models.CharField(max_length=16, choices=DmPolicy.choices)
    is_moderator = models.BooleanField(default=False)
    is_operator = models.BooleanField(default=False)
    is_legal = models.BooleanField(default=False, help_text=_("May read connection records."))
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(null=True, blank=True)
    banned = models.BooleanField(default=False)
    muted_until = models.DateTimeField(null=True, blank=True)
    # Re-assurance: signals disagree with the band, so no contact until a stronger check.
    reassurance_required = models.BooleanField(default=False)
    reassurance_level = models.CharField(max_length=10, choices=AssuranceLevel.choices, blank=True)
    reassurance_reason = models.CharField(max_length=64, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The language the person signed in with or last chose ("" = not known yet). What the
    # server pushes without a request of theirs (a live notice) is written in it.
    language = models.CharField(max_length=8, blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Raised to end every session of the account at once (logout, deletion:
    # accounts.services.end_all_sessions): it is part of the session's auth hash.
    session_epoch = models.PositiveIntegerField(default=0)
    # Raised whenever what the account's open sockets hold changes beyond these fields: a
    # sanction, a block or mute the account set, a room it was taken out of
    # (accounts.services.bump_sanction_version). The socket watcher reads it every few seconds,
    # so the change reaches open sockets even when its live event was lost (Redis down).
    sanction_version = models.PositiveIntegerField(default=0)
    # Linked to a banned account (accounts.evasion): counts as a new account (established-only
    # rooms refuse it, new-account limits) until a moderator decides the case it opened.
    evasion_hold = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "pseudonym_key"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        indexes = [models.Index(fields=["band_until"])]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def is_minor(self) -> bool:
        return self.age_band in MINOR_BANDS

    @property
    def audience(self) -> str:
        return "minors" if self.is_minor else "adults"

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.is_moderator:
            roles.append("moderator")
        if self.is_operator:
            roles.append("operator")
        if self.is_legal:
            roles.append("legal")
        return roles

    # Operators manage Phare's own models in the admin without per-model grants, while the
    # role holds (a suspended or banned operator has none: accounts.permissions); connection
    # records stay behind the legal role (see ConnectionLogAdmin).
    OPERATOR_APPS = frozenset({"accounts", "chat", "moderation"})

    def has_perm(self, perm: str, obj=None) -> bool:
        if perm.split(".", 1)[0] in self.OPERATOR_APPS and has_role(self, "operator"):
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if app_label in self.OPERATOR_APPS and has_role(self, "operator"):
            return True
        return super().has_module_perms(app_label)

    # Django checks this hash against the one stored in the session on every request (and
    # Channels at every WebSocket handshake): raising the epoch ends every session at once.
    def get_session_auth_hash(self) -> str:
        return self._epoch_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_auth_hash(secret=secret)

    def _epoch_auth_hash(self, *, secret: str | None) -> str:
        # At epoch 0 this is Django's own hash, so sessions opened before the epoch existed
        # stay valid; after that the epoch is part of what is signed.
        value = self.password if not self.session_epoch else f"{self.password}\x1e{self.session_epoch}"
        return salted_hmac("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", value,
                           secret=secret, algorithm="sha256").hexdigest()

    def is_suspended(self, now=None) -> bool:
        now = now or timezone.now()
        return self.banned or (self.suspended_until is not None and self.suspended_until > now)

    def is_muted(self, now=None) -> bool:
        now = now or timezone.now()
        return self.muted_until is not None and self.muted_until > now


class UserBlock(models.Model):
    """`blocker` never hears from `blocked` again: no requests, no DMs."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="unique_block")]


class ContactRule(models.Model):
    """Operator override of the age-band contact matrix; absent rows use the safe default."""

    band_a = models.CharField(max_length=5, choices=AgeBand.choices)
    band_b = models.CharField(max_length=5, choices=AgeBand.choices)
    allowed = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["band_a", "band_b"], name="unique_band_pair")]

    def __str__(self) -> str:
        return f"{self.band_a} ↔ {self.band_b}: {'allowed' if self.allowed else 'refused'}"


class ConnectionLog(models.Model):
    """Who connected from where and when, kept for the legal retention period only.

    Never shown to users; readable only by the legal role. `user_id_snapshot` survives
    account deletion so the record still means something to the authorities.
    """

    class Kind(models.TextChoices):
        SIGNUP = "signup"
        LOGIN = "login"
        WEBSOCKET = "websocket"

    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    user_id_snapshot = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)


# --- Throttling policy (accounts/throttling.py reads it; docs/rate-limits.md explains it) ------

class RateLimitRule(models.Model):
    """An operator's override of one limit; a limit without a row uses its default in code.

    A limit allows `limit` actions at once, refilled evenly over `period_seconds`
    (a token bucket), so "5 per 3600 s" is a burst of five, then one every twelve minutes.
    """

    name = models.CharField(max_length=40, unique=True)
    limit = models.PositiveIntegerField()
    period_seconds = models.PositiveIntegerField()
    # Accounts younger than AbusePolicy.new_account_hours get this instead; empty = `limit`.
    new_account_limit = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gte=1, period_seconds__gte=1),
                                   name="rate_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.limit} / {self.period_seconds} s"


class AbusePolicy(models.Model):
    """The single row of anti-abuse numbers that are not rates. Absent: the defaults below."""

    new_account_hours = models.PositiveIntegerField(
        default=24,
        help_text=_("Accounts younger than this may send neither DM requests nor links, get the "
                    "tighter limits, and count towards join waves."),
    )
    join_wave_accounts = models.PositiveIntegerField(
        default=8, help_text=_("New accounts joining one room within the window that lock it down."),
    )
    join_wave_window_seconds = models.PositiveIntegerField(default=120)
    first_contact_ban_scope = models.CharField(
        max_length=8, choices=[("minors", _("accounts in minors' bands")), ("everyone", _("every account"))],
        default="minors",
        help_text=_("Whose new accounts may send no DM request at all. Minors' spaces are where a "
                    "fresh account posing as a teenager does harm; new adults get the tighter limits."),
    )
    flood_refusals = models.PositiveIntegerField(
        default=20, help_text=_("Rate-limited frames within the window that close a socket (4008)."),
    )
    flood_window_seconds = models.PositiveIntegerField(default=10)
    shield_slow_mode_seconds = models.PositiveIntegerField(
        default=30, help_text=_("Slow mode a room gets when a moderator raises its shield."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "abuse policy"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="abuse_policy_single_row"),
            models.CheckConstraint(
                condition=models.Q(join_wave_accounts__gte=1, join_wave_window_seconds__gte=1,
                                   flood_refusals__gte=1, flood_window_seconds__gte=1),
                name="abuse_policy_positive",
            ),
        ]

    def __str__(self) -> str:
        return "abuse policy"


class UserMute(models.Model):
    """`muter` no longer sees `muted`'s messages in rooms; `muted` is not told.

    Unlike a block, a mute does not end conversations or refuse requests: it is the quiet
    option for someone who is annoying rather than harmful.
    """

    muter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes_made")
    muted = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["muter", "muted"], name="unique_mute")]


# --- Ban-evasion linking (accounts/evasion.py, docs/moderation.md "Ban-evasion linking") -------

class EvasionSignal(models.Model):
    """One privacy-preserving trace of an account, kept at most the retention period (longer
    only for a banned account: that period after the ban). Never a raw cookie or address:
    `value` is a keyed hash (device, network), a PDQ hash of an image the account uploaded,
    or the pseudonym's stem (its skeleton without digits or separators: public anyway)."""

    class Kind(models.TextChoices):
        DEVICE = "device", _("same device")
        NETWORK = "network", _("same network")
        PSEUDONYM = "pseudonym", _("similar pseudonym")
        IMAGE = "image", _("same image")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=KEY_MAX_LENGTH)
    # Network hashes: the salt period they were computed with (NetworkSalt); 0 otherwise.
    period = models.IntegerField(default=0)
    # The last time the account showed this trace: retention counts from it.
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "period", "value"],
                                               name="unique_evasion_signal")]
        indexes = [models.Index(fields=["kind", "period", "value"])]


class NetworkSalt(models.Model):
    """The random salt of one period of network hashes. Deleted (with every hash made with it)
    once no signal that may still be compared needs it: after that, nobody, not even with the
    server's secret, can tell which network those hashes were."""

    period = models.IntegerField(unique=True)
    salt = models.CharField(max_length=64)


class EvasionLink(models.Model):
    """A new account found to match a banned one: which kinds of signal matched (never their
    values), the score, and the moderation case it opened. The new account is held
    (`User.evasion_hold`) while the link is `held`; the case's decision lifts it."""

    class Status(models.TextChoices):
        HELD = "held", _("held until a moderator decides")
        LIFTED = "lifted", _("decided by a moderator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    banned_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    signals = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField()
    # moderation's Case id (accounts does not depend on moderation: no foreign key).
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.HELD)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # A pair is judged once: a moderator's "not the same person" is not asked again.
        constraints = [models.UniqueConstraint(fields=["user", "banned_user"], name="unique_evasion_link")]

    def __str__(self) -> str:
        return f"{self.user_id} ~ {self.banned_user_id} ({','.join(self.signals)})"
