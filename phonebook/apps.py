from django.apps import AppConfig


class PhonebookConfig(AppConfig):
    name = "phonebook"
    verbose_name = "Phonebook"
    default_auto_field = "django.db.models.BigAutoField"
