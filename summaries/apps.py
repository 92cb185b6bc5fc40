from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SummariesConfig(AppConfig):
    name = "summaries"
    verbose_name = "Summaries"

    def ready(self):
        from .roles import ensure_moderators_group

        # After auth's own handler has created the permissions (apps run in INSTALLED_APPS
        # order and summaries comes last).
        post_migrate.connect(ensure_moderators_group, sender=self)

        from papers import search
        from papers.signals import papers_arrived

        from .models import Summary, resolve_waiting_citations

        search.index_summaries_from(lambda: Summary.objects.public())
        papers_arrived.connect(
            lambda sender, keys, **kwargs: resolve_waiting_citations(keys=keys), weak=False
        )
