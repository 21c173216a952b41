"""Signals that let apps above ``accounts`` answer for it.

``accounts`` may not import ``social`` or ``chat``, yet an avatar change
must reach everyone whose pages show that avatar: friends (``social``)
and chat partners (``chat``). ``accounts`` asks, after commit, and each app
above answers with the ids it knows; ``accounts.events`` then renders
the change once and sends it once to each of them.
"""

from django.dispatch import Signal

# Sent with ``user_id``; each receiver returns an iterable of the ids of
# users whose pages may show that user (their avatar, their name).
user_watchers = Signal()
