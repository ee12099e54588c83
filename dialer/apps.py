from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialerConfig(AppConfig):
    name = "dialer"
    verbose_name = _("Dialing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialer import checks  # noqa: F401  (registers the system checks)
        from dialer.outcomes import OUTCOME_RECEIVER, on_call_outcome
        from dialer.rule_cache import connect_signals
        from drivers.signals import call_outcome

        # Outcomes the drivers of this process hear (any thread) land on the Call rows.
        call_outcome.connect(on_call_outcome, dispatch_uid=OUTCOME_RECEIVER)
        connect_signals()
