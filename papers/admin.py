from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.text import Truncator

from summaries import moderation
from summaries.models import resolve_waiting_citations

from .models import Author, Authorship, Keyword, Paper, PaperAlias, Venue, touch_papers


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "short_name"]
    search_fields = ["key", "name", "short_name"]
    # A bare host typed without a scheme is read as https (papers.links allows http(s) only).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            moderation.record_admin_change(obj, moderator=request.user, form=form)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    show_full_result_count = False


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    autocomplete_fields = ["author"]
    extra = 0


class PaperAliasInline(admin.TabularInline):
    model = PaperAlias
    extra = 0


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Paper.objects.none(),
        widget=forms.RadioSelect,
        label="Paper to keep (the others become its aliases)",
    )
    reason = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, papers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = papers
        self.fields["keep"].label_from_instance = lambda p: f"{p.bibtex_key}: {p.title}"


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["short_title", "bibtex_key", "venue", "year", "public_summary_count"]
    list_filter = ["source", "entry_type", "year"]
    list_select_related = ["venue"]
    # "=": exact keys and ids; author names find a person's papers.
    search_fields = ["=bibtex_key", "title", "=doi", "=arxiv_id", "authorships__author__name"]
    autocomplete_fields = ["venue", "keywords"]
    readonly_fields = ["public_summary_count", "created", "updated"]
    inlines = [AuthorshipInline, PaperAliasInline]
    actions = ["merge_selected"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            moderation.record_admin_change(obj, moderator=request.user, form=form)

    @admin.display(description="Title", ordering="title")
    def short_title(self, obj):
        return Truncator(obj.title).chars(90)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        paper = form.instance
        touch_papers(Paper.objects.filter(pk=paper.pk))  # its authors or keywords may be new
        Paper.objects.filter(pk=paper.pk).update_search_vectors()
        resolve_waiting_citations(
            keys=[paper.bibtex_key, *paper.aliases.values_list("key", flat=True)]
        )

    @admin.action(description="Merge selected duplicate papers into one", permissions=["change"])
    def merge_selected(self, request, queryset):
        papers = queryset.select_related("venue").order_by("created", "pk")
        if papers.count() < 2:
            self.message_user(request, "Select at least two papers to merge.", messages.ERROR)
            return None
        if "apply" in request.POST:
            form = MergeForm(request.POST, papers=papers)
            if form.is_valid():
                keep = form.cleaned_data["keep"]
                merged = []
                for duplicate in papers.exclude(pk=keep.pk):
                    key = duplicate.bibtex_key
                    try:
                        moderation.merge_papers(
                            keep=keep,
                            duplicate=duplicate,
                            moderator=request.user,
                            reason=form.cleaned_data["reason"],
                        )
                    except moderation.MergeConflict as conflict:
                        self.message_user(request, str(conflict), messages.ERROR)
                    else:
                        merged.append(key)
                if merged:
                    self.message_user(
                        request,
                        f"Merged {', '.join(merged)} into {keep.bibtex_key}; "
                        "those keys redirect to it.",
                    )
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = MergeForm(papers=papers, initial={"keep": papers.first()})
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate papers",
            "papers": papers,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/papers/paper/merge.html", context)


@admin.register(PaperAlias)
class PaperAliasAdmin(admin.ModelAdmin):
    list_display = ["key", "paper", "created"]
    search_fields = ["=key", "paper__bibtex_key", "paper__title"]
    list_select_related = ["paper"]
    autocomplete_fields = ["paper"]
