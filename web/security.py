"""Who may frame which page, and who may open the staff console: one ASGI middleware.

- ``/widget`` may be framed only by the origins in KEFU_ALLOWED_ORIGINS
  (``Content-Security-Policy: frame-ancestors <origins>``, and no ``X-Frame-Options``,
  which cannot express an allow-list); with none configured it refuses every frame.
- Every other page (``/``, ``/staff``, the API) refuses framing outright
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` for old browsers).
- ``/staff`` and everything under it (the Gradio page, its assets, its event stream)
  answers 403 while KEFU_STAFF_USERS is empty, and 401 with an HTTP Basic challenge
  until the browser sends a user and password from it. Basic auth is what the staff
  HTTP API (``/api/handoffs``) already uses, so one login serves both; the trade-off is
  no logout button (the browser forgets the login when it closes) and it must sit
  behind HTTPS outside localhost.
- ``/api/*`` and ``/v1/*`` need ``Authorization: Bearer KEY`` with a key from
  KEFU_API_KEYS when that is set (else 401 in the API's error shape); ``/api/*`` also takes a
  staff login (Basic, as above), so the staff API keeps working. ``/healthz`` stays open for
  load balancers. The shopper page and the widget need no key: their Gradio handlers call the
  chat service in-process, so no key ever reaches a browser; who may frame the widget is the
  ``frame-ancestors`` rule above.

It is plain ASGI rather than ``BaseHTTPMiddleware`` so streamed responses (chat events,
server-sent events) pass through untouched.

Example::

    >>> frame_ancestors(["https://shop.example", "bad origin;"])
    'frame-ancestors https://shop.example'
    >>> frame_ancestors([])
    "frame-ancestors 'none'"
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import secrets

from starlette.requests import Request

log = logging.getLogger("kefu.security")

STAFF_PREFIX = "/staff"
WIDGET_PREFIX = "/widget"
API_PREFIX, OPENAI_PREFIX = "/api", "/v1"
REALM = 'Basic realm="Kefu staff", charset="UTF-8"'
# scheme://host[:port], or a host wildcard such as https://*.example.com
_ORIGIN = re.compile(r"^(https?://)(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


def valid_origins(origins: list[str]) -> list[str]:
    """The origins that are safe to put in a CSP header (others are logged and dropped)."""
    good = []
    for origin in origins:
        origin = origin.rstrip("/")
        if _ORIGIN.match(origin):
            good.append(origin)
        else:
            log.warning("ignoring KEFU_ALLOWED_ORIGINS entry %r: expected scheme://host[:port]", origin)
    return good


def frame_ancestors(origins: list[str]) -> str:
    allowed = valid_origins(origins)
    return "frame-ancestors " + (" ".join(allowed) if allowed else "'none'")


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``"Basic YW5uOnB3"`` → ``("ann", "pw")``; None when absent or malformed."""
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def staff_login(settings, header: str | None) -> tuple[str | None, str]:
    """``(user, "ok")`` when ``header`` carries valid credentials from KEFU_STAFF_USERS, else
    ``(None, why)`` with ``why`` one of ``"disabled"`` (no staff users), ``"missing"``, ``"wrong"``.

    The one check behind the staff console, its HTTP API and the Gradio login.
    """
    users = settings.staff_credentials
    if not users:
        return None, "disabled"
    if not header or header[:6].lower() != "basic ":
        return None, "missing"
    creds = basic_credentials(header)
    expected = users.get(creds[0]) if creds else None
    if expected is None or not secrets.compare_digest(expected.encode(), creds[1].encode()):
        return None, "wrong"
    return creds[0], "ok"


def api_keys(settings) -> list[str]:
    """KEFU_API_KEYS as a list: ``"k1, k2"`` → ``["k1", "k2"]`` (empty: the API is open)."""
    return [k.strip() for k in re.split(r"[,\s]+", settings.api_keys or "") if k.strip()]


