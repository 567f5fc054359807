from django.contrib.admin.apps import AdminConfig


class KyosoAdminConfig(AdminConfig):
    default_site = "prm.admin_site.KyosoAdminSite"
