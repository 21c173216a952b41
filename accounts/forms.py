"""Account forms: sign-up, log-in and the profile page."""

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.http import HttpRequest

from accounts.avatars import AvatarError, avatar_from_upload
from accounts.models import (
    EMAIL_TAKEN,
    User,
    is_reserved_username,
    username_validator,
    validate_not_reserved,
)

phone_validator = RegexValidator(
    r"^\+?[0-9]{7,15}$", "Enter 7 to 15 digits, optionally starting with +."
)
LOCKED_OUT = "Too many failed log-in attempts. Wait 15 minutes, then try again."
WRONG_CURRENT_PASSWORD = "That is not your current password."
USERNAME_TAKEN = "That username is taken."


def _helper() -> FormHelper:
    # The templates draw the <form> tag and the button themselves, so the
    # same form works inside a full page and an htmx partial.
    helper = FormHelper()
    helper.form_tag = False
    return helper


def _check_email_free(email: str, user: User | None) -> str:
    """An email address is optional, but given, it is one account's."""
    if email:
        others = User.objects.filter(email__iexact=email)
        if user is not None:
            others = others.exclude(pk=user.pk)
        if others.exists():
            raise ValidationError(EMAIL_TAKEN, code="unique")
    return email


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
        # the model field's "unique" message; the model field refuses the
        # reserved names.

    def clean_email(self) -> str:
        return _check_email_free(self.cleaned_data["email"], None)


class LoginForm(AuthenticationForm):
    """Log-in (A2). A wrong username and a wrong password give one message;
    too many failures (see ``accounts.throttle``) give another."""

    error_messages = {
        "invalid_login": "That username and password do not match an account.",
        "inactive": "That username and password do not match an account.",
        "locked_out": LOCKED_OUT,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self) -> dict[str, Any]:
        # Nobody logs in as Nova's own names, whatever an old row says.
        username = self.cleaned_data.get("username") or ""
        if is_reserved_username(username):
            raise self.get_invalid_login_error()
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(
                    self.error_messages["locked_out"], code="locked_out"
                ) from None
            raise

    @property
    def locked_out(self) -> bool:
        return any(
            isinstance(error, ValidationError) and error.code == "locked_out"
            for error in self.non_field_errors().data
        )


class CurrentPasswordMixin(forms.Form):
    """A form that asks for the current password (A3), checked as a log-in
    is: failures count towards the log-in throttle, so a borrowed session
    cannot guess at the password here either."""

    request: HttpRequest
    user: User
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        checked = authenticate(
            self.request, username=self.user.username, password=password
        )
        if checked is not None and checked.pk == self.user.pk:
            return str(password)
        if getattr(self.request, "axes_locked_out", False):
            raise ValidationError(LOCKED_OUT, code="locked_out")
        raise ValidationError(WRONG_CURRENT_PASSWORD, code="wrong_password")


class UsernameForm(forms.Form):
    """Change the username (A3), under the same rules as sign-up."""

    username = forms.CharField(
        label="Username",
        max_length=32,
        validators=[username_validator, validate_not_reserved],
        help_text="3 to 32 characters: letters, digits, _ - or .",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"username": user.username})
        kwargs.setdefault("auto_id", "username-%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = _helper()

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        # The user may change only the case of their own name.
        taken = User.objects.filter(username__iexact=username).exclude(pk=self.user.pk)
        if taken.exists():
            raise ValidationError(USERNAME_TAKEN, code="unique")
        return username


class ContactForm(CurrentPasswordMixin):
    """Change email and phone (A3); asks for the current password."""

    email = forms.EmailField(label="Email address", required=False, max_length=254)
    phone = forms.CharField(
        label="Phone", required=False, max_length=16, validators=[phone_validator]
    )
    field_order = ["email", "phone", "current_password"]

    def __init__(
        self, request: HttpRequest, user: User, *args: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"email": user.email, "phone": user.phone})
        # One page holds every profile form; their ids must not meet.
        kwargs.setdefault("auto_id", "contact-%s")
        super().__init__(*args, **kwargs)
        self.request, self.user = request, user
        self.helper = _helper()
        self.fields["email"].help_text = "Optional."
        self.fields[
            "phone"
        ].help_text = "Optional. 7 to 15 digits, + first if you like."

    def clean_email(self) -> str:
        return _check_email_free(self.cleaned_data["email"], self.user)


class PasswordForm(CurrentPasswordMixin):
    """Change the password (A4); asks for the current one."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(
        self, request: HttpRequest, user: User, *args: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "password-%s")
        super().__init__(*args, **kwargs)
        self.request, self.user = request, user
        self.helper = _helper()

    def clean_new_password2(self) -> str:
        first = self.cleaned_data.get("new_password1")
        second = str(self.cleaned_data["new_password2"])
        if first and first != second:
            raise ValidationError("The two passwords differ.", code="password_mismatch")
        password_validation.validate_password(second, self.user)
        return second


class AvatarForm(forms.Form):
    """Upload an avatar (A3). The file arrives through
    ``accounts.uploads.AvatarUploadHandler``, which says if it was too
    large to keep; ``clean_avatar`` leaves a safe re-encoded copy."""

    avatar = forms.FileField(
        label="Upload a picture",
        required=False,
        help_text="PNG, JPEG, GIF or WebP; at most 5 MB and 4096x4096 pixels.",
        widget=forms.FileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "avatar-%s")
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.helper = _helper()

    def clean_avatar(self) -> Any:
        upload: UploadedFile | None = self.cleaned_data.get("avatar")
        if self.too_large:
            raise ValidationError("That image is larger than 5 MB.", code="too_large")
        if upload is None:
            raise ValidationError("Choose a picture to upload.", code="required")
        try:
            return avatar_from_upload(upload, upload.size or 0)
        except AvatarError as error:
            raise ValidationError(str(error), code="invalid_image") from None


class DeleteAccountForm(CurrentPasswordMixin):
    """Delete the account (A6); asks for the current password."""

    def __init__(
        self, request: HttpRequest, user: User, *args: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "delete-%s")
        super().__init__(*args, **kwargs)
        self.request, self.user = request, user
        self.helper = _helper()
