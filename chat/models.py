"""Rooms, memberships, messages and direct conversations."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AssuranceLevel


class Audience(models.TextChoices):
    MINORS = "minors", _("minors (13-17)")
    ADULTS = "adults", _("adults (18+)")


class Room(models.Model):
    """An allowlisted room. Operators create rooms; proposals stay invisible until approved."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("approved")
        PENDING = "pending", _("pending review")
        REJECTED = "rejected", _("rejected")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=500, blank=True)
    audience = models.CharField(max_length=8, choices=Audience.choices)
    min_assurance = models.CharField(
        max_length=10, choices=AssuranceLevel.choices, default=AssuranceLevel.DECLARED
    )
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    max_message_length = models.PositiveIntegerField(default=1000)
    media_allowed = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED)
    is_locked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Lockdown (chat.services: join wave, shield): only established accounts may post until a
    # moderator lifts it. The shield also raises slow mode; the previous value is kept here.
    established_only = models.BooleanField(default=False)
    lockdown_reason = models.CharField(max_length=16, blank=True, default="")
    lockdown_started_at = models.DateTimeField(null=True, blank=True)
    shield_previous_slow_mode = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Images never in minors' spaces, whatever an operator ticks.
            models.CheckConstraint(
                condition=~Q(audience="minors", media_allowed=True), name="no_media_in_minors_rooms"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def group_name(self) -> str:
        return f"room.{self.pk}"


class Membership(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    last_posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="unique_membership")]


class Conversation(models.Model):
    """A direct conversation between two people, which starts as a request."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    initiator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The pair, smaller id first, so that two people have one conversation at most.
    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_low", "user_high"], name="unique_pair")]

    def other(self, user_id: int) -> int:
        return self.recipient_id if user_id == self.initiator_id else self.initiator_id

    def involves(self, user_id: int) -> bool:
        return user_id in (self.initiator_id, self.recipient_id)


def _json_scalar(value: Any) -> str:
    """What json.dumps cannot write itself, as the text PostgreSQL reads back into the
    column's type: dates and times in ISO 8601, UUIDs and decimals as written."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


class MessageManager(models.Manager):
    def insert_all(self, messages: list[Message]) -> None:
        """`bulk_create` for the posting hot path (chat.services.post, the posting pipeline): one
        INSERT … RETURNING for every message, without the query compiler, which costs several
        times the database's own work for a few rows (docs/benchmarks.md). Every concrete
        field is written with Django's own conversion, so a new field needs no change here;
        no signals, as with `bulk_create`."""
        if not messages:
            return
        connection = connections[self.db]
        sql, params = self.insert_statement(messages, connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [found[0] for found in cursor.fetchall()]
        self.mark_inserted(messages, ids)

    def insert_statement(self, messages: list[Message], connection) -> tuple[str, list[Any]]:
        """The SQL and parameters of `insert_all`."""
        fields, sql = self._insert_sql(connection, len(messages))
        if connection.vendor == "postgresql":
            return self.rows_statement(
                [{field.column: field.get_db_prep_save(getattr(message, field.attname), connection)
                  for field in fields} for message in messages], connection)
        return sql, [field.get_db_prep_save(getattr(message, field.attname), connection)
                     for message in messages for field in fields]

    def rows_statement(self, rows: list[dict[str, Any]], connection) -> tuple[str, list[Any]]:
        """The INSERT of rows in column form, PostgreSQL only: `insert_statement`'s, and the
        event loop's usual batch (chat.loopdb), whose rows (`room_row`) are built without
        model instances, which cost more than the rest of building a row (docs/benchmarks.md).
        One JSON document for all the rows: psycopg quotes one string in C, where one array
        per column was dumped element by element in Python."""
        _, sql = self._insert_sql(connection, len(rows))
        return sql, [json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_json_scalar)]

    @staticmethod
    def room_row(*, room_id: int, author_id: int, body: str, status: str, created_at: str) -> dict[str, Any]:
        """A room message as the columns `rows_statement` writes: every column but the id
        (a test holds this to the model's fields), the times already in ISO 8601."""
        return {"room_id": room_id, "conversation_id": None, "author_id": author_id, "body": body,
                "status": status, "created_at": created_at, "image_id": None, "reply_to_id": None}

    def mark_inserted(self, messages: list[Message], ids: list[int]) -> None:
        for message, pk in zip(messages, ids, strict=True):
            message.pk = pk
            message._state.adding = False
            message._state.db = self.db

    # The statement's text for (database alias, rows), built once: on PostgreSQL it does not
    # depend on the number of rows, so the driver's parsed-query cache holds it.
    _sql_cache: dict[tuple[str, str, int], tuple[list[models.Field], str]] = {}

    def _insert_sql(self, connection, rows: int) -> tuple[list[models.Field], str]:
        key = (self.model._meta.label, connection.alias, 0 if connection.vendor == "postgresql" else rows)
        found = self._sql_cache.get(key)
        if found is not None:
            return found
        quote = connection.ops.quote_name
        fields = [field for field in self.model._meta.concrete_fields if not field.primary_key]
        # Only names from the model's meta go into the text (bandit B608 below); every value
        # is a parameter.
        insert = (f"INSERT INTO {quote(self.model._meta.db_table)} "
                  f"({', '.join(quote(f.column) for f in fields)}) ")
        returning = f" RETURNING {quote(self.model._meta.pk.column)}"
        if connection.vendor == "postgresql":
            # The rows as one JSON array of objects read into the table's row type: the same
            # text whatever the number of rows. The ids come back in the order of the rows,
            # which Django 5.2's bulk_create relies on too for its INSERT … SELECT FROM unnest.
            columns = ", ".join(quote(f.column) for f in fields)
            table = quote(self.model._meta.db_table)
            sql = f"{insert}SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s::json){returning}"  # nosec B608
        else:
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql = f"{insert}VALUES {', '.join([row] * rows)}{returning}"  # nosec B608
        if len(self._sql_cache) < 64:  # SQLite's texts vary with the rows: keep a few
            self._sql_cache[key] = (fields, sql)
        return fields, sql


