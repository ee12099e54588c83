"""The Extension form of the admin: an admin's edit takes the phone over from its source."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Extension

SOURCE_HELP = _(
    "Where this phone came from. An Extension from LDAP, the password file or the SQL table follows its "
    "source at each login; once an admin changes it here, it becomes manual and no source changes it again "
    "(delete it to hand it back to the source at the next login)."
)


class ExtensionForm(forms.ModelForm):
    class Meta:
        model = Extension
        fields = ("number", "channel", "pbx", "caller_id", "account_code", "auto_answer", "enabled")

    def save(self, commit: bool = True) -> Any:
        # The admin decided: from now on this phone is theirs, not the directory's.
        if self.instance.pk and self.has_changed() and self.instance.source != Extension.Source.MANUAL:
            self.instance.source = Extension.Source.MANUAL
        return super().save(commit=commit)
