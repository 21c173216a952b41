from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("<id:chat_id>/", views.chat_detail, name="detail"),
    path("<id:chat_id>/send/", views.send_message, name="send"),
    path("<id:chat_id>/search/", views.search, name="search"),
    # A message's permalink: the chat opened at that message.
    path(
        "<id:chat_id>/messages/<id:message_id>/",
        views.message_detail,
        name="message",
    ),
]
