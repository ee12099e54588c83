from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from astitray.rpc import server
from dialer.views import caller_id_name

admin.site.site_header = _("Astitray administration")
admin.site.site_title = "Astitray"

urlpatterns = [
    path("rpc/", server.view, name="rpc"),
    path("me/", include("web.urls")),
    # With or without the slash: a dialplan's CURL() does not follow redirects.
    re_path(r"^cid/?$", caller_id_name, name="cid"),
    path(settings.ASTITRAY_ADMIN_PATH, admin.site.urls),
]
if settings.ASTITRAY_ADMIN_PATH == "admin/":
    # A convenience for a fresh install. An admin moved elsewhere (ASTITRAY_ADMIN_PATH) is not
    # announced to whoever asks for "/": the site's root then answers 404.
    urlpatterns.append(path("", RedirectView.as_view(url="/admin/", permanent=False)))
