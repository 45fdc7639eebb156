"""HTTP edges of moderation: parse, call one service, answer JSON (docs/protocol.md)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from accounts import permissions
from core.http import api_view, json_body, string_field
from accounts.throttling import rate_limit
from chat.representations import room_repr
from moderation import selectors
from moderation.services.appeal import decide_appeal, file_appeal
from moderation.services.claim import claim_case, read_case, release_case
from moderation.services.decide import bulk_decide, decide_case
from moderation.services.notify import list_notices
from moderation.services.propose import propose_room
from moderation.services.report import file_report, get_own_report
from moderation.services.strikes import strike_record
from moderation.representations import appeal_repr, case_repr, notice_repr, report_repr, strike_record_repr


def _visitor_session(request: HttpRequest) -> str:
    # A visitor's report is readable from the session that filed it.
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _user(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


@api_view({"POST"})
@rate_limit("report")
def reports(request: HttpRequest) -> JsonResponse:
    data = json_body(request)
    user = _user(request)
    report = file_report(
        reporter=user, target=data.get("target"), category=data.get("category"),
        details=data.get("details") or "", good_faith=data.get("good_faith"),
        visitor_session=_visitor_session(request) if user is None else "",
    )
    return JsonResponse({"report": {"id": str(report.pk), "status": report.status}}, status=201)


@api_view({"GET"})
def report_detail(request: HttpRequest, report_id: str) -> JsonResponse:
    user = _user(request)
    report = get_own_report(user=user, visitor_session=request.session.session_key or "",
                            report_id=report_id)
    return JsonResponse({"report": report_repr(report)})


@api_view({"GET"}, login_required=True, while_suspended=True)
def notices(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"notices": [notice_repr(n) for n in list_notices(user=request.user)]})


@api_view({"GET"}, login_required=True, while_suspended=True)
def my_strikes(request: HttpRequest) -> JsonResponse:
    # Readable while suspended: a suspension may be the step one's strikes reached.
    record = strike_record(user=request.user)
    return JsonResponse(strike_record_repr(strikes=record.strikes, active_weight=record.active_weight,
                                           next_step=record.next_step))


@api_view({"POST"}, login_required=True, while_suspended=True)
@rate_limit("appeal")
def appeals(request: HttpRequest) -> JsonResponse:
    data = json_body(request)
    appeal = file_appeal(user=request.user, notice_id=data.get("notice"),
                         reason=string_field(data, "reason", max_length=5000))
    return JsonResponse({"appeal": appeal_repr(appeal)}, status=201)


@api_view({"POST"}, login_required=True)
@rate_limit("room_proposal")
def room_proposals(request: HttpRequest) -> JsonResponse:
    data = json_body(request)
    room = propose_room(user=request.user, name=data.get("name"), description=data.get("description") or "",
                        audience=data.get("audience"))
    return JsonResponse({"room": {**room_repr(room), "status": room.status}}, status=201)


# --- Moderators (everything answers 404 to anyone else) ---------------------------------------

def _moderator(request: HttpRequest):
    return permissions.require_moderator(request.user)


@api_view({"GET"})
def cases(request: HttpRequest) -> JsonResponse:
    moderator = _moderator(request)
    page = selectors.queue_page(moderator=moderator, query=selectors.parse_queue_query(request.GET))
    return JsonResponse({"cases": page.cases, "next": page.next, "total": page.total})


@api_view({"GET"})
def case_detail(request: HttpRequest, case_id: str) -> JsonResponse:
    case = read_case(moderator=_moderator(request), case_id=case_id)
    return JsonResponse({"case": case_repr(case)})


@api_view({"POST"})
def case_claim(request: HttpRequest, case_id: str) -> JsonResponse:
    case = claim_case(moderator=_moderator(request), case_id=case_id)
    return JsonResponse({"case": case_repr(case)})


@api_view({"POST"})
def case_release(request: HttpRequest, case_id: str) -> JsonResponse:
    case = release_case(moderator=_moderator(request), case_id=case_id)
    return JsonResponse({"case": case_repr(case)})


@api_view({"POST"})
def case_decide(request: HttpRequest, case_id: str) -> JsonResponse:
    moderator = _moderator(request)
    data = json_body(request)
    case = decide_case(
        moderator=moderator, case_id=case_id, action=data.get("action"), reason_code=data.get("reason_code"),
        note=data.get("note") or "", duration_seconds=data.get("duration_seconds"),
    )
    return JsonResponse({"case": case_repr(case)})


@api_view({"POST"})
def cases_bulk(request: HttpRequest) -> JsonResponse:
    moderator = _moderator(request)
    data = json_body(request)
    result = bulk_decide(moderator=moderator, case_ids=data.get("cases"), action=data.get("action"),
                         reason_code=data.get("reason_code"), note=data.get("note") or "")
    return JsonResponse(result)


@api_view({"GET"})
def appeal_list(request: HttpRequest) -> JsonResponse:
    moderator = _moderator(request)
    return JsonResponse({"appeals": [appeal_repr(a) for a in selectors.pending_appeals(moderator=moderator)]})


@api_view({"POST"})
def appeal_decide(request: HttpRequest, appeal_id: str) -> JsonResponse:
    moderator = _moderator(request)
    data = json_body(request)
    appeal = decide_appeal(moderator=moderator, appeal_id=appeal_id, outcome=data.get("outcome"),
                           note=data.get("note") or "")
    return JsonResponse({"appeal": appeal_repr(appeal)})
