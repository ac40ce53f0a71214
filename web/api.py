"""Kefu's HTTP API (FastAPI): health, chat, recommendations, events, feedback.

Every request body is a pydantic model that forbids unknown keys and does not coerce
types, so a malformed request gets a 4xx with a message (never a 500), and nothing is
stored for it. The routes are thin: all logic lives in :class:`bot.service.ChatService` and
the collaborators of :class:`bot.components.Components`, which :func:`build_router` receives.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool

from bot.components import Components
from bot.turn import Chat
from bot.validation import ITEM_ID_MAX, SESSION_ID_MAX, USER_ID_MAX
from web.errors import error, install_error_handlers  # noqa: F401 - tests import install_error_handlers from here


SessionId = Annotated[StrictStr, Field(min_length=1, max_length=SESSION_ID_MAX)]
UserId = Annotated[StrictStr, Field(min_length=1, max_length=USER_ID_MAX)]
ItemId = Annotated[StrictStr, Field(min_length=1, max_length=ITEM_ID_MAX)]


class Strict(BaseModel):
    """Unknown keys are refused (a typo fails loudly), and values are not coerced."""

    model_config = ConfigDict(extra="forbid")


class ShopperIds(Strict):
    session_id: SessionId | None = None
    user_id: UserId | None = None


class ChatRequest(ShopperIds):
    message: StrictStr


class EventRequest(Strict):
    user_id: UserId
    item_id: ItemId
    type: Literal["view", "cart", "purchase"]


class FeedbackRequest(Strict):
    session_id: SessionId
    turn_id: StrictInt | None = None
    rating: Literal[1, -1]
    comment: StrictStr = Field("", max_length=2000)


class ClickRequest(ShopperIds):
    item_id: ItemId


class StaffReply(Strict):
    text: StrictStr = Field(min_length=1, max_length=4000)


def bad_input_status(exc: Exception) -> int:
    """413 for oversized messages, 429 for rate limits, else 422."""
    from bot.errors import TooLong
    from bot.guard import RateLimited

    if isinstance(exc, RateLimited):
        return 429
    return 413 if isinstance(exc, TooLong) else 422


def bad_input_response(exc: Exception) -> JSONResponse:
    """The 4xx for a refused message; a 429 carries ``Retry-After`` (seconds)."""
    resp = error(bad_input_status(exc), str(exc))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def build_router(service: Chat, components: Components | None = None) -> APIRouter:
    """All of ``/healthz`` and ``/api/*``: chat turns through ``service``, everything else through
    ``components`` (a ``bot.components.Components``; left out, the service's own)."""
    components = components or service.components
    router = APIRouter()
    router.include_router(health_router(service, components))
    router.include_router(chat_router(service))
    router.include_router(shopper_router(components))
    router.include_router(staff_router(components))
    return router


def health_router(service: Chat, components: Components) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def healthz():
        if not service.ready:
            return JSONResponse(status_code=503, content={"status": "loading"})
        problems = {}
        index = await run_in_threadpool(components.knowledge.status)  # one real query: is the index usable?
        if not index.usable:
            problems["vector_store"] = index.detail
        if not await run_in_threadpool(components.sessions.healthy):
            problems["database"] = "unreachable"
        if problems:
            return JSONResponse(status_code=503, content={"status": "degraded", **problems})
        return {"status": "ok"} if index.records else {"status": "ok", "index": "empty"}

    return router


def chat_router(service: Chat) -> APIRouter:
    from bot.errors import BadInput
    from web.source_links import api_reply

    router = APIRouter()

    @router.post("/api/chat")
    async def chat(body: ChatRequest, request: Request):
        client = request.client.host if request.client else None
        try:
            reply = await run_in_threadpool(service.turn, body.message, body.session_id, body.user_id, client)
        except BadInput as exc:
            return bad_input_response(exc)
        return await run_in_threadpool(api_reply, reply, getattr(service, "components", None))

    return router


def shopper_router(components: Components) -> APIRouter:
    """Recommendations, profile events, feedback, card clicks, and the messages a chat page polls.

    Collaborators are read from ``components`` per request: building the router loads nothing."""
    from bot.recommendation_policy import as_dict, profile_events
    from desk.analytics import record_impressions
    from web.clicks import record_recommendation_click

    router = APIRouter()

    @router.get("/api/recommend")
    async def recommend(user_id: str = Query(..., min_length=1, max_length=USER_ID_MAX), k: int = Query(10, ge=1, le=100)):
        def run():
            events = profile_events(components.sessions, user_id)
            items = [as_dict(r) for r in components.recommender.recommend(user_id, k, events=events)]
            record_impressions(components.sessions, items, None, user_id, "api")  # for the staff's monitoring
            return items

        return {"items": await run_in_threadpool(run)}

    @router.post("/api/events")
    async def events(body: EventRequest):
        if components.recommender.item(body.item_id) is None:
            return error(404, f"unknown item_id {body.item_id!r}")
        await run_in_threadpool(components.sessions.add_event, body.user_id, body.item_id, body.type)
        return {"status": "ok"}

    @router.post("/api/feedback")
    async def feedback(body: FeedbackRequest):
        try:
            fid = await run_in_threadpool(
                components.sessions.add_feedback, body.session_id, body.turn_id, body.rating, body.comment, "shopper"
            )
        except KeyError:
            return error(404, "unknown session_id or turn_id")
        return {"status": "ok", "feedback_id": fid}

    @router.post("/api/recommendations/click")
    async def recommendation_click(body: ClickRequest):
        """A shopper clicked a recommended item: counted for analytics, and a "view" for the profile."""
        stored = await run_in_threadpool(record_recommendation_click, components.sessions, components.recommender,
                                         body.item_id, body.session_id, body.user_id)
        return {"status": "ok"} if stored else error(404, f"unknown item_id {body.item_id!r}")

    @router.get("/api/sessions/{session_id}/messages")
    async def messages(session_id: str, after: int = Query(0, ge=0)):
        """Turns after ``after`` (staff replies, system notes): what a chat client polls while handed off."""
        session = await run_in_threadpool(components.sessions.get_session, session_id)
        if session is None:
            return error(404, "unknown session_id")
        turns = await run_in_threadpool(components.sessions.turns, session_id)
        return {
            "handoff": {"state": session.handoff_state},
            "messages": [
                {"id": t.id, "role": t.role, "text": t.text, "at": t.created_at.isoformat(timespec="seconds")}
                for t in turns
                if t.id > after
            ],
        }

    return router


def staff_router(components: Components) -> APIRouter:
    """The handoff queue for staff (HTTP Basic against KEFU_STAFF_USERS, as the staff console)."""
    from desk.handoff import InvalidTransition
    from web.security import staff_dependency

    router = APIRouter()
    staff = staff_dependency(components.settings)

    @router.get("/api/handoffs")
    async def handoffs(user: str = Depends(staff), all: bool = False):  # noqa: A002
        cases = await run_in_threadpool(components.desk.queue, all)
        return {"handoffs": [c.to_api() for c in cases]}

    @router.get("/api/handoffs/{case_id}")
    async def handoff(case_id: int, user: str = Depends(staff)):
        try:
            return (await run_in_threadpool(components.desk.get, case_id)).to_api()
        except KeyError:
            return error(404, f"no handoff {case_id}")

    async def act(action: str, *args):
        try:
            result = await run_in_threadpool(getattr(components.desk, action), *args)
        except KeyError:
            return error(404, f"no handoff {args[0]}")
        except InvalidTransition as exc:
            return error(409, str(exc))
        except ValueError as exc:
            return error(422, str(exc))
        return result.to_api() if hasattr(result, "to_api") else {"status": "ok", "turn_id": result}

    @router.post("/api/handoffs/{case_id}/take")
    async def take(case_id: int, user: str = Depends(staff)):
        return await act("take", case_id, user)

    @router.post("/api/handoffs/{case_id}/reply")
    async def reply(case_id: int, body: StaffReply, user: str = Depends(staff)):
        return await act("reply", case_id, user, body.text)

    @router.post("/api/handoffs/{case_id}/resolve")
    async def resolve(case_id: int, user: str = Depends(staff)):
        return await act("resolve", case_id, user)

    return router
