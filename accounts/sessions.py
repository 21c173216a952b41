"""A database session engine that records whose each session is.

Set as ``SESSION_ENGINE``. It stores sessions in ``accounts.UserSession``
and fills its ``user`` column from the logged-in user id every time a
session is saved, so a key that ``login`` or a password change rotates
carries the user along by itself.
"""

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

if TYPE_CHECKING:
    from accounts.models import UserSession


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> type:
        from accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> "UserSession":
        session = cast("UserSession", super().create_model_instance(data))
        user_id = str(data.get(SESSION_KEY, ""))
        session.user_id = int(user_id) if user_id.isdigit() else None
        return session
