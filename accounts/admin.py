from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from summaries import moderation
from summaries.admin import ReasonActionForm
from summaries.invalidation import writers_changed
from summaries.models import Comment, Report, Summary, Vote

from . import outbox
from .models import OutgoingMessage, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "display_name",
        "reputation",
        "public_summary_count",
        "is_staff",
        "banned_at",
    ]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        "email_confirmed",
        ("banned_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["username", "email", "display_name"]
    readonly_fields = [
        "activity",
        "banned_at",
        "ban_reason",
        "reputation",
        "last_login",
        "date_joined",
    ]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (
            "Profile",
            {
                "fields": [
                    "display_name",
                    "bio",
                    "orcid",
                    "email_on_comments",
                    "email_confirmed",
                    "reputation",
                ]
            },
        ),
        ("Moderation", {"fields": ["banned_at", "ban_reason", "activity"]}),
    ]
    action_form = ReasonActionForm
    actions = ["ban_selected", "ban_and_hide_content", "unban_selected", "hide_all_content"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"display_name", "username", "is_active"} & set(form.changed_data):
            writers_changed(user_ids=[obj.pk])  # shown on their cards, comments and profile

    def has_ban_permission(self, request):
        return request.user.has_perm("accounts.ban_user")

    def _refuse_staff(self, request, queryset):
        """True (with a message) when the selection holds someone this moderator may not
        sanction: staff are banned, unbanned or emptied only by superusers."""
        special = queryset.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(pk=request.user.pk))
        refused = sorted(
            u.username for u in special if not moderation.may_sanction(request.user, u)
        )
        if refused:
            self.message_user(
                request,
                "Only a superuser can ban staff, and nobody bans themselves: "
                f"{', '.join(refused)}. Nothing was changed.",
                messages.ERROR,
            )
        return bool(refused)

    def _ban(self, request, queryset, *, hide_content):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Type a reason for the ban first.", messages.ERROR)
            return
        if self._refuse_staff(request, queryset):
            return
        for user in queryset:
            moderation.ban(user, moderator=request.user, reason=reason, hide_content=hide_content)
        self.message_user(request, "Banned; their sessions end at their next request.")

    @admin.action(description="Ban selected users (give a reason)", permissions=["ban"])
    def ban_selected(self, request, queryset):
        self._ban(request, queryset, hide_content=False)

    @admin.action(description="Ban selected users and hide all their content", permissions=["ban"])
    def ban_and_hide_content(self, request, queryset):
        self._ban(request, queryset, hide_content=True)

    @admin.action(description="Unban selected users", permissions=["ban"])
    def unban_selected(self, request, queryset):
        if self._refuse_staff(request, queryset):
            return
        for user in queryset.filter(banned_at__isnull=False):
            moderation.unban(
                user, moderator=request.user, reason=request.POST.get("reason", "").strip()
            )
        self.message_user(request, "Unbanned.")

    @admin.action(
        description="Hide all content of selected users (give a reason)", permissions=["ban"]
    )
    def hide_all_content(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Type a reason first.", messages.ERROR)
            return
        if self._refuse_staff(request, queryset):
            return
        for user in queryset:
            moderation.hide_all_content(user, moderator=request.user, reason=reason)
        self.message_user(request, "Their summaries and comments are hidden.")

    @admin.display(description="Activity")
    def activity(self, user):
        if user.pk is None:
            return "—"
        rows = [
            (
                "summaries",
                "summaries_summary",
                f"author__id__exact={user.pk}",
                Summary.objects.filter(author=user).count(),
            ),
            (
                "comments",
                "summaries_comment",
                f"author__id__exact={user.pk}",
                Comment.objects.filter(author=user).count(),
            ),
            (
                "votes cast",
                "summaries_vote",
                f"user__id__exact={user.pk}",
                Vote.objects.filter(user=user).count(),
            ),
            (
                "reports against their summaries",
                "summaries_report",
                f"summary__author__id__exact={user.pk}&status=all",
                Report.objects.filter(summary__author=user).count(),
            ),
            (
                "reports against their comments",
                "summaries_report",
                f"comment__author__id__exact={user.pk}&status=all",
                Report.objects.filter(comment__author=user).count(),
            ),
            (
                "reports they filed",
                "summaries_report",
                f"reporter__id__exact={user.pk}&status=all",
                Report.objects.filter(reporter=user).count(),
            ),
        ]
        return format_html_join(
            format_html("<br>"),
            '<a href="{}?{}">{} {}</a>',
            (
                (reverse(f"admin:{name}_changelist"), query, count, label)
                for label, name, query, count in rows
            ),
        )


# Links in these let whoever reads them into an account: the admin never shows their text.
SECRET_MAIL_KINDS = {"confirmation", "email-change", "password-reset"}


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "to", "subject", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "message_id"]
    date_hierarchy = "created"
    actions = ["retry_now"]
    fields = [
        "kind",
        "to",
        "recipient",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created",
        "sent_at",
        "message_id",
        "text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="text")
    def text(self, message):
        if message.kind in SECRET_MAIL_KINDS:
            return "(not shown: it holds a link into the account)"
        return message.body

    def has_retry_permission(self, request):
        return request.user.has_perm("accounts.change_outgoingmessage")

    @admin.action(description="Retry the selected e-mails now", permissions=["retry"])
    def retry_now(self, request, queryset):
        count = outbox.retry(list(queryset))
        self.message_user(request, f"{count} e-mail(s) queued again.", messages.SUCCESS)
