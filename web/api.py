"""Kefu's HTTP API (FastAPI): health, chat, recommendations, events, feedback.

Every request body is a pydantic model that forbids unknown keys and does not coerce
types, so a malformed request gets a 4xx with a message (never a 500), and nothing is
stored for it. The routes are thin: all logic lives in :class:`bot.service.ChatService`.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: StrictStr
    session_id: StrictStr | None = Field(None, min_length=1, max_length=64)
    user_id: StrictStr | None = Field(None, min_length=1, max_length=128)


class EventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: StrictStr = Field(min_length=1, max_length=128)
    item_id: StrictStr = Field(min_length=1, max_length=128)
    type: Literal["view", "cart", "purchase"]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: StrictStr = Field(min_length=1, max_length=64)
    turn_id: StrictInt | None = None
    rating: Literal[1, -1]
    comment: StrictStr = Field("", max_length=2000)


def error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"message": message, "type": kind}, "detail": message})


def install_error_handlers(app: FastAPI) -> None:
    """Validation errors as ``{"error": {"message"}}`` 422s; unexpected errors as 500s without a trace."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail), "invalid_request_error" if exc.status_code < 500 else "server_error")


def build_router(service) -> APIRouter:
    from bot.service import BadInput

    router = APIRouter()

    @router.get("/healthz")
    async def healthz():
        if not service.ready:
            return JSONResponse(status_code=503, content={"status": "loading"})
        problems = {}
        if not await run_in_threadpool(service.knowledge.heartbeat):
            problems["vector_store"] = "unreachable"
        if not await run_in_threadpool(service.sessions.healthy):
            problems["database"] = "unreachable"
        if problems:
            return JSONResponse(status_code=503, content={"status": "degraded", **problems})
        return {"status": "ok"}

    @router.post("/api/chat")
    async def chat(body: ChatRequest):
        try:
            reply = await run_in_threadpool(service.turn, body.message, body.session_id, body.user_id)
        except BadInput as exc:
            status = 413 if "too long" in str(exc) else 422
            return error(status, str(exc))
        return reply.to_api()

    @router.get("/api/recommend")
    async def recommend(user_id: str = Query(..., min_length=1, max_length=128), k: int = Query(10, ge=1, le=100)):
        def run():
            from recommender.service import Event

            events = [Event(item_id=i, type=t) for i, t in service.sessions.events(user_id)]
            return service.recommender.recommend(user_id, k, events=events)

        items = await run_in_threadpool(run)
        return {"items": [{"item_id": r.item_id, "title": r.title, "score": round(float(r.score), 4), "reason": r.reason} for r in items]}

    @router.post("/api/events")
    async def events(body: EventRequest):
        if service.recommender.item(body.item_id) is None:
            return error(404, f"unknown item_id {body.item_id!r}")
        await run_in_threadpool(service.sessions.add_event, body.user_id, body.item_id, body.type)
        return {"status": "ok"}

    @router.post("/api/feedback")
    async def feedback(body: FeedbackRequest):
        try:
            fid = await run_in_threadpool(
                service.sessions.add_feedback, body.session_id, body.turn_id, body.rating, body.comment, "shopper"
            )
        except KeyError:
            return error(404, "unknown session_id or turn_id")
        return {"status": "ok", "feedback_id": fid}

    return router
