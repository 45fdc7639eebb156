"""Structured (JSON) logs with request and connection ids, and without personal data.

Ordinary logs never carry a message's text, a password or an IP address:
- Phare's own code logs ids and codes, never bodies (reviewed, and tested over a full journey);
- `RedactFilter`, on every handler, replaces any IP address in a log line by `[ip]` (uvicorn's
  own lines carry the client's address) and blanks known sensitive `extra` keys;
- the request log is written by `ops.middleware.RequestLogMiddleware` (path without query
  string, no address); uvicorn's access log, which has the address, is switched off.

Connection records (IP, time) are kept for the legal retention period in the database
(accounts.ConnectionLog), readable by the legal role only — never in the logs.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import ipaddress
import json
import logging
import re
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
connection_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "connection_id", default=None
)

# `extra` keys that must never reach a log line with their value.
SENSITIVE_KEYS = frozenset(
    {"body", "text", "preview", "password", "ip", "client_ip", "remote_addr", "details",
     "token", "cookie", "authorization"}
)
REDACTED = "[redacted]"

# Candidates are checked with `ipaddress`, so times ("12:30:45") and versions stay untouched.
_IPV4_RE = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%\w+)?(?![\w:])")


def _replace_if_ip(match: re.Match[str]) -> str:
    candidate = match.group(0)
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return candidate
    return "[ip]"


def scrub_ips(text: str) -> str:
    if "." not in text and ":" not in text:
        return text
    return _IPV6_RE.sub(_replace_if_ip, _IPV4_RE.sub(_replace_if_ip, text))


class RedactFilter(logging.Filter):
    """Remove IP addresses and sensitive extras from a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break the caller; log it as given
            message = str(record.msg)
        scrubbed = scrub_ips(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        for key in SENSITIVE_KEYS.intersection(record.__dict__):
            setattr(record, key, REDACTED)
        return True


class ContextFilter(logging.Filter):
    """Stamp every record with the current request id and WebSocket connection id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "connection_id", None) is None:
            record.connection_id = connection_id_var.get()
        return True


# Attributes every LogRecord has; anything else came from `extra=` and is written out.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "request_id", "connection_id", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "connection_id"):
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                data[key] = REDACTED if key in SENSITIVE_KEYS else value
        if record.exc_info:
            data["exception"] = scrub_ips(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Human-readable lines for local trials (`LOG_FORMAT=plain`), with the same ids."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s %(connection_id)s] %(message)s")

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return scrub_ips(super().formatException(ei))

