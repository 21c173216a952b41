"""Users of Nova."""

import functools
import re
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.templatetags.static import static

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"

username_validator = RegexValidator(
    USERNAME_PATTERN,
    "Use 3 to 32 characters: letters, digits, underscore, hyphen or dot.",
)

# Names that Nova itself speaks as, or that would pass for its staff:
# system lines, the sender of a deleted account's messages ("Deleted
# user"), the moderators. Compared without case and without the
# separators a username may hold, so "Deleted_User" and "s.y.s.t.e.m"
# are refused too.
RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "administrator",
        "deleteduser",
        "moderator",
        "nova",
        "novaadmin",
        "novasupport",
        "novasystem",
        "novateam",
        "root",
        "support",
        "system",
    }
)


def is_reserved_username(username: str) -> bool:
    return re.sub(r"[_.\-]", "", username).casefold() in RESERVED_USERNAMES


def validate_not_reserved(username: str) -> None:
    if is_reserved_username(username):
        raise ValidationError(
            "That name is reserved for Nova itself; choose another.", code="reserved"
        )


EMAIL_TAKEN = "That email address belongs to another account."


class NovaUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique regardless of case, so logging in is too.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person using Nova.

    Usernames are unique regardless of case (a constraint on ``Lower``), so
    ``Alice`` and ``alice`` can never both exist. The avatar is a file under
    ``MEDIA_ROOT/avatars/`` with a fresh name each time it changes, so it can
    be cached forever by browsers.
    """

    username = models.CharField(
        "username",
        max_length=32,
        unique=True,
        validators=[username_validator, validate_not_reserved],
        help_text="3 to 32 characters: letters, digits, _ - or .",
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField("email address", blank=True)
    phone = models.CharField("phone", max_length=16, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    # Counts changes to what this user's pages show live (chat-list rows,
    # the unread total). Every action that changes them bumps it in its
    # transaction, and every push carries the value read with its data, so
    # a tab never lets an older update replace a newer one.
    live_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects: ClassVar[NovaUserManager] = NovaUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="That username is taken.",
            ),
            # Optional, so many accounts have none; given, it is one
            # account's, whatever its case.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message=EMAIL_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def avatar_url(self) -> str:
        if self.avatar:
            return str(self.avatar.url)
        # Accounts made outside the sign-up form (createsuperuser) have none.
        return default_avatar_url()


@functools.cache
def default_avatar_url() -> str:
    """The avatar of anything without one: a group, a deleted sender.

    Looked up once per process: a live event shows it in up to two places
    per member, and each lookup in the static files' manifest costs more
    than the rest of a chat row (bench/README.md)."""
    return static("nova/default-avatar.png")


@receiver(setting_changed)
def _static_settings_changed(*, setting: str, **kwargs: object) -> None:
    # Only tests change settings while the process runs.
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES"}:
        default_avatar_url.cache_clear()


class UserSession(AbstractBaseSession):
    """A browser session, with the user it logs in (A4).

    Django's own session table does not say whose a session is, so ending
    "every other session" of a user would mean decoding every row. This
    one records the user with each save (see ``accounts.sessions``), and a
    session that logs nobody in has none. Deleting a row ends the session.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sessions",
    )

    class Meta:
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls) -> type:
        from accounts.sessions import SessionStore

        return SessionStore
