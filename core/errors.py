"""Domain errors with a stable code, shared by every app and sent to clients as is.

Every refusal in Phare is a `PhareError` (or subclass) carrying a `code` from docs/protocol.md;
the edges (HTTP views, the WebSocket consumer) turn it into `{"error": {...}}`.
This module lives in `accounts` because every other app already depends on it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Human messages per code, in the user's language. The code is the contract; these may change.
ERROR_MESSAGES: dict[str, Any] = {
    "bad_request": _("The request is not valid."),
    "not_authenticated": _("Please sign in first."),
    "forbidden": _("You are not allowed to do that."),
    "not_found": _("Not found."),
    "rate_limited": _("You are going too fast. Please wait a moment."),
    "age_below_minimum": _("You must be at least 13 years old to use Phare."),
    "assurance_required": _("This room needs a stronger age check."),
    "contact_not_allowed": _("You cannot contact this person."),
    "dm_request_pending": _("Your request is waiting for an answer."),
    "dm_requests_paused": _("New conversation requests to this person are paused for now."),
    "blocked_by_policy": _("This message was not sent because it breaks the rules."),
    "muted": _("You are muted for now."),
    "suspended": _("Your account is suspended."),
    "room_locked": _("This room is locked."),
    "not_member": _("Join the room first."),
    "too_large": _("This is too long."),
    "pseudonym_taken": _("This pseudonym is already taken."),
    "pseudonym_not_allowed": _("This pseudonym is not allowed."),
    "invalid_credentials": _("Wrong pseudonym or password."),
    "invalid_password": _("This password is too weak."),
    "slow_mode": _("This room is in slow mode. Please wait before sending again."),
    "conflict": _("This conflicts with the current state."),
    "conflict_of_interest": _("This case is assigned to another moderator."),
    "assurance_weaker": _("You already passed a stronger age check."),
    "media_not_allowed": _("Images are not allowed here."),
    "unsupported_media": _("This file is not an image Phare accepts (JPEG, PNG, WebP or GIF)."),
    "unavailable": _("This is not available right now. Please try again in a moment."),
}

HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "invalid_password": 400,
    "age_below_minimum": 400,
    "pseudonym_not_allowed": 400,
    "not_authenticated": 401,
    "invalid_credentials": 401,
    "forbidden": 403,
    "conflict_of_interest": 403,
    "assurance_required": 403,
    "contact_not_allowed": 403,
    "dm_requests_paused": 403,
    "blocked_by_policy": 403,
    "muted": 403,
    "suspended": 403,
    "room_locked": 403,
    "not_member": 403,
    "not_found": 404,
    "dm_request_pending": 409,
    "pseudonym_taken": 409,
    "conflict": 409,
    "assurance_weaker": 409,
    "provider_unknown": 404,
    "provider_unavailable": 404,
    "token_nonce_replayed": 409,
    "token_method_not_allowed": 403,
    "vp_request_unknown": 404,
    "vp_response_pending": 409,
    "too_large": 413,
    "unsupported_media": 415,
    "media_not_allowed": 403,
    "rate_limited": 429,
    "slow_mode": 429,
    "unavailable": 503,
}


class PhareError(Exception):
    """A refusal the client is told about, by stable `code`."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.extra = extra or {}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message or ERROR_MESSAGES.get(self.code, self.code)),
        }
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        body.update(self.extra)
        return body
