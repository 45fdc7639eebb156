"""Moderation data: operator screening policies, and automatic flags from the gate.

Reports, cases, decisions, notices, appeals and the audit log join these with the
moderation-queue work.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moderation import rules


class TermCategory(models.TextChoices):
    SEXUAL = "sexual", _("sexual")
    SEXUAL_MINORS = "sexual_minors", _("sexual content involving minors")
    HATE = "hate", _("hate")
    HARASSMENT = "harassment", _("harassment")
    SELF_HARM = "self_harm", _("self-harm")
    DRUGS = "drugs", _("drugs")
    CONTACT = "contact_offplatform", _("contact and off-platform")
    PROFANITY = "profanity", _("profanity")


class ScreeningTerm(models.Model):
    """An operator's term-list entry. Seeds ship in code; these add to or switch them off."""

    class Kind(models.TextChoices):
        EXACT = "exact", _("exact word or phrase")
        WILDCARD = "wildcard", _("wildcard (word*)")
        REGEX = "regex", _("regular expression")

    term = models.CharField(max_length=200)
    category = models.CharField(max_length=32, choices=TermCategory.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EXACT)
    lang = models.CharField(max_length=3, default="any", help_text=_("fr, en or any"))
    enabled = models.BooleanField(default=True)
    observe_only = models.BooleanField(
        default=False, help_text=_("Dry run: record what it would do, change nothing.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "category", "kind"], name="unique_term")]

    def __str__(self) -> str:
        return f"{self.term} ({self.category})"


class AllowedTerm(models.Model):
    """A word that must never be caught (a place name, a word that contains a listed one)."""

    term = models.CharField(max_length=200, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.term


class Flag(models.Model):
    """An automatic flag from the safety gate: a database row first, triaged by a task.

    The text is snapshotted here, so the flag keeps its evidence whatever happens to the
    message afterwards.
    """

    class Decision(models.TextChoices):
        FLAG = "flag"
        HOLD = "hold"
        BLOCK = "block"
        ESCALATE = "escalate"

    message_id_snapshot = models.BigIntegerField(null=True, blank=True)
    room_id_snapshot = models.BigIntegerField(null=True, blank=True)
    conversation_id_snapshot = models.BigIntegerField(null=True, blank=True)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    subject_id_snapshot = models.BigIntegerField()
    text = models.TextField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    categories = models.JSONField(default=list)
    risk = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    triaged_at = models.DateTimeField(null=True, blank=True, db_index=True)
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.PROTECT, related_name="flags")

    def __str__(self) -> str:
        return f"flag {self.pk} {self.decision} {','.join(self.reasons)}"


class Attempt(models.Model):
    """A message the gate refused or held: what its sender tried, towards whom, kept as
    evidence and counted (moderation.services.attempts: repeated attempts open a case on the
    sender and pause their first contacts; the grooming score reads them).

    The text is kept once. A refused message exists nowhere else, so `text` holds it (an
    escalation's flag already snapshots it: the attempt points at the flag instead). A held
    message is stored by chat and its flag snapshots the text: the attempt points at both
    (`message_id_snapshot`, `flag`) and keeps no copy. `evidence_text` reads whichever holds it.
    Purged with messages, after PHARE_MESSAGE_RETENTION_DAYS, unless its case is open or
    under legal hold (moderation.services.retain).
    """

    class Decision(models.TextChoices):
        BLOCK = "block"
        ESCALATE = "escalate"
        HOLD = "hold"

    class Context(models.TextChoices):
        ROOM = "room"
        DM_REQUEST = "dm_request"
        DM = "dm"

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sender_id_snapshot = models.BigIntegerField()
    context = models.CharField(max_length=10, choices=Context.choices)
    # The target: a room, or a conversation and the person it was meant for (a refused DM
    # request has no conversation: only its recipient).
    room_id_snapshot = models.BigIntegerField(null=True, blank=True)
    conversation_id_snapshot = models.BigIntegerField(null=True, blank=True)
    recipient_id_snapshot = models.BigIntegerField(null=True, blank=True)
    # A minors' room, or a recipient in a minors' band.
    towards_minor = models.BooleanField(default=False)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    categories = models.JSONField(default=list)
    text = models.TextField(blank=True)
    message_id_snapshot = models.BigIntegerField(null=True, blank=True)
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts")
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.PROTECT, related_name="attempts")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["sender_id_snapshot", "created_at"])]

    def __str__(self) -> str:
        return f"attempt {self.pk} {self.decision} {','.join(self.reasons)}"

    @property
    def evidence_text(self) -> str:
        if self.text or self.flag_id is None:
            return self.text
        return self.flag.text


