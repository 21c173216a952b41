"""Sign-up, log-in, log-out, account deletion and avatar files."""

import mimetypes
from pathlib import Path

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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.actions import do_delete_account, do_log_in, do_log_out, do_register
from accounts.forms import DeleteAccountForm, LoginForm, RegistrationForm
from nova_site.http import AuthedRequest


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
            # Someone took the name between validation and insert.
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
    context = {"form": form, "next": _next_url(request)}
    return TemplateResponse(request, "accounts/login.html", context)


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        do_log_out(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
@login_required
def delete_account(request: AuthedRequest) -> HttpResponse:
    """Ask for the password, then delete the account of whoever is signed
    in (A6). There is no user id to give: nobody can name another."""
    user = request.user
    form = DeleteAccountForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        do_delete_account(user, request)
        messages.success(request, "Your account has been deleted.")
        return redirect(settings.LOGOUT_REDIRECT_URL)
    status = 400 if form.errors else 200
    return TemplateResponse(
        request, "accounts/delete_account.html", {"form": form}, status=status
    )


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
