"""Signals that let apps above ``accounts`` react to account changes.

``accounts`` may not import ``social`` or ``chat`` (dependencies point
chat -> social -> accounts), yet deleting an account must end friendships
and hand over groups in the same transaction. The apps above connect
receivers in their AppConfig; the signal is sent synchronously inside the
action's transaction, so their writes commit or roll back with it.
"""

from django.dispatch import Signal

# Sent with ``user=<User>`` by ``do_delete_account`` while the user row
# still exists, inside its transaction. Receivers run in the order their
# apps are installed (social, then chat); neither relies on the other.
account_deleting = Signal()