def bearer_ok(keys: list[str], header: str | None) -> bool:
    """True when ``header`` is ``Bearer K`` for a ``K`` in ``keys`` (compared in constant time).

    >>> bearer_ok(["k1"], "Bearer k1"), bearer_ok(["k1"], "Bearer k2"), bearer_ok(["k1"], None)
    (True, False, False)
    """
    if not header or header[:7].lower() != "bearer ":
        return False
    given = header[7:].strip().encode()
    return any(secrets.compare_digest(given, key.encode()) for key in keys)


def check_staff(settings, header: str | None) -> str | None:
    """The staff user name if ``header`` carries valid credentials from KEFU_STAFF_USERS."""
    return staff_login(settings, header)[0]


def staff_dependency(settings):
    """A FastAPI dependency for the staff HTTP API: the Basic-auth user name, else a 403 or 401."""
    from fastapi import HTTPException

    messages = {"missing": "staff credentials required", "wrong": "wrong user name or password"}

    def staff(request: Request) -> str:
        user, why = staff_login(settings, request.headers.get("authorization"))
        if why == "disabled":
            raise HTTPException(403, "staff access is disabled: set KEFU_STAFF_USERS")
        if user is None:
            raise HTTPException(401, messages[why], headers={"WWW-Authenticate": "Basic"})
        return user

    return staff


def gradio_staff_user(settings):
    """A Gradio ``auth_dependency``: the Basic-auth user of a request (so ``gr.Request.username`` works)."""

    def dependency(request) -> str | None:
        return check_staff(settings, request.headers.get("authorization"))

    return dependency


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class SecurityMiddleware:
    """ASGI middleware: staff gate + framing headers (see the module docstring)."""

    def __init__(self, app, settings):
        self.app = app
        self.settings = settings
        self.widget_csp = frame_ancestors(settings.allowed_origin_list).encode()
        self.keys = api_keys(settings)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if _under(path, STAFF_PREFIX):
            refusal = self._staff_refusal(_header(scope, b"authorization"))
            if refusal is not None:
                if scope["type"] == "websocket":
                    return await send({"type": "websocket.close", "code": 1008})
                return await self._respond(send, *refusal)
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        if self.keys and (_under(path, API_PREFIX) or _under(path, OPENAI_PREFIX)):
            refusal = self._key_refusal(path, _header(scope, b"authorization"))
            if refusal is not None:
                return await self._respond_json(scope, receive, send, refusal)
        widget = _under(path, WIDGET_PREFIX)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-frame-options"
                ]
                if widget:
                    headers.append((b"content-security-policy", self.widget_csp))
                else:
                    headers.append((b"content-security-policy", b"frame-ancestors 'none'"))
                    headers.append((b"x-frame-options", b"DENY"))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _key_refusal(self, path: str, authorization: str | None) -> str | None:
        if bearer_ok(self.keys, authorization):
            return None
        if _under(path, API_PREFIX) and staff_login(self.settings, authorization)[0] is not None:
            return None
        if authorization and authorization[:7].lower() == "bearer ":
            return "Invalid API key."
        return "An API key is required: send Authorization: Bearer KEY (one of KEFU_API_KEYS)."

    @staticmethod
    async def _respond_json(scope, receive, send, message: str) -> None:
        from web.errors import error

        response = error(401, message, path=scope.get("path", ""), headers={"WWW-Authenticate": 'Bearer realm="Kefu API"'})
        await response(scope, receive, send)

    def _staff_refusal(self, authorization: str | None) -> tuple[int, str, list] | None:
        user, why = staff_login(self.settings, authorization)
        if why == "disabled":
            return 403, "The staff console is disabled. Set KEFU_STAFF_USERS=user:password to enable it.", []
        if user is None:
            message = "Staff login required." if authorization is None else "Wrong user name or password."
            return 401, message, [(b"www-authenticate", REALM.encode())]
        return None

    @staticmethod
    async def _respond(send, status: int, message: str, extra: list) -> None:
        body = message.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"content-security-policy", b"frame-ancestors 'none'"),
            (b"x-frame-options", b"DENY"),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
