from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.log_in, name="login"),
    path("logout/", views.log_out, name="logout"),
    path("logout/everywhere/", views.log_out_everywhere, name="logout_everywhere"),
    path("profile/", views.profile, name="profile"),
    path("profile/username/", views.change_username, name="change_username"),
    path("profile/contact/", views.change_contact, name="change_contact"),
    path("profile/password/", views.change_password, name="change_password"),
    path("profile/avatar/", views.upload_avatar, name="upload_avatar"),
    path(
        "profile/avatar/regenerate/",
        views.regenerate_avatar,
        name="regenerate_avatar",
    ),
    path("profile/delete/", views.delete_account, name="delete_account"),
]
