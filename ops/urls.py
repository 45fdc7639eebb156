from django.urls import path

from ops import views

# /healthz, /readyz and /metrics are also answered by HealthCheckMiddleware before host
# validation; these routes keep them reachable if the middleware is left out.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("safety/", views.safety, name="safety"),
    path("terms/", views.terms_full, name="terms"),
    path("terms/simple/", views.terms_simple, name="terms-simple"),
    path("api/v1/terms", views.terms_json, name="api-terms"),
]
