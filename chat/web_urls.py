from django.urls import path

from accounts import views as accounts_views
from chat import views

urlpatterns = [
    path("", views.client, name="client"),
    path("account/", accounts_views.account_page, name="account"),
]