# --- Audit log ----------------------------------------------------------------------------

class AuditChainHead(models.Model):
    """The single row every audit append locks: it serialises appends and remembers the last
    link, so that even deleting the newest entries is detected."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class AuditEntry(models.Model):
    """One append-only, hash-chained record: every decision, action, policy change and read
    of evidence. `hash` covers the previous entry's hash, so editing, deleting or reordering
    any entry breaks the chain (`manage.py verify_audit`). PostgreSQL refuses UPDATE and
    DELETE on this table (trigger in the migration)."""

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    actor_label = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


# --- Reports, cases, decisions, notices, appeals ----------------------------------------------

class ReportCategory(models.TextChoices):
    CHILD_SAFETY = "child_safety", _("child safety")
    GROOMING = "grooming", _("grooming")
    SEXUAL_CONTENT = "sexual_content", _("sexual content")
    NON_CONSENSUAL_IMAGERY = "non_consensual_imagery", _("non-consensual imagery")
    HARASSMENT = "harassment", _("harassment")
    HATE = "hate", _("hate")
    THREAT = "threat", _("threat")
    SELF_HARM = "self_harm", _("self-harm")
    SPAM = "spam", _("spam")
    IMPERSONATION = "impersonation", _("impersonation")
    OTHER = "other", _("other")
    # Not reportable by users: the kind of case a room proposal opens.
    ROOM_PROPOSAL = "room_proposal", _("room proposal")


class Evidence(models.Model):
    """What was there when a report was filed: frozen, hashed, never updated.

    `data` holds the message, its context, author and room ids and times; `content_hash`
    is SHA-256 over its canonical JSON, so any later change shows.
    """

    data = models.JSONField()
    content_hash = models.CharField(max_length=64)
    legal_hold = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class Case(models.Model):
    """Everything about one subject (a message, a user, a room) while it is open."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("claimed")
        DECIDED = "decided", _("decided")

    class SubjectType(models.TextChoices):
        MESSAGE = "message", _("message")
        USER = "user", _("user")
        ROOM = "room", _("room")

    subject_type = models.CharField(max_length=8, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    # The account the decision would affect (a message's author, the user, a room's proposer).
    subject_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    room_id_snapshot = models.BigIntegerField(null=True, blank=True)
    conversation_id_snapshot = models.BigIntegerField(null=True, blank=True)
    category = models.CharField(max_length=32, choices=ReportCategory.choices, default=ReportCategory.OTHER)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    priority = models.IntegerField(default=0, db_index=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_alerted_at = models.DateTimeField(null=True, blank=True)
    minors_involved = models.BooleanField(default=False)
    trusted_source = models.BooleanField(default=False)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Interim measures taken before a human decision, and what they replaced (to undo them).
    interim_hidden = models.BooleanField(default=False)
    interim_restricted = models.BooleanField(default=False)
    interim_data = models.JSONField(default=dict, blank=True)
    legal_hold = models.BooleanField(default=False)
    triaged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open case per subject: reports and flags about it join that case.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"], condition=models.Q(status__in=["open", "claimed"]),
                name="one_open_case_per_subject",
            )
        ]
        indexes = [models.Index(fields=["status", "-priority", "sla_due_at"])]

    def __str__(self) -> str:
        return f"case {self.pk} {self.subject_type}:{self.subject_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.CLAIMED)


