"""Chat forms."""

import unicodedata
import uuid
from typing import Any

from django import forms
from django.conf import settings


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
    # The message this one answers (M5); the template draws the field.
    reply_to = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

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
