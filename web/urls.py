from django.urls import path

from web import rpc, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("rpc/", rpc.server.view, name="rpc"),
    path("call/", views.call_link, name="call"),
    path("tokens/", views.token_page, name="tokens"),
]
