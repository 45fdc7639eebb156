from django.urls import path

from accounts import views

urlpatterns = [
    path("session", views.session, name="api-session"),
    path("accounts/signup", views.signup, name="api-signup"),
    path("accounts/login", views.login_view, name="api-login"),
    path("accounts/logout", views.logout_view, name="api-logout"),
    path("me", views.me, name="api-me"),
    path("me/settings", views.me_settings, name="api-me-settings"),
    path("age-assurance/nonce", views.assurance_nonce, name="api-assurance-nonce"),
    path("age-assurance/<slug:provider>", views.assurance_complete, name="api-assurance-complete"),
]
