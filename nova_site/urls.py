from django.contrib import admin
from django.urls import include, path, re_path, register_converter

from accounts.views import avatar_file
from nova_site import views
from nova_site.converters import IdConverter

register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("friends/", include("social.urls")),
    path("chats/", include("chat.urls")),
    path("admin/", admin.site.urls),
    re_path(
        r"^media/avatars/(?P<name>[A-Za-z0-9_]{8,64}\.(?:png|jpg|webp|gif))$",
        avatar_file,
        name="avatar_file",
    ),
]
