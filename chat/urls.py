from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("<id:chat_id>/", views.chat_detail, name="detail"),
    path("<id:chat_id>/send/", views.send_message, name="send"),
    path("with/<id:user_id>/", views.chat_with_user, name="with_user"),
    path("<id:chat_id>/search/", views.search, name="search"),
    # A message's permalink: the chat opened at that message.
    path(
        "<id:chat_id>/messages/<id:message_id>/",
        views.message_detail,
        name="message",
    ),
    path(
        "<id:chat_id>/messages/<id:message_id>/actions/",
        views.message_actions,
        name="message_actions",
    ),
    path(
        "<id:chat_id>/messages/<id:message_id>/readers/",
        views.message_readers,
        name="readers",
    ),
    path(
        "<id:chat_id>/messages/<id:message_id>/recall/",
        views.recall_message,
        name="recall",
    ),
    path(
        "<id:chat_id>/messages/<id:message_id>/remove/",
        views.remove_message,
        name="remove",
    ),
    path(
        "<id:chat_id>/messages/<id:message_id>/hide/",
        views.hide_message,
        name="hide",
    ),
    path(
        "<id:chat_id>/messages/<id:message_id>/add-friend/",
        views.add_sender_as_friend,
        name="add_friend",
    ),
]