class Message(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", _("visible")
        HELD = "held", _("held for review")
        REMOVED = "removed", _("removed")
        DELETED = "deleted", _("deleted by its author")

    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    created_at = models.DateTimeField(default=timezone.now)
    # A cleared image (chat.media); the message exists only once the image passed its scan.
    image = models.OneToOneField(
        "Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="message"
    )
    # The room message this one answers (`reply_to` of room.send): it addresses that author.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    objects = MessageManager()

    class Meta:
        indexes = [
            models.Index(fields=["room", "id"]),
            models.Index(fields=["conversation", "id"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(room__isnull=False, conversation__isnull=True)
                | Q(room__isnull=True, conversation__isnull=False),
                name="message_in_room_xor_conversation",
            )
        ]


class FirstContactNotice(models.Model):
    """A minor was shown who wrote to them for the first time (chat.services.first_contact).

    Kept without the text: who, to whom, where, when. A room reply brings a notice only when
    no earlier notice exists for the same sender and recipient; a DM request always does.
    """

    class Kind(models.TextChoices):
        DM_REQUEST = "dm_request", _("direct message request")
        ROOM_REPLY = "room_reply", _("reply in a room")

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["sender", "recipient"])]


# --- Images (chat.media, docs/images.md) ----------------------------------------------------

class Upload(models.Model):
    """An image sent to a room or a conversation. It waits in quarantine (`scanning`) until
    the scan task re-encodes it, hashes it and matches it against the hash banks; only a
    `cleared` image becomes a message. The original bytes stay in quarantine storage: they
    are the evidence when a scan blocks the image (`legal_hold`), and are deleted otherwise.
    """

    class Status(models.TextChoices):
        SCANNING = "scanning", _("scanning")
        CLEARED = "cleared", _("cleared")
        BLOCKED = "blocked", _("blocked (hash match)")
        REJECTED = "rejected", _("rejected")

    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.CASCADE, related_name="uploads")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="uploads"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCANNING, db_index=True)
    # Why a scan rejected it (a protocol code: unsupported_media, too_large, media_not_allowed…).
    reason = models.CharField(max_length=32, blank=True, default="")
    # Storage names: the original bytes as received, and the re-encoded copy served to people.
    quarantine_name = models.CharField(max_length=255, blank=True, default="")
    storage_name = models.CharField(max_length=255, blank=True, default="")
    original_size = models.PositiveIntegerField(default=0)
    declared_format = models.CharField(max_length=8, blank=True, default="")
    content_type = models.CharField(max_length=32, blank=True, default="")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # SHA-256 of the bytes as received (what hash programmes share), hex.
    sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # PDQ perceptual hash (256 bits, hex) of the decoded image, and its quality (0-100).
    pdq_hash = models.CharField(max_length=64, blank=True, default="")
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    # The bank entry it matched, as facts (bank, source, hash type, distance).
    match = models.JSONField(default=dict, blank=True)
    legal_hold = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(room__isnull=False, conversation__isnull=True)
                | Q(room__isnull=True, conversation__isnull=False),
                name="upload_in_room_xor_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"upload {self.pk} {self.status}"


class TrustedConnection(models.Model):
    """Two people who both accepted to talk across age bands (chat.services.trusted).

    One row per proposal: it is `proposed` until the other person accepts (`active`) or
    declines (`declined`); either side ends it (`ended`) at any time, and so may an operator.
    Ended and declined rows stay, so that moderators see the history; at most one row per pair
    is proposed or active at a time.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACTIVE = "active", _("active")
        DECLINED = "declined", _("declined")
        ENDED = "ended", _("ended")

    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The pair, smaller id first, as Conversation keeps it.
    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Who ended or declined it: one of the two, an operator, or nobody (the system: a block,
    # a band change, an account deleted), with `end_reason` saying which.
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    end_reason = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], condition=Q(state__in=["proposed", "active"]),
                                    name="one_live_trusted_connection_per_pair"),
        ]

    def other_id(self, user_id: int) -> int:
        return self.user_high_id if user_id == self.user_low_id else self.user_low_id

    def involves(self, user_id: int) -> bool:
        return user_id in (self.user_low_id, self.user_high_id)

    def __str__(self) -> str:
        return f"trusted connection {self.pk} {self.state}"
