"""The moderator console: server-rendered pages; the static script talks to the API.

Moderators only (the transparency page: operators too); a signed-in account without the role
gets a 404, as for the API, and a visitor who is not signed in a page that leads to the log-in.
No inline script: the pages are CSP-ready, user-written text is rendered by the template
engine (escaped) or set with textContent by the script.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts import evasion, permissions
from accounts.models import User
from core.errors import PhareError
from chat import protection
from chat import services as chat_services
from moderation import overview, rules, selectors, transparency
from moderation.models import ReportCategory
from moderation.services import failsafe
from moderation.services.claim import read_case
from moderation.representations import case_repr
from moderation.templatetags.console_labels import CASE_STATUS_LABELS, CATEGORY_LABELS, SUBJECT_LABELS


def _moderator(request: HttpRequest):
    if not permissions.is_acting_moderator(request.user):
        raise Http404
    failsafe.note_moderator_seen()  # a moderator at the console is moderation attended
    return request.user


def console_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A console page: a visitor who is not signed in is sent towards the log-in (the chat
    page signs in, then comes back here); the view itself checks the role."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return render(request, "moderation/sign_in.html",
                          {"login_url": "/?" + urlencode({"next": request.get_full_path()})}, status=401)
        return view(request, *args, **kwargs)
    return wrapper


def moderator_names(extra_ids: Iterable[Any] = ()) -> dict[str, str]:
    """Pseudonyms of the moderators (and of the accounts in `extra_ids`, such as a former
    moderator's decision) by id: the protocol names moderators by id, people read names."""
    ids = {int(i) for i in extra_ids if i}
    users = User.objects.filter(is_moderator=True) | User.objects.filter(pk__in=ids)
    return {str(pk): pseudonym for pk, pseudonym in users.values_list("pk", "pseudonym")}


def _console_words(names: dict[str, str]) -> str:
    """What the console script needs to write a live case as the page does, as JSON for the
    page's data-words attribute (escaped there like any attribute; no inline script)."""
    def strings(table: dict[str, Any]) -> dict[str, str]:
        return {code: str(label) for code, label in table.items()}
    return json.dumps({"categories": strings(CATEGORY_LABELS), "statuses": strings(CASE_STATUS_LABELS),
                       "subjects": strings(SUBJECT_LABELS), "actions": strings(rules.ACTION_LABELS),
                       "moderators": names})


# Cases per console page: enough to scan, few enough to read (the API allows up to 200).
CONSOLE_QUEUE_PAGE = 50


@console_page
@ensure_csrf_cookie
def queue_page(request: HttpRequest) -> HttpResponse:
    """The queue, one page at a time: filters and the next page are plain links and a GET
    form, so paging needs no script."""
    moderator = _moderator(request)
    params = {"limit": str(CONSOLE_QUEUE_PAGE), **request.GET.dict()}
    names = moderator_names()
    context = {"actions": rules.ACTIONS, "reason_codes": rules.REASON_CODES, "now": timezone.now(),
               "names": names, "console_words": _console_words(names),
               "categories": ReportCategory.choices, "critical_priority": rules.CRITICAL_PRIORITY,
               "appeals": selectors.pending_appeals(moderator=moderator),
               "locked_rooms": selectors.locked_down_rooms(), "failsafe": failsafe.current()}
    try:
        query = selectors.parse_queue_query(params)
    except PhareError as error:
        # A hand-edited or stale link: say which part is wrong, with the filters reset.
        query = selectors.QueueQuery(limit=CONSOLE_QUEUE_PAGE)
        return render(request, "moderation/queue.html", {
            **context, "query": query, "status": query.status, "cases": [], "total": None,
            "bad_field": error.extra.get("field")}, status=400)
    page = selectors.queue_page(moderator=moderator, query=query)
    next_url = "?" + urlencode(query.params(cursor=page.next)) if page.next else None
    first_url = "?" + urlencode(query.params(cursor=None)) if query.cursor else None
    return render(request, "moderation/queue.html", {
        **context, "query": query, "status": query.status, "cases": page.cases, "total": page.total,
        "next_url": next_url, "first_url": first_url})


@console_page
@ensure_csrf_cookie
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    moderator = _moderator(request)
    try:
        case = read_case(moderator=moderator, case_id=case_id)
    except PhareError as error:
        if error.code == "conflict_of_interest":
            # Shown as someone else's case: nothing about it, no controls (the service logged it).
            return render(request, "moderation/recused.html", {"case_id": case_id}, status=403)
        raise Http404 from error  # no such case: the console's 404 page, not a 500
    data = case_repr(case)
    for evidence in data["evidence"]:
        # One thread, oldest first, with the reported message marked.
        message = evidence["data"].get("message")
        items = [dict(m, reported=False) for m in evidence["data"].get("context", [])]
        if message:
            items.append(dict(message, reported=True))
        evidence["thread"] = sorted(items, key=lambda m: int(m["id"]))
    names = moderator_names(d["moderator"] for d in data["decisions"])
    # Whom the subject may talk to across age bands, and whom they did (ended ones too).
    trusted = (chat_services.trusted_connections_for_moderators(user_id=case.subject_user_id)
               if case.subject_user_id is not None else [])
    # Banned accounts the subject was linked to, and on which signals (never their values).
    evasion_links = (evasion.links_for_moderators(user_id=case.subject_user_id)
                     if case.subject_user_id is not None else [])
    return render(request, "moderation/case.html", {
        "case": data, "case_obj": case, "actions": rules.ACTIONS, "reason_codes": rules.REASON_CODES,
        "names": names, "console_words": _console_words(names), "trusted_connections": trusted,
        "evasion_links": evasion_links,
    })


@console_page
@ensure_csrf_cookie
def rooms_page(request: HttpRequest) -> HttpResponse:
    """Rooms under a join-wave lockdown or the shield, each with its "Lift lockdown" form."""
    _moderator(request)
    return render(request, "moderation/rooms.html", {"rooms": selectors.locked_down_rooms()})


@console_page
def lift_lockdown(request: HttpRequest, slug: str) -> HttpResponse:
    """POST (CSRF-checked by the middleware): end the room's lockdown or shield. The service
    checks the role again, alerts moderators and writes the audit entry."""
    moderator = _moderator(request)  # before the method: the route does not exist for others
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        room = protection.lift_room_lockdown(actor=moderator, slug=slug)
    except PhareError as error:
        if error.code != "conflict":
            raise Http404 from error
        # Another moderator lifted it first (or a double click): say so, it is not an error.
        messages.info(request, _("The room %(room)s was no longer under lockdown.") % {"room": slug})
    else:
        messages.success(request, _("Lockdown lifted in %(room)s.") % {"room": room.name})
    return redirect("moderation-rooms")


@console_page
def overview_page(request: HttpRequest) -> HttpResponse:
    """The queue at a glance: charts drawn on the server (moderation.overview)."""
    _moderator(request)
    return render(request, "moderation/overview.html", {"charts": overview.queue_figures(),
                                                        "failsafe": failsafe.current()})


@console_page
def transparency_page(request: HttpRequest) -> HttpResponse:
    if not permissions.has_role(request.user, "moderator", "operator"):
        raise Http404
    today = timezone.now()
    days = request.GET.get("days", "30")
    start = today - dt.timedelta(days=min(int(days), 3660) if days.isdecimal() and days.isascii() else 30)
    report = transparency.build_report(start=start, end=today)
    return render(request, "moderation/transparency.html", {
        "report": report, "start": start, "end": today, "charts": overview.transparency_charts(report)})
