"""Account forms: sign-up and log-in."""

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.validators import RegexValidator

from accounts.models import User

phone_validator = RegexValidator(
    r"^\+?[0-9]{7,15}$", "Enter 7 to 15 digits, optionally starting with +."
)


def _helper() -> FormHelper:
    # The templates draw the <form> tag and the button themselves, so the
    # same form works inside a full page and an htmx partial.
    helper = FormHelper()
    helper.form_tag = False
    return helper


class RegistrationForm(UserCreationForm):
    """Sign-up (A1): username, password twice, optional email and phone."""

    phone = forms.CharField(required=False, max_length=16, validators=[phone_validator])

    class Meta:
        model = User
        fields = ("username", "email", "phone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.fields["username"].widget.attrs.update(autocomplete="username")
        self.fields["email"].help_text = "Optional."
        self.fields["phone"].help_text = "Optional."
        # UserCreationForm refuses a name taken in another case itself, with
        # the model field's "unique" message.


class LoginForm(AuthenticationForm):
    """Log-in (A2). A wrong username and a wrong password give one message."""

    error_messages = {
        "invalid_login": "That username and password do not match an account.",
        "inactive": "That username and password do not match an account.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DeleteAccountForm(forms.Form):
    """Account deletion (A6): the current password, to be sure it is them."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = _helper()

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That is not your password. Your account was not deleted.",
                code="password_incorrect",
            )
        return password
