from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("<id:chat_id>/", views.chat_detail, name="detail"),
    path("<id:chat_id>/send/", views.send_message, name="send"),
    path("with/<id:user_id>/", views.chat_with_user, name="with_user"),
]
