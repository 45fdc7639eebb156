from django.urls import path

from moderation import views

urlpatterns = [
    path("reports", views.reports, name="api-reports"),
    path("reports/<str:report_id>", views.report_detail, name="api-report"),
    path("notices", views.notices, name="api-notices"),
    path("me/strikes", views.my_strikes, name="api-me-strikes"),
    path("appeals", views.appeals, name="api-appeals"),
    path("rooms/proposals", views.room_proposals, name="api-room-proposals"),
    path("moderation/cases", views.cases, name="api-mod-cases"),
    path("moderation/cases/bulk", views.cases_bulk, name="api-mod-cases-bulk"),
    path("moderation/cases/<str:case_id>", views.case_detail, name="api-mod-case"),
    path("moderation/cases/<str:case_id>/claim", views.case_claim, name="api-mod-case-claim"),
    path("moderation/cases/<str:case_id>/release", views.case_release, name="api-mod-case-release"),
    path("moderation/cases/<str:case_id>/decide", views.case_decide, name="api-mod-case-decide"),
    path("moderation/appeals", views.appeal_list, name="api-mod-appeals"),
    path("moderation/appeals/<str:appeal_id>/decide", views.appeal_decide, name="api-mod-appeal-decide"),
]
