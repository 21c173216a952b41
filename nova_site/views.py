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


async def _layer_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    await asyncio.wait_for(layer.receive(channel), timeout=2)


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
        async_to_sync(_layer_round_trip)()
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