class Report(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        IN_REVIEW = "in_review", _("in review")
        ACTIONED = "actioned", _("action taken")
        NO_ACTION = "no_action", _("no action taken")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    # A visitor's report is readable from the session that filed it.
    visitor_session = models.CharField(max_length=64, blank=True)
    trusted_flagger = models.BooleanField(default=False)
    category = models.CharField(max_length=32, choices=ReportCategory.choices)
    details = models.TextField(blank=True)
    good_faith = models.BooleanField(default=False)
    target_type = models.CharField(max_length=8, choices=Case.SubjectType.choices)
    target_id = models.BigIntegerField()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # Set when the case is decided: did a moderator find the report founded?
    founded = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    triaged_at = models.DateTimeField(null=True, blank=True, db_index=True)


class Decision(models.Model):
    """A moderator's decision on a case, with what it changed so it can be reversed."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    action = models.CharField(max_length=32)
    reason_code = models.CharField(max_length=32)
    note = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    automated = models.BooleanField(default=False)
    own_initiative = models.BooleanField(default=False)
    # Previous state of whatever the action changed (to reverse it), and strike effects.
    undo = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reversed_at = models.DateTimeField(null=True, blank=True)


class StrikeQuerySet(models.QuerySet):
    def active(self, now: Any = None) -> "StrikeQuerySet":
        """The strikes that count: neither revoked (their decision reversed) nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def total_weight(self) -> int:
        return self.aggregate(total=models.Sum("weight"))["total"] or 0


class Strike(models.Model):
    """A violation on record (moderation.services.strikes). It keeps the weight and the expiry
    its reason had when it was recorded, so editing the weights later rewrites no one's record.
    It counts while neither revoked (its decision reversed) nor expired."""

    objects = StrikeQuerySet.as_manager()

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="strikes")
    # Strikes recorded before weights existed all counted the same: one each.
    weight = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)


class StrikeWeight(models.Model):
    """What a strike weighs and how long it counts, by the reason code of its decision: the
    operators' table (admin, audited), seeded with `rules.STRIKE_WEIGHTS`, which also answers
    for a code without a row."""

    reason_code = models.CharField(max_length=32, unique=True,
                                   choices=[(code, code) for code in rules.STRIKE_WEIGHTS])
    weight = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(rules.MAX_STRIKE_WEIGHT)],
        help_text=_("What a strike for this reason adds to the person's active weight (0 counts nothing)."))
    days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(rules.MAX_STRIKE_DAYS)],
        help_text=_("How many days a strike for this reason counts."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reason_code"]

    def __str__(self) -> str:
        return f"{self.reason_code}: {self.weight} for {self.days} days"


class EscalationStep(models.Model):
    """One step of the escalation ladder (admin, audited): when a decision brings someone's
    active strike weight to `threshold`, this measure is proposed to a moderator, never
    applied by itself."""

    class Action(models.TextChoices):
        WARN = "warn", _("warning")
        MUTE = "mute", _("mute")
        SUSPEND = "suspend", _("suspension")
        BAN = "ban", _("ban review")

    threshold = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1)],
        help_text=_("The active strike weight at which this step is proposed."))
    action = models.CharField(max_length=8, choices=Action.choices)
    duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("How long a mute or a suspension lasts, in seconds (none for the others)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["threshold"]

    def __str__(self) -> str:
        return f"{self.threshold}: {self.action}"


class Escalation(models.Model):
    """A ladder step proposed for one person, on an open case about them, until a moderator
    decides that case: `confirmed` when the decision carries out the proposed action,
    `declined` when it does anything else. The step is copied here, so editing the ladder
    afterwards changes no proposal."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="escalations")
    action = models.CharField(max_length=8, choices=EscalationStep.Action.choices)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.PositiveSmallIntegerField()
    # The person's active weight when the step was proposed.
    active_weight = models.PositiveIntegerField()
    # The decision whose strike reached the step.
    triggered_by = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    # The moderator's decision that settled it.
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="proposed"),
                                    name="one_proposed_step_per_case"),
        ]


class Notice(models.Model):
    """A statement of reasons, or a reporter's outcome, sent to one account."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("decision about you")
        INTERIM = "interim", _("interim measure")
        REPORT_OUTCOME = "report_outcome", _("outcome of your report")
        APPEAL_OUTCOME = "appeal_outcome", _("outcome of your appeal")
        ROOM_PROPOSAL = "room_proposal", _("your room proposal")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    action = models.CharField(max_length=32)
    reason_code = models.CharField(max_length=32)
    # The statement of reasons, kept as facts so it renders in the reader's language.
    scope = models.JSONField(default=dict, blank=True)
    facts = models.TextField(blank=True)
    automated = models.BooleanField(default=False)
    appealable_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)


