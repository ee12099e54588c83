from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhonebookConfig(AppConfig):
    name = "phonebook"
    verbose_name = _("Phonebook")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from phonebook import signals  # noqa: F401 (connects the receivers)
