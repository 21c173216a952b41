"""Project-level views: the front door and the health check."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:index")
    return redirect("accounts:login")


async def _layer_accepts_a_push() -> None:
    # A push to a group nobody is in: with Redis, a PUBLISH it must answer.
    # (A round trip through a channel of its own would leave a
    # subscription behind on every check with the pub/sub layer.)
    layer = get_channel_layer()
    await asyncio.wait_for(layer.group_send("health", {"type": "health.ping"}), 2)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Check the database and the channel layer (O4); 503 if either fails."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("health check: database failed")
        checks["database"] = "failed"
    try:
        async_to_sync(_layer_accepts_a_push)()
        checks["channel_layer"] = "ok"
    except Exception:
        logger.exception("health check: channel layer failed")
        checks["channel_layer"] = "failed"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form from an expired page: say so plainly, not Django's debug page."""
    logger.info("csrf refused path=%s reason=%s", request.path, reason)
    return render(request, "403_csrf.html", status=403)