class Appeal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        UPHELD = "upheld", _("decision upheld")
        REVERSED = "reversed", _("decision reversed")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="appeals")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "appellant"], name="one_appeal_per_notice")]


class TrustedFlagger(models.Model):
    """An account an operator marked as belonging to a trusted-flagger organisation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_flagger")
    organisation = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organisation} ({self.user_id})"


class Referral(models.Model):
    """A case referred to the authorities: evidence under legal hold, an export package."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    path = models.CharField(max_length=500)
    manifest_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)


# --- Hash banks (moderation.hashbanks, docs/images.md) -----------------------------------------

class HashBank(models.Model):
    """A list of hashes of known abusive images: imported from a hash programme (child
    protection, non-consensual imagery…) or filled by moderators with removed images."""

    class Category(models.TextChoices):
        CHILD_SAFETY = "child_safety", _("child sexual abuse material")
        NON_CONSENSUAL_IMAGERY = "non_consensual_imagery", _("non-consensual intimate imagery")
        TERRORISM = "terrorism", _("terrorist or violent extremist content")
        OTHER = "other", _("other removed images")

    name = models.SlugField(max_length=64, unique=True)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.OTHER)
    description = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class BankedHash(models.Model):
    """One hash in a bank. PDQ values match within a Hamming distance; SHA-256 exactly."""

    class HashType(models.TextChoices):
        PDQ = "pdq", "PDQ"
        SHA256 = "sha256", "SHA-256"

    bank = models.ForeignKey(HashBank, on_delete=models.CASCADE, related_name="hashes")
    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    # Lower-case hex, 64 characters for both types.
    value = models.CharField(max_length=64)
    # The programme the hash came from (e.g. "ncmec", "stopncii", "phare-moderation").
    source = models.CharField(max_length=64, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    # The upload a moderator banked, if any (an id: the upload may be purged later).
    upload_id_snapshot = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Provenance of a hash from a shared list (moderation.hash_exchange): its id in that list
    # (e.g. a ThreatExchange descriptor) and when Phare took it; empty for Phare's own.
    external_id = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank", "hash_type", "value"], name="unique_banked_hash")
        ]
        indexes = [models.Index(fields=["hash_type", "value"])]

    def __str__(self) -> str:
        return f"{self.hash_type}:{self.value[:16]}… ({self.bank_id})"


# --- The DSA Transparency Database (moderation.dsa_export, docs/moderation.md) --------------

class StatementSubmission(models.Model):
    """A statement of reasons as submitted to the Commission's DSA Transparency Database:
    one per notice, under a platform unique id (`puid`) that makes re-sending harmless (the
    Database refuses a puid it already has)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("accepted by the Database")
        DUPLICATE = "duplicate", _("already in the Database")
        REFUSED = "refused", _("refused by the Database")

    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="dsa_submission")
    puid = models.CharField(max_length=500, unique=True)
    # The statement as sent (the Database's fields, validated against the schema in the repo).
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The Database's answer to the last attempt: HTTP status and body (or the network error).
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.puid} {self.status}"


class ScreeningDecision(models.TextChoices):
    ALLOW = "allow", _("allow")
    FLAG = "flag", _("allow and flag for review")
    HOLD = "hold", _("hold for review")
    BLOCK = "block", _("block")
    ESCALATE = "escalate", _("block and escalate")


def _decision_field(default: str, help_text: Any = "") -> models.CharField:
    """One of the screening policy's per-finding decisions."""
    return models.CharField(max_length=10, choices=ScreeningDecision.choices, default=default, help_text=help_text)


