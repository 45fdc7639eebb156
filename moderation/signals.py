"""What moderation's gate tells the rest of moderation.

The gate (moderation/gate.py) is what chat calls: it screens, and files the flags its
verdicts leave. The rest of moderation (cases, interim measures, the task queue) calls chat's
services, so the gate must not import it: chat → gate → moderation.services → chat would be
an import cycle between the apps. The gate says what it filed instead, and
moderation/receivers.py, connected in `ModerationConfig.ready`, hands it to moderation's
services. Sent synchronously, inside the filing transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# A flag was filed: `flag=` (moderation.models.Flag). Sent inside the filing transaction, so
# that an escalation restricts the sender before that transaction commits.
flag_filed = Signal()

# A direct conversation had traffic and is due a grooming assessment: `conversation_id=`,
# `sender_id=` (the gate debounces: at most one per conversation per debounce interval).
grooming_check_due = Signal()

# The gate recorded an attempt (a refused or held message): `attempt=`
# (moderation.models.Attempt). Sent inside the recording transaction, so that repeated
# attempts pause the sender's first contacts before that transaction commits.
attempt_recorded = Signal()
