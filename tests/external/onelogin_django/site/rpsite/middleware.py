"""Observation only: writes every request to the library's back-channel-logout view into the log,
with the logout token's header and claims decoded WITHOUT verification (verification is the
library's job, and its verdict is logged by the library itself under govuk_onelogin_django.views).
The library always answers 200, so this log and the session store are how a test sees the outcome.
"""

import base64
import json
import logging

logger = logging.getLogger("rpsite.backchannel")


def _unverified(token: str) -> dict:
    def part(segment: str):
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    try:
        header, claims, _ = token.split(".")
        return {"header": part(header), "claims": part(claims)}
    except Exception as err:  # noqa: BLE001 - report whatever arrived
        return {"undecodable": repr(err), "raw": token[:200]}


def record_back_channel_logout(get_response):
    def middleware(request):
        if not request.path.rstrip("/").endswith("back-channel-logout"):
            return get_response(request)
        content_type = request.META.get("CONTENT_TYPE", "")
        token = request.POST.get("logout_token", "") if request.method == "POST" else ""
        response = get_response(request)
        logger.info(
            "back-channel logout received: %s",
            json.dumps(
                {
                    "method": request.method,
                    "content_type": content_type,
                    "fields": sorted(request.POST.keys()) if request.method == "POST" else [],
                    "token": _unverified(token) if token else None,
                    "status": response.status_code,
                }
            ),
        )
        return response

    return middleware
