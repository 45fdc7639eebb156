from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts import views as accounts_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("chat.urls")),
    path("api/v1/", include("moderation.urls")),
    path("api/v1/", include("moderation.hashbank_urls")),
    path("moderation/", include("moderation.web_urls")),
    path("", include("ops.urls")),
    # Django's set_language, wrapped so that a signed-in account remembers the choice.
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["chat", "moderation"]), name="javascript-catalog"),
    path("", include("chat.web_urls")),
]

handler404 = "accounts.views.not_found"
handler500 = "accounts.views.server_error"
