"""Signals that let apps above ``accounts`` answer for it and act with it.

``accounts`` may not import ``social`` or ``chat`` (dependencies point
chat -> social -> accounts). Yet an avatar change must reach everyone
whose pages show that avatar: friends (``social``) and chat partners
(``chat``); and deleting an account must end its friendships and hand
its groups over in the same transaction. The apps above connect
receivers in their AppConfig.
"""

from django.dispatch import Signal

# Sent with ``user_id``, after commit; each receiver returns an iterable of
# the ids of users whose pages may show that user (their avatar, their
# name). ``accounts.events`` then renders the change once and sends it
# once to each of them.
user_watchers = Signal()

# Sent with ``user=<User>`` by ``do_delete_account`` while the user row
# still exists, inside its transaction, so the receivers' writes commit or
# roll back with it. Receivers run in the order their apps are installed
# (social, then chat); neither relies on the other.
account_deleting = Signal()
