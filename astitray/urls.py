from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from astitray.rpc import server

admin.site.site_header = "Astitray administration"
admin.site.site_title = "Astitray"

urlpatterns = [
    path("rpc/", server.view, name="rpc"),
    path(settings.ASTITRAY_ADMIN_PATH, admin.site.urls),
    path("", RedirectView.as_view(url="/" + settings.ASTITRAY_ADMIN_PATH, permanent=False)),
]