class ScreeningPolicy(models.Model):
    """The operator's screening rules (one row). Absent: the safe defaults of PolicyConfig."""

    Decision = ScreeningDecision

    grooming_threshold = models.FloatField(
        default=0.7, help_text=_("Conversation risk (0-1) at which it is held and a case opened."))
    grooming_flag_threshold = models.FloatField(
        default=0.4, help_text=_("Conversation risk (0-1) at which it is flagged for a moderator."))
    hate_decision = _decision_field("block")
    harassment_decision = _decision_field("flag")
    minors_harassment_decision = _decision_field(
        "block", _("Insults in minors' rooms and conversations (harassment list and directed insults)."))
    threat_decision = _decision_field("hold", _("Threats against the reader, sextortion and blackmail, everywhere."))
    directed_insult_decision = _decision_field(
        "block", _("Insults aimed at the reader in adults' rooms and conversations (minors' spaces: the insults "
                   "decision for minors)."))
    drugs_decision = _decision_field("flag")
    profanity_decision = _decision_field("allow")
    adult_room_sexual_decision = _decision_field(
        "allow", _("Sexual terms in adults' rooms (never allowed in minors' spaces or DM requests)."))
    adult_room_contact_decision = _decision_field(
        "flag", _("Contact details in adults' rooms (always blocked in minors' spaces and requests)."))
    adult_dm_contact_decision = _decision_field(
        "flag", _("Contact details in conversations between adults: delivered, and a moderator sees them."))
    adult_meeting_decision = _decision_field("allow", _("Arranging to meet in person, between adults."))
    minors_meeting_decision = _decision_field(
        "hold", _("Arranging to meet in person in minors' rooms (where both age bands of minors meet)."))
    minors_dm_meeting_decision = _decision_field(
        "flag", _("Arranging to meet in person in a request or conversation between two minors of the same age "
                  "band (contact across bands is refused)."))
    updated_at = models.DateTimeField(auto_now=True)

    CONFIG_FIELDS = (
        "grooming_threshold", "grooming_flag_threshold", "hate_decision", "harassment_decision",
        "minors_harassment_decision", "threat_decision", "directed_insult_decision",
        "drugs_decision", "profanity_decision", "adult_room_sexual_decision",
        "adult_room_contact_decision", "adult_dm_contact_decision", "adult_meeting_decision",
        "minors_meeting_decision", "minors_dm_meeting_decision",
    )

    class Meta:
        verbose_name_plural = "screening policy"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="screening_policy_single_row"),
            models.CheckConstraint(
                condition=models.Q(grooming_flag_threshold__gt=0,
                                   grooming_flag_threshold__lte=models.F("grooming_threshold"),
                                   grooming_threshold__lte=1),
                name="screening_policy_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return "screening policy"


class FailsafeState(models.Model):
    """The unattended-moderation failsafe (moderation.services.failsafe): one row. `active`
    while no moderator has been seen for PHARE_FAILSAFE_INACTIVITY_MINUTES or a critical case
    is past its SLA; minors' rooms are then tightened and DM requests to minors paused."""

    SINGLETON = 1

    active = models.BooleanField(default=False)
    # Why it is on: "inactivity", "sla_breach" (both may hold).
    reasons = models.JSONField(default=list, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    # When the failsafe first looked: a new deployment gets the whole grace time before it
    # counts as unattended.
    watch_started_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    # A moderator's last console page (claims and decisions count from their own rows).
    moderator_seen_at = models.DateTimeField(null=True, blank=True)


class FailsafeRoom(models.Model):
    """What the failsafe changed in one minors' room while it is on, so that lifting it
    restores exactly that. A room the failsafe found already as strict has a row that
    changed nothing (it is left alone when the failsafe lifts)."""

    room = models.OneToOneField("chat.Room", on_delete=models.CASCADE, related_name="+")
    set_established_only = models.BooleanField(default=False)
    previous_slow_mode = models.PositiveIntegerField(null=True, blank=True)
    applied_slow_mode = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
