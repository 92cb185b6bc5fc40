from django.contrib import admin

from .models import Citation, Comment, Report, Revision, Summary, Vote


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
class SummaryAdmin(admin.ModelAdmin):
    list_display = ["paper", "author", "state", "is_private", "is_anonymous", "score", "edited"]
    list_filter = ["state", "is_private", "is_anonymous"]
    list_select_related = ["paper", "author"]
    search_fields = ["paper__bibtex_key", "paper__title", "author__username"]
    autocomplete_fields = ["paper", "author"]
    readonly_fields = ["score", "hotness", "comment_count", "html_version"]
    date_hierarchy = "created"
    inlines = [RevisionInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "source" in form.changed_data or not change:
            # No silent rewrites: an edit in the admin is a revision in the moderator's name.
            obj.record_revision(request.user, note="Edited in the admin")


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["summary", "editor", "created", "note"]
    list_select_related = ["summary__paper", "editor"]
    search_fields = ["summary__paper__bibtex_key", "editor__username"]
    autocomplete_fields = ["summary", "editor"]
    readonly_fields = ["summary", "editor", "created", "source"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["summary", "user", "value", "created"]
    list_select_related = ["summary__paper", "user"]
    search_fields = ["user__username", "summary__paper__bibtex_key"]
    autocomplete_fields = ["summary", "user"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["summary", "author", "state", "created", "deleted_at"]
    list_filter = ["state"]
    list_select_related = ["summary__paper", "author"]
    search_fields = ["source", "author__username"]
    autocomplete_fields = ["summary", "author"]


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["summary", "cited_key", "paper"]
    list_select_related = ["summary__paper", "paper"]
    search_fields = ["cited_key"]
    autocomplete_fields = ["summary", "paper"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reporter", "reason", "created", "resolved_at"]
    list_filter = ["reason"]
    list_select_related = ["reporter"]
    autocomplete_fields = ["summary", "comment", "reporter"]
