"""Sign-up, log-in, log-out, the profile page and avatar files."""

import logging
import mimetypes
from pathlib import Path

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.actions import (
    do_change_contact,
    do_change_password,
    do_change_username,
    do_delete_account,
    do_log_in,
    do_log_out,
    do_log_out_everywhere,
    do_regenerate_avatar,
    do_register,
    do_set_avatar,
)
from accounts.forms import (
    AvatarForm,
    ContactForm,
    DeleteAccountForm,
    LoginForm,
    PasswordForm,
    RegistrationForm,
    UsernameForm,
)
from accounts.models import User
from accounts.uploads import AvatarUploadHandler
from nova_site.http import AuthedRequest

logger = logging.getLogger(__name__)

PROFILE = "accounts/profile.html"


def _next_url(request: HttpRequest) -> str:
    """The page to land on after logging in: ``next`` if it stays on this
    site, else the chat page.

    Both are URLs, never view names: the login form carries this value in
    a hidden field, and a ``next`` such as "home" must not be reversed.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_register(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
            )
        except IntegrityError:
            # Someone took the name or the email between validation and
            # insert; checking again says which.
            form = RegistrationForm(request.POST)
            if form.is_valid():
                form.add_error("username", "That username is taken.")
        else:
            return redirect(settings.LOGIN_REDIRECT_URL)
    return TemplateResponse(request, "accounts/register.html", {"form": form})


@require_http_methods(["GET", "POST"])
def log_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_log_in(request, form.get_user())
        return HttpResponseRedirect(_next_url(request))
    status = 200
    if request.method == "POST" and form.locked_out:
        # Never what was typed: a password typed into the name field
        # must not reach the log.
        typed = str(request.POST.get("username", ""))[:32]
        account = User.objects.filter(username__iexact=typed).first()
        logger.warning(
            "log-in refused: too many failures user=%s address=%s",
            account.pk if account else "-",
            get_client_ip_address(request),
        )
        status = 429
    context = {"form": form, "next": _next_url(request)}
    return TemplateResponse(request, "accounts/login.html", context, status=status)


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        do_log_out(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
@login_required
def log_out_everywhere(request: AuthedRequest) -> HttpResponse:
    user = request.user
    do_log_out_everywhere(request, user)
    messages.info(request, "You have been logged out everywhere.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


# The profile page (A3, A4). Each form posts to its own view and only ever
# changes the signed-in user: no form or URL names a user.


def _profile_page(
    request: AuthedRequest, status: int = 200, **forms: object
) -> TemplateResponse:
    user = request.user
    context = {
        "username_form": UsernameForm(user),
        "contact_form": ContactForm(request, user),
        "password_form": PasswordForm(request, user),
        "avatar_form": AvatarForm(),
        "delete_form": DeleteAccountForm(request, user),
        **forms,
    }
    return TemplateResponse(request, PROFILE, context, status=status)


@require_GET
@login_required
def profile(request: AuthedRequest) -> TemplateResponse:
    return _profile_page(request)


@require_POST
@login_required
def change_username(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = UsernameForm(user, request.POST)
    if form.is_valid():
        try:
            do_change_username(user, form.cleaned_data["username"])
        except IntegrityError:
            form.add_error("username", "That username is taken.")
        else:
            messages.success(request, "Your username is changed.")
            return redirect("accounts:profile")
    return _profile_page(request, status=400, username_form=form)


@require_POST
@login_required
def change_contact(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ContactForm(request, user, request.POST)
    if form.is_valid():
        try:
            do_change_contact(
                user, email=form.cleaned_data["email"], phone=form.cleaned_data["phone"]
            )
        except IntegrityError:
            form.add_error("email", "That email address belongs to another account.")
        else:
            messages.success(request, "Your email and phone are saved.")
            return redirect("accounts:profile")
    return _profile_page(request, status=400, contact_form=form)


@require_POST
@login_required
def change_password(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = PasswordForm(request, user, request.POST)
    if not form.is_valid():
        return _profile_page(request, status=400, password_form=form)

    do_change_password(request, user, form.cleaned_data["new_password1"])

    # A redirect to a whole page, never a partial: this tab's socket
    # belongs to the session key that was just replaced.
    messages.success(
        request, "Your password is changed. Every other session is logged out."
    )
    return redirect("accounts:profile")


def _avatar_answer(
    request: AuthedRequest, form: AvatarForm | None = None
) -> HttpResponse:
    """The avatar section for htmx (the live push updates every other
    picture), the profile page otherwise."""
    if form is not None and form.errors:
        if request.htmx:
            context = {"avatar_form": form}
            return TemplateResponse(request, f"{PROFILE}#avatar", context, status=422)
        return _profile_page(request, status=400, avatar_form=form)
    if request.htmx:
        context = {"avatar_form": AvatarForm()}
        return TemplateResponse(request, f"{PROFILE}#avatar", context)
    return redirect("accounts:profile")


@csrf_exempt
@require_POST
@login_required
def upload_avatar(request: AuthedRequest) -> HttpResponse:
    # The handler must be in place before anything reads the body, the
    # CSRF check included; so the check runs inside, after it.
    handler = AvatarUploadHandler(request)
    request.upload_handlers = [handler]
    return _upload_avatar(request, handler)


@csrf_protect
def _upload_avatar(
    request: AuthedRequest, handler: AvatarUploadHandler
) -> HttpResponse:
    user = request.user
    form = AvatarForm(request.POST, request.FILES, too_large=handler.too_large)
    if not form.is_valid():
        return _avatar_answer(request, form)

    do_set_avatar(user, form.cleaned_data["avatar"])

    messages.success(request, "Your new picture is saved.")
    return _avatar_answer(request)


@require_POST
@login_required
def regenerate_avatar(request: AuthedRequest) -> HttpResponse:
    user = request.user
    do_regenerate_avatar(user)
    messages.success(request, "Here is a new random picture.")
    return _avatar_answer(request)


@require_POST
@login_required
def delete_account(request: AuthedRequest) -> HttpResponse:
    """Delete the signed-in user's account once the password is right (A6).
    A wrong one changes nothing and says so on the profile page."""
    user = request.user
    form = DeleteAccountForm(request, user, request.POST)
    if not form.is_valid():
        return _profile_page(request, status=400, delete_form=form)

    do_delete_account(user, request)

    messages.success(request, "Your account has been deleted.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_GET
@login_required
def avatar_file(request: HttpRequest, name: str) -> FileResponse:
    """Serve an avatar from MEDIA_ROOT/avatars.

    Avatar names are fresh random tokens, so a response never goes stale
    and may be cached for a year. The URL pattern admits only such names,
    which keeps path traversal out.
    """
    path = Path(settings.MEDIA_ROOT) / "avatars" / name
    if not path.is_file():
        raise Http404("No such avatar.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
