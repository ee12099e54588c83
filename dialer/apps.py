from django.apps import AppConfig


class DialerConfig(AppConfig):
    name = "dialer"
    verbose_name = "Dialing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialer import checks  # noqa: F401  (registers the system checks)
        from dialer.outcomes import record_outcome
        from dialer.rule_cache import connect_signals
        from drivers.services import set_outcome_handler

        # Outcomes the drivers of this process hear (any thread) land on the Call rows.
        set_outcome_handler(record_outcome)
        connect_signals()
