from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class SummariesConfig(AppConfig):
    name = "summaries"
    verbose_name = "Summaries"

    def ready(self):
        from .roles import ensure_moderators_group

        # After auth's own handler has created the permissions (apps run in INSTALLED_APPS
        # order and summaries comes last).
        post_migrate.connect(ensure_moderators_group, sender=self)
        self.connect_content_changes()

    def connect_content_changes(self):
        """Saves and deletes of what cards and pages show end the cached ones (requests' writes
        do already; these catch the shell, scripts and commands)."""
        from accounts.models import User
        from papers.models import Author, Authorship, Keyword, Paper, Venue
        from shortscience.pagecache import content_changed_after_commit

        from .models import Comment, Summary

        for model in (Summary, Comment, Paper, Authorship, Author, Venue, Keyword, User):
            post_save.connect(content_changed_after_commit, sender=model)
            post_delete.connect(content_changed_after_commit, sender=model)
        m2m_changed.connect(content_changed_after_commit, sender=Paper.keywords.through)
