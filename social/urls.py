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
]
