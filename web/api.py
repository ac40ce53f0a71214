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


class ClickRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: StrictStr = Field(min_length=1, max_length=128)
    session_id: StrictStr | None = Field(None, min_length=1, max_length=64)
    user_id: StrictStr | None = Field(None, min_length=1, max_length=128)


class StaffReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr = Field(min_length=1, max_length=4000)


def staff_guard(settings):
    """A FastAPI dependency: HTTP Basic auth against KEFU_STAFF_USERS; returns the user name."""
    import secrets

    from fastapi import Depends
    from fastapi.security import HTTPBasic, HTTPBasicCredentials

    basic = HTTPBasic(auto_error=False)

    def check(credentials: HTTPBasicCredentials | None = Depends(basic)) -> str:
        users = settings.staff_credentials
        if not users:
            raise HTTPException(403, "staff access is disabled: set KEFU_STAFF_USERS")
        if credentials is None:
            raise HTTPException(401, "staff credentials required", headers={"WWW-Authenticate": "Basic"})
        expected = users.get(credentials.username)
        if expected is None or not secrets.compare_digest(expected.encode(), credentials.password.encode()):
            raise HTTPException(401, "wrong user name or password", headers={"WWW-Authenticate": "Basic"})
        return credentials.username

    return check


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
        resp = error(exc.status_code, str(exc.detail), "invalid_request_error" if exc.status_code < 500 else "server_error")
        for key, value in (exc.headers or {}).items():
            resp.headers[key] = value
        return resp


def bad_input_status(exc: Exception) -> int:
    """413 for oversized messages, 429 for rate limits, else 422."""
    from bot.guard import RateLimited

    if isinstance(exc, RateLimited):
        return 429
    return 413 if "too long" in str(exc) else 422


def bad_input_response(exc: Exception) -> JSONResponse:
    """The 4xx for a refused message; a 429 carries ``Retry-After`` (seconds)."""
    resp = error(bad_input_status(exc), str(exc))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def build_router(service) -> APIRouter:
    from bot.errors import BadInput

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
    async def chat(body: ChatRequest, request: Request):
        client = request.client.host if request.client else None
        try:
            reply = await run_in_threadpool(service.turn, body.message, body.session_id, body.user_id, client)
        except BadInput as exc:
            return bad_input_response(exc)
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

    @router.post("/api/recommendations/click")
    async def recommendation_click(body: ClickRequest):
        """A shopper clicked a recommended item: counted for analytics, and a "view" for the profile."""
        from desk.analytics import record_click

        if service.recommender.item(body.item_id) is None:
            return error(404, f"unknown item_id {body.item_id!r}")
        await run_in_threadpool(record_click, service.sessions, body.item_id, body.session_id, body.user_id)
        if body.user_id:
            await run_in_threadpool(service.sessions.add_event, body.user_id, body.item_id, "view")
        return {"status": "ok"}

    @router.get("/api/sessions/{session_id}/messages")
    async def messages(session_id: str, after: int = Query(0, ge=0)):
        """Turns after ``after`` (staff replies, system notes): what a chat client polls while handed off."""
        session = await run_in_threadpool(service.sessions.get_session, session_id)
        if session is None:
            return error(404, "unknown session_id")
        turns = await run_in_threadpool(service.sessions.turns, session_id)
        return {
            "handoff": {"state": session.handoff_state},
            "messages": [
                {"id": t.id, "role": t.role, "text": t.text, "at": t.created_at.isoformat(timespec="seconds")}
                for t in turns
                if t.id > after
            ],
        }

    # -- staff: the handoff queue ---------------------------------------------------------------
    from fastapi import Depends

    from desk.handoff import InvalidTransition

    staff = staff_guard(service.settings)

    @router.get("/api/handoffs")
    async def handoffs(user: str = Depends(staff), all: bool = False):  # noqa: A002
        cases = await run_in_threadpool(service.desk.queue, all)
        return {"handoffs": [c.to_api() for c in cases]}

    @router.get("/api/handoffs/{case_id}")
    async def handoff(case_id: int, user: str = Depends(staff)):
        try:
            return (await run_in_threadpool(service.desk.get, case_id)).to_api()
        except KeyError:
            return error(404, f"no handoff {case_id}")

    async def act(fn, *args):
        try:
            result = await run_in_threadpool(fn, *args)
        except KeyError:
            return error(404, f"no handoff {args[0]}")
        except InvalidTransition as exc:
            return error(409, str(exc))
        except ValueError as exc:
            return error(422, str(exc))
        return result.to_api() if hasattr(result, "to_api") else {"status": "ok", "turn_id": result}

    @router.post("/api/handoffs/{case_id}/take")
    async def take(case_id: int, user: str = Depends(staff)):
        return await act(service.desk.take, case_id, user)

    @router.post("/api/handoffs/{case_id}/reply")
    async def reply(case_id: int, body: StaffReply, user: str = Depends(staff)):
        return await act(service.desk.reply, case_id, user, body.text)

    @router.post("/api/handoffs/{case_id}/resolve")
    async def resolve(case_id: int, user: str = Depends(staff)):
        return await act(service.desk.resolve, case_id, user)

    return router
