from django.contrib.admin.apps import AdminConfig


class PhareAdminConfig(AdminConfig):
    """django.contrib.admin with Phare's site (accounts.admin_site: good standing at the door,
    logout everywhere)."""

    default_site = "accounts.admin_site.PhareAdminSite"
