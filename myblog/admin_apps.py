"""The admin app with StaffAdminSite as ``admin.site`` (issue 12: a second factor for staff).

Its own module, importing no models: INSTALLED_APPS loads it before the app registry is ready.
"""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "myblog.admin_auth.StaffAdminSite"
