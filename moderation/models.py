"""Moderation data: operator screening policies, and automatic flags from the gate.

Reports, cases, decisions, notices, appeals and the audit log join these with the
moderation-queue work.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    def __str__(self) -> str:
        return f"flag {self.pk} {self.decision} {','.join(self.reasons)}"


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
