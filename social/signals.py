"""Signals that let apps above ``social`` react to friendships.

``social`` may not import ``chat`` (dependencies point chat -> social ->
accounts), yet a new friendship must open a private chat in the same
transaction. ``chat`` connects a receiver to this signal in its AppConfig;
the signal is sent synchronously inside the action's transaction, so the
receiver's writes commit or roll back with the friendship.
"""

from django.dispatch import Signal

# Sent with ``users=(user_a, user_b)``, inside the transaction that made the
# friendship; ``user_a`` is the one who asked first.
friendship_started = Signal()

# Sent with ``users=(user_a, user_b)``, inside the transaction that ended
# the friendship (S6, or a block, S7), after both Friendship rows are gone.
friendship_ended = Signal()
