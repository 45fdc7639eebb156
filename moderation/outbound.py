"""HTTP calls Phare makes to services outside it: the DSA Transparency Database
(moderation.dsa_export) and shared hash lists (moderation.hash_exchange).

Standard library only (urllib): two plain calls do not warrant an HTTP client dependency.
Only http and https addresses are opened, so a configured `file:` or other scheme cannot
make Phare read local files.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

# Enough for a batch of a hundred statements or a list of a million hashes on a slow link;
# a longer wait is treated as a failure and retried later.
TIMEOUT_SECONDS = 60
# A shared hash list larger than this is refused rather than read into memory (a million PDQ
# lines with ids are about 100 MB).
MAX_BODY_BYTES = 256 * 1024 * 1024


class OutboundError(Exception):
    """The service could not be reached, or answered with something that is not HTTP: a
    network failure, a timeout, an address Phare refuses to open."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or {"raw": first 2000 characters} when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {"raw": self.body[:2000].decode("utf-8", "replace")}


def _open(request: urllib.request.Request) -> Answer:
    if not request.full_url.lower().startswith(("https://", "http://")):
        raise OutboundError("only http and https addresses are opened")
    try:
        # The scheme is checked above: no file: or custom-scheme reads.
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # nosec B310
            body = response.read(MAX_BODY_BYTES + 1)
            status = response.status
    except urllib.error.HTTPError as error:
        return Answer(status=error.code, body=error.read(64 * 1024))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise OutboundError(str(error)) from error
    if len(body) > MAX_BODY_BYTES:
        raise OutboundError(f"answer larger than {MAX_BODY_BYTES} bytes")
    return Answer(status=status, body=body)


def _headers(token: str, accept: str) -> dict[str, str]:
    headers = {"Accept": accept, "User-Agent": "Phare"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def post_json(url: str, *, body: Any, token: str = "") -> Answer:
    """POST `body` as JSON with a bearer token; any HTTP status is returned, not raised."""
    headers = _headers(token, "application/json") | {"Content-Type": "application/json"}
    return _open(urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers,
                                        method="POST"))


def get(url: str, *, token: str = "") -> Answer:
    """GET `url` (with a bearer token if given); any HTTP status is returned, not raised."""
    return _open(urllib.request.Request(url, headers=_headers(token, "*/*"), method="GET"))
