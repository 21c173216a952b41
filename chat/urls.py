from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("groups/new/", views.new_group, name="new_group"),
    path("<id:chat_id>/", views.chat_detail, name="detail"),
    path("<id:chat_id>/send/", views.send_message, name="send"),
    path("<id:chat_id>/settings/", views.member_settings, name="settings"),
    path("<id:chat_id>/clear/", views.clear_history, name="clear"),
    path("<id:chat_id>/rename/", views.rename_group, name="rename"),
    path("<id:chat_id>/announce/", views.post_announcement, name="announce"),
    path("<id:chat_id>/invite/", views.invite, name="invite"),
    path("<id:chat_id>/leave/", views.leave_group, name="leave"),
    path("<id:chat_id>/disband/", views.disband_group, name="disband"),
    path(
        "<id:chat_id>/members/<id:user_id>/<slug:change>/",
        views.change_member,
        name="change_member",
    ),
    path(
        "invitations/<id:invitation_id>/<slug:step>/",
        views.invitation_step,
        name="invitation_step",
    ),
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
