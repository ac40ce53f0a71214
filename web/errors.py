"""One error body for every 4xx/5xx of ``/healthz``, ``/api/*`` and ``/v1/*``: ``{"error": {"message", "type"}}``.

Under ``/v1`` the body also carries OpenAI's ``param`` and ``code`` (null unless known), so
OpenAI clients parse it; ``/api`` bodies keep ``detail`` (the message again) for clients
written against FastAPI's default. The handlers cover what FastAPI would otherwise answer in
its own shape: a body that is not JSON or not UTF-8 (400), a wrong method (405 with
``Allow``), an unknown path under ``/api`` or ``/v1`` (404), and any unexpected exception
(500, no trace).

Unknown paths and wrong methods need a route of their own: the Gradio shopper page is
mounted at ``/``, so without :func:`fallback_router` every miss under ``/api`` would go to
Gradio and come back as its bare 404.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

OPENAI_PREFIX = "/v1"
KINDS = {401: "authentication_error"}  # everything else keeps invalid_request_error, as before
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def error_body(message: str, kind: str, path: str = "") -> dict:
    """``{"error": {"message", "type"}}``, plus OpenAI's ``param``/``code`` under ``/v1`` or FastAPI's ``detail`` elsewhere.

    >>> error_body("no", "invalid_request_error")
    {'error': {'message': 'no', 'type': 'invalid_request_error'}, 'detail': 'no'}
    >>> error_body("no", "invalid_request_error", "/v1/models")["error"]["code"] is None
    True
    """
    if path == OPENAI_PREFIX or path.startswith(OPENAI_PREFIX + "/"):
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return {"error": {"message": message, "type": kind}, "detail": message}


def kind_for(status: int) -> str:
    return KINDS.get(status, "server_error" if status >= 500 else "invalid_request_error")


def error(status: int, message: str, kind: str | None = None, path: str = "", headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(message, kind or kind_for(status), path), headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """400 for a body that is not JSON at all, else 422 with up to five ``where: what`` parts."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "The request body is not valid JSON."
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return 422, "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Validation errors, HTTP errors (FastAPI's and Starlette's) and unexpected exceptions in the one shape."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        status, message = _validation_message(exc)
        return error(status, message, path=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:  # FastAPI's words for undecodable bytes
            message = "The request body could not be read: send UTF-8 JSON."
        return error(exc.status_code, message, path=request.url.path, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # Starlette re-raises it after, so it is still logged
        return error(500, "internal error", path=request.url.path)


def _leaf_routes(routes):
    """Every route, with included routers opened up (FastAPI wraps them; Kefu includes them without a prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def allowed_methods(app, scope) -> list[str]:
    """The methods of the routes whose path matches ``scope``'s but not its method (``[]``: no such path)."""
    allowed: set[str] = set()
    for route in _leaf_routes(app.routes):
        methods = getattr(route, "methods", None)
        if not methods or getattr(route, "endpoint", None) is _miss:
            continue
        if route.matches(scope)[0] in (Match.PARTIAL, Match.FULL):
            allowed |= methods
    return sorted(allowed)


async def _miss(request: Request):
    allowed = allowed_methods(request.app, request.scope)
    path = request.url.path
    if allowed:
        return error(405, f"{request.method} is not allowed on {path}; use {', '.join(allowed)}", path=path,
                     headers={"Allow": ", ".join(allowed)})
    return error(404, f"no route {path}", path=path)


def fallback_router() -> APIRouter:
    """The last routes of ``/healthz``, ``/api`` and ``/v1``: 405 with ``Allow`` for a known path with another
    method, else 404; included after every real route and before Gradio's ``/``."""
    router = APIRouter()
    router.add_api_route("/healthz", _miss, methods=[m for m in METHODS if m not in ("GET", "HEAD")],
                         include_in_schema=False)
    for prefix in ("/api", OPENAI_PREFIX):
        router.add_api_route(prefix + "/{rest:path}", _miss, methods=METHODS, include_in_schema=False)
    return router
