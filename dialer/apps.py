from django.apps import AppConfig


class DialerConfig(AppConfig):
    name = "dialer"
    verbose_name = "Dialing"
    default_auto_field = "django.db.models.BigAutoField"
