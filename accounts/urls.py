from django.urls import path

from accounts import controls_views, views

urlpatterns = [
    path("session", views.session, name="api-session"),
    path("accounts/signup", views.signup, name="api-signup"),
    path("accounts/login", views.login_view, name="api-login"),
    path("accounts/logout", views.logout_view, name="api-logout"),
    path("me", views.me, name="api-me"),
    path("me/settings", views.me_settings, name="api-me-settings"),
    path("me/blocks", controls_views.blocks, name="api-me-blocks"),
    path("me/blocks/<str:user_id>", controls_views.block_detail, name="api-me-block"),
    path("me/mutes", controls_views.mutes, name="api-me-mutes"),
    path("me/mutes/<str:user_id>", controls_views.mute_detail, name="api-me-mute"),
    path("me/export", controls_views.export, name="api-me-export"),
    path("age-assurance/nonce", views.assurance_nonce, name="api-assurance-nonce"),
    path("age-assurance/openid4vp/requests", views.openid4vp_request, name="api-openid4vp-request"),
    path("age-assurance/openid4vp/requests/<str:transaction>", views.openid4vp_status,
         name="api-openid4vp-status"),
    path("age-assurance/openid4vp/response", views.openid4vp_response, name="api-openid4vp-response"),
    path("age-assurance/<slug:provider>", views.assurance_complete, name="api-assurance-complete"),
]
