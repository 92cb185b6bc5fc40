from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers"

    def ready(self):
        from .venues import ensure_common_venues

        post_migrate.connect(ensure_common_venues, sender=self)
