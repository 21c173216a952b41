from django.urls import path

from social import views

app_name = "social"

urlpatterns = [
    path("", views.friends, name="friends"),
    path("people/<id:user_id>/", views.user_card, name="user_card"),
    path("requests/", views.send_request, name="send_request"),
    path(
        "requests/from/<id:sender_id>/accept/",
        views.accept_request,
        name="accept_request",
    ),
    path(
        "requests/from/<id:sender_id>/decline/",
        views.decline_request,
        name="decline_request",
    ),
    path(
        "requests/<id:request_id>/cancel/", views.cancel_request, name="cancel_request"
    ),
    path("groups/", views.create_group, name="create_group"),
    path("groups/<id:group_id>/rename/", views.rename_group, name="rename_group"),
    path("groups/<id:group_id>/delete/", views.delete_group, name="delete_group"),
    path("<id:friend_id>/group/", views.move_friend, name="move_friend"),
    path("<id:friend_id>/remark/", views.set_remark, name="set_remark"),
    path("<id:friend_id>/delete/", views.delete_friend, name="delete_friend"),
    path("blocks/<id:user_id>/", views.block_user, name="block_user"),
    path("blocks/<id:user_id>/delete/", views.unblock_user, name="unblock_user"),
]
