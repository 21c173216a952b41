"""Live events of ``accounts``, sent after commit by ``accounts.actions``."""

from collections.abc import Iterable
from typing import cast

from django.template.loader import render_to_string

from accounts import live
from accounts.models import User
from accounts.signals import user_watchers


def avatar_changed(user_id: int) -> None:
    """Show a user's new avatar in every open tab that shows it: their own,
    their friends' and their chat partners' (A3).

    Every avatar on a page is an ``<img data-avatar-of="id">``; one
    fragment, rendered once, tells nova.js the new address for all of
    them, whatever their size.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    watchers = {user_id}
    for _, user_ids in user_watchers.send(sender=User, user_id=user_id):
        watchers.update(cast(Iterable[int], user_ids))
    html = render_to_string("accounts/_avatar_pushed.html", {"avatar_user": user})
    live.send_html((watcher, html) for watcher in sorted(watchers))
