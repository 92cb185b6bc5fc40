from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from . import moderation
from .models import (
    Citation,
    Comment,
    ModerationAction,
    Report,
    Revision,
    Summary,
    Vote,
)


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason",
        widget=forms.TextInput(attrs={"placeholder": "Reason, shown to the author", "size": 40}),
    )


def _reason(request, *, required=True):
    reason = request.POST.get("reason", "").strip()
    if required and not reason:
        return None
    return reason


def _admin_link(obj, text=None):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


class ModeratedContentAdmin(admin.ModelAdmin):
    """Shared moderation verbs for summaries and comments: hide, mark spam, restore."""

    action_form = ReasonActionForm
    actions = ["hide_selected", "mark_spam", "restore_selected"]

    def _apply(self, request, queryset, verb, **kwargs):
        reason = _reason(request, required=verb != "restore")
        if reason is None:
            self.message_user(
                request, "Type a reason in the box next to the action first.", messages.ERROR
            )
            return
        for obj in queryset:
            getattr(moderation, verb)(obj, moderator=request.user, reason=reason, **kwargs)
        self.message_user(request, f"{queryset.count()} item(s) updated.", messages.SUCCESS)

    @admin.action(description="Hide selected (give a reason)", permissions=["change"])
    def hide_selected(self, request, queryset):
        self._apply(request, queryset, "hide")

    @admin.action(description="Mark selected as spam (give a reason)", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._apply(request, queryset, "hide", spam=True)

    @admin.action(description="Restore selected (publish again)", permissions=["change"])
    def restore_selected(self, request, queryset):
        self._apply(request, queryset, "restore")

    @admin.display(description="As readers see it")
    def rendered(self, obj):
        # The stored HTML was sanitized by the rendering pipeline when it was saved.
        return mark_safe(f'<div class="rendered-preview">{obj.html}</div>')


class SummaryAdminForm(forms.ModelForm):
    """Keeps the values a summary had before the edit, and refuses changes that would show it
    to more people or sign it: those are its writer's to make."""

    class Meta:
        model = Summary
        fields = ["source", "is_private", "is_anonymous"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before = {
            field: getattr(self.instance, field) for field in moderation.EDITABLE_SUMMARY_FIELDS
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            after = {**self.before, **{k: cleaned[k] for k in self.before if k in cleaned}}
            for message in moderation.revealing_changes(
                self.instance, before=self.before, after=after
            ):
                self.add_error(None, message)
        return cleaned


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ["created", "editor", "note", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Summary)
class SummaryAdmin(ModeratedContentAdmin):
    list_display = [
        "paper_title",
        "author",
        "state",
        "visibility",
        "score",
        "open_reports",
        "edited",
    ]
    list_filter = [
        "state",
        "is_private",
        "is_anonymous",
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["paper", "author"]
    search_fields = [
        "paper__bibtex_key",
        "paper__title",
        "author__username",
        "author__display_name",
    ]
    autocomplete_fields = ["paper", "author"]
    fields = [
        "paper",
        "author",
        "source",
        "rendered",
        "is_private",
        "is_anonymous",
        "state",
        "moderation_reason",
        "deleted_at",
        "score",
        "comment_count",
        "created",
        "edited",
    ]
    readonly_fields = [
        "rendered",
        "state",
        "moderation_reason",
        "deleted_at",
        "score",
        "comment_count",
        "created",
        "edited",
    ]
    inlines = [RevisionInline]
    form = SummaryAdminForm
    show_full_result_count = False
    ordering = ["-edited", "-pk"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_report_count=Count("reports", filter=Q(reports__resolved_at__isnull=True))
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # Who wrote a summary and for which paper is history, not something to edit.
        if obj is not None:
            return [*self.readonly_fields, "paper", "author"]
        return self.readonly_fields

    @admin.display(description="Summary of", ordering="paper__title")
    def paper_title(self, obj):
        return format_html(
            '{}<br><code class="quiet">{}</code>',
            Truncator(obj.paper.title).chars(70),
            obj.paper.bibtex_key,
        )

    @admin.display(description="Visible to")
    def visibility(self, obj):
        shown = "only the writer" if obj.is_private else "everyone"
        return f"{shown}, anonymous" if obj.is_anonymous else shown

    @admin.display(description="Open reports", ordering="open_report_count")
    def open_reports(self, obj):
        return obj.open_report_count

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # Moderators may correct a summary, but never silently: a revision and a log entry
            # with the old values of whatever they changed.
            moderation.record_moderator_edit(obj, moderator=request.user, before=form.before)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that nobody edits through the admin: revisions and the moderation log."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["summary", "editor", "created", "note"]
    list_select_related = ["summary__paper", "summary__author", "editor"]
    search_fields = ["summary__paper__bibtex_key", "editor__username"]
    readonly_fields = ["summary", "editor", "created", "source", "note"]
    show_full_result_count = False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["summary", "user", "value", "created"]
    list_select_related = ["summary__paper", "summary__author", "user"]
    search_fields = ["user__username", "summary__paper__bibtex_key"]
    list_filter = ["value"]
    autocomplete_fields = ["summary", "user"]
    show_full_result_count = False


@admin.register(Comment)
class CommentAdmin(ModeratedContentAdmin):
    list_display = ["text_start", "summary_paper", "author", "state", "created", "deleted_at"]
    list_filter = ["state", ("deleted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["summary__paper", "author"]
    search_fields = ["source", "author__username", "author__display_name"]
    autocomplete_fields = ["summary", "author"]
    fields = [
        "summary",
        "author",
        "source",
        "rendered",
        "state",
        "moderation_reason",
        "deleted_at",
        "created",
    ]
    # Comments change through the moderation actions only.
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Comment")
    def text_start(self, obj):
        return Truncator(obj.source).chars(80)

    @admin.display(description="On the summary of", ordering="summary__paper__title")
    def summary_paper(self, obj):
        return Truncator(obj.summary.paper.title).chars(60)


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["summary", "cited_key", "paper"]
    list_select_related = ["summary__paper", "summary__author", "paper"]
    search_fields = ["cited_key"]
    autocomplete_fields = ["summary", "paper"]
    show_full_result_count = False


class ReportStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]

    def choices(self, changelist):
        # "Open" is the default view: the queue a moderator works through.
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "open") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(resolved_at__isnull=True)
        if value == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "target",
        "reason",
        "text_start",
        "reporter",
        "times_reported",
        "created",
        "resolution",
    ]
    list_filter = [ReportStatusFilter, "reason"]
    list_select_related = [
        "reporter",
        "summary__paper",
        "summary__author",
        "comment__author",
        "comment__summary__paper",
    ]
    search_fields = ["text", "reporter__username", "summary__paper__bibtex_key"]
    fields = [
        "target",
        "reason",
        "text",
        "reporter",
        "created",
        "content",
        "resolved_at",
        "resolved_by",
        "resolution",
    ]
    readonly_fields = fields
    action_form = ReasonActionForm
    actions = ["hide_content", "dismiss", "ban_author"]
    show_full_result_count = False

    @staticmethod
    def _open_reports_on_same(field):
        """How many open reports name the same summary (or comment) as this report."""
        return Subquery(
            Report.objects.filter(resolved_at__isnull=True, **{field: OuterRef(field)})
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
            .values("n")
        )

    def get_queryset(self, request):
        same = Coalesce(
            self._open_reports_on_same("summary"), self._open_reports_on_same("comment"), 0
        )
        return (
            super()
            .get_queryset(request)
            .annotate(same_target_count=same)
            .order_by("-same_target_count", "-created")
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def lookup_allowed(self, lookup, value, request=None):
        # The user admin links here filtered by whose content was reported, or by whom.
        if lookup in {
            "summary__author__id__exact",
            "comment__author__id__exact",
            "reporter__id__exact",
        }:
            return True
        return super().lookup_allowed(lookup, value, request)

    @staticmethod
    def _content(report):
        return report.summary or report.comment

    @admin.display(description="Reported content")
    def target(self, report):
        content = self._content(report)
        if isinstance(content, Summary):
            label = f"Summary of {content}"
            site_url = content.get_absolute_url()
        else:
            label = str(content)
            site_url = content.summary.paper.get_absolute_url() + f"#comment-{content.pk}"
        return format_html(
            '{} · <a href="{}" target="_blank" rel="noopener">on the site</a>',
            _admin_link(content, label),
            site_url,
        )

    @admin.display(description="Text")
    def text_start(self, report):
        return report.text[:80]

    @admin.display(description="Open reports on it", ordering="same_target_count")
    def times_reported(self, report):
        return report.same_target_count

    @admin.display(description="Content as readers see it")
    def content(self, report):
        content = self._content(report)
        state = content.get_state_display()
        return format_html(
            '<p><strong>{}</strong></p><div class="rendered-preview">{}</div>',
            state,
            mark_safe(content.html),  # sanitized by the rendering pipeline at save time
        )

    @admin.action(
        description="Hide the reported content (reason, or the report's)", permissions=["change"]
    )
    def hide_content(self, request, queryset):
        reason = _reason(request, required=False)
        hidden = 0
        for report in queryset.select_related("summary", "comment"):
            content = self._content(report)
            if content.state == "published":
                moderation.hide(
                    content, moderator=request.user, reason=reason or report.get_reason_display()
                )
                hidden += 1
        self.message_user(request, f"Hid {hidden} item(s); their reports are resolved.")

    @admin.action(description="Dismiss the selected reports", permissions=["change"])
    def dismiss(self, request, queryset):
        reason = _reason(request, required=False)
        for report in queryset.filter(resolved_at__isnull=True):
            moderation.dismiss_report(report, moderator=request.user, reason=reason)
        self.message_user(request, "Reports dismissed.")

    @admin.action(
        description="Ban the author of the reported content (give a reason)", permissions=["ban"]
    )
    def ban_author(self, request, queryset):
        reason = _reason(request)
        if reason is None:
            self.message_user(request, "Type a reason for the ban first.", messages.ERROR)
            return
        authors = {
            self._content(r).author
            for r in queryset.select_related("summary__author", "comment__author")
        } - {None}
        refused = sorted(
            a.username for a in authors if not moderation.may_sanction(request.user, a)
        )
        if refused:
            # Nothing is done: staff are banned only by superusers, and nobody bans themselves.
            self.message_user(
                request,
                f"Not banned: {', '.join(refused)} (only a superuser can ban staff). "
                "Nobody was banned; select the reports again without them.",
                messages.ERROR,
            )
            return
        for author in authors:
            if not author.is_banned:
                moderation.ban(author, moderator=request.user, reason=reason)
        self.message_user(request, f"Banned {len(authors)} author(s).")

    def has_ban_permission(self, request):
        return request.user.has_perm("accounts.ban_user")


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The record of what moderators did: nobody rewrites it, superusers included."""

    list_display = [
        "created",
        "moderator",
        "verb",
        "target_type",
        "target_repr",
        "reason",
        "changed_fields",
    ]
    list_filter = ["verb", "target_type"]
    list_select_related = ["moderator"]
    search_fields = ["target_repr", "reason", "moderator__username"]
    date_hierarchy = "created"
    show_full_result_count = False

    @admin.display(description="Changed")
    def changed_fields(self, action):
        return ", ".join(sorted(action.changes)) if action.changes else ""
