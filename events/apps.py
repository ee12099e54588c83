from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Live events")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialer.signals import call_status_changed
        from events.receivers import CALL_EVENTS_RECEIVER, on_call_status_changed

        # Every outgoing call's new status, from whichever process moved it, reaches its caller.
        call_status_changed.connect(on_call_status_changed, dispatch_uid=CALL_EVENTS_RECEIVER)
