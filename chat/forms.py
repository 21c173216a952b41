"""Chat forms."""

import unicodedata
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.db.models.functions import Lower

from accounts.models import User
from social.models import Friendship


class MessageForm(forms.Form):
    """Send a message (M1, M2).

    ``client_token`` is minted when the form is drawn and travels with the
    post, so posting the same form twice is recognised as one message.
    """

    body = forms.CharField(
        label="Message",
        strip=True,
        # The template draws the textarea itself (chat.html#send_form).
        widget=forms.Textarea,
        error_messages={"required": "Write something before sending."},
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"client_token": uuid.uuid4()})
        super().__init__(*args, **kwargs)

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not any(_visible(char) for char in body):
            raise forms.ValidationError("Write something before sending.")
        limit = settings.NOVA_MESSAGE_MAX_LENGTH
        if len(body) > limit:
            raise forms.ValidationError(
                f"A message can be at most {limit:,} characters; "
                f"this one has {len(body):,}."
            )
        return body


# Letters that render as blank space although Unicode calls them letters.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}


def _visible(char: str) -> bool:
    """Whether a character shows: not a space, control, format character
    (zero-width joiners, direction marks) or a blank filler letter."""
    return (
        unicodedata.category(char) not in {"Zs", "Zl", "Zp", "Cc", "Cf"}
        and char not in _BLANK_LETTERS
    )


class GroupNameField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label="Group name",
            max_length=60,
            strip=True,
            error_messages={
                "required": "Give the group a name.",
                "max_length": "A group name can be at most 60 characters.",
            },
            **kwargs,
        )


class GroupForm(forms.Form):
    """Create a group (C3): a name and at least one of your friends."""

    name = GroupNameField()
    friends = forms.ModelMultipleChoiceField(
        label="Friends to add",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={
            "required": "Pick at least one friend.",
            "invalid_choice": "Only your friends can be added.",
            "invalid_pk_value": "Only your friends can be added.",
        },
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        friend_ids = Friendship.objects.filter(user=user).values("friend_id")
        field = self.fields["friends"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(
            pk__in=friend_ids, is_active=True
        ).order_by(Lower("username"))


class RenameForm(forms.Form):
    name = GroupNameField()


class AnnouncementForm(forms.Form):
    body = forms.CharField(
        label="Announcement",
        max_length=2000,
        strip=True,
        widget=forms.Textarea,
        error_messages={
            "required": "Write the announcement first.",
            "max_length": "An announcement can be at most 2,000 characters.",
        },
    )


class InviteForm(forms.Form):
    invitee = forms.IntegerField(
        min_value=1, error_messages={"required": "Pick a friend to invite."}
    )


class LeaveForm(forms.Form):
    # The owner names the member who takes the group over (C7).
    successor = forms.IntegerField(min_value=1, required=False)


class MemberSettingsForm(forms.Form):
    """A member's own settings of a chat (C8)."""

    muted = forms.BooleanField(label="Mute", required=False)
    pinned = forms.BooleanField(label="Pin to the top", required=False)
    nickname = forms.CharField(
        label="Your nickname in this group",
        max_length=32,
        required=False,
        strip=True,
        error_messages={"max_length": "A nickname can be at most 32 characters."},
    )
