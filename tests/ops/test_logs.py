"""Log records: JSON, with request and connection ids, never an IP or a sensitive extra."""

import json
import logging

from ops.logs import ContextFilter, JsonFormatter, RedactFilter, connection_id_var, request_id_var, scrub_ips


def render(record: logging.LogRecord) -> dict:
    for log_filter in (ContextFilter(), RedactFilter()):
        log_filter.filter(record)
    return json.loads(JsonFormatter().format(record))


def make_record(msg: str, args=(), **extra) -> logging.LogRecord:
    record = logging.LogRecord("phare.test", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_uvicorn_style_lines_lose_their_addresses_but_not_their_times():
    line = "('192.168.1.20', 51234) - \"WebSocket /ws/\" [accepted] at 12:30:45 from 2001:db8::7 and ::1"
    assert scrub_ips(line) == "('[ip]', 51234) - \"WebSocket /ws/\" [accepted] at 12:30:45 from [ip] and [ip]"
    assert scrub_ips("version 1.2.3.4.5 took 0.25 s") == "version 1.2.3.4.5 took 0.25 s"


def test_a_record_carries_the_current_request_and_connection_ids():
    token_r, token_c = request_id_var.set("req-123"), connection_id_var.set("conn-456")
    try:
        data = render(make_record("hello %s", ("world",), event="x.y"))
    finally:
        request_id_var.reset(token_r), connection_id_var.reset(token_c)
    assert data["message"] == "hello world" and data["event"] == "x.y"
    assert data["request_id"] == "req-123" and data["connection_id"] == "conn-456"


def test_sensitive_extras_and_ips_in_arguments_are_redacted():
    data = render(make_record("login from %s", ("10.0.0.8",), password="hunter22", body="secret text",
                              user_id=7))
    assert data["message"] == "login from [ip]"
    assert data["password"] == "[redacted]" and data["body"] == "[redacted]"
    assert data["user_id"] == 7
