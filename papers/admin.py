from django.contrib import admin

from .models import Author, Authorship, Keyword, Paper, PaperAlias, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "short_name"]
    search_fields = ["key", "name", "short_name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


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


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["bibtex_key", "title", "venue", "year", "public_summary_count", "source"]
    list_filter = ["source", "entry_type", "year"]
    list_select_related = ["venue"]
    search_fields = ["bibtex_key", "title", "doi", "arxiv_id"]
    autocomplete_fields = ["venue", "keywords"]
    readonly_fields = ["public_summary_count", "created", "updated"]
    inlines = [AuthorshipInline, PaperAliasInline]
    show_full_result_count = False


@admin.register(PaperAlias)
class PaperAliasAdmin(admin.ModelAdmin):
    list_display = ["key", "paper", "created"]
    search_fields = ["key", "paper__bibtex_key", "paper__title"]
    list_select_related = ["paper"]
    autocomplete_fields = ["paper"]
