"""The moderation console: Django's admin under the site's name, its index opening on the
queue of open reports, its lists given the whole width of a laptop screen."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse


class ModerationSite(admin.AdminSite):
    site_header = "ShortScience moderation"
    site_title = "ShortScience moderation"
    index_title = "Moderation"
    index_template = "admin/moderation_index.html"
    # The app list beside every change list costs a laptop a third of its width.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        from summaries.models import Report  # the admin sits above every app

        context = {}
        if request.user.has_perm("summaries.view_report"):
            context["open_reports"] = Report.objects.filter(resolved_at__isnull=True).count()
            context["open_reports_url"] = reverse("admin:summaries_report_changelist")
        return super().index(request, {**context, **(extra_context or {})})


class ModerationAdminConfig(AdminConfig):
    default_site = "shortscience.admin_site.ModerationSite"
