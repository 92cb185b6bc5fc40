from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.db.models.signals import pre_save

        from shortscience.text import clean_text_fields

        # Every model of the project's apps, not only accounts' (this app loads first).
        pre_save.connect(clean_text_fields, dispatch_uid="strip-control-characters")
