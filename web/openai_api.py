"""OpenAI-compatible chat API: ``POST /v1/chat/completions`` and ``GET /v1/models``.

So that any OpenAI client (the official ``openai`` package, LibreChat, LangChain's
``ChatOpenAI``…) can talk to Kefu by changing its base URL to ``http://HOST:PORT/v1``.

Mapping onto a Kefu turn:

- the **question** is the last message, which must have role ``user``; earlier messages
  are not replayed (Kefu keeps each conversation's history itself, per session);
- the **session** is the ``X-Kefu-Session`` header if sent, else derived stably from the
  conversation: a hash of ``user`` + the first user message, so every request of one chat
  lands in the same Kefu session (two chats by the same user that open with the same words
  share one — send the header to keep them apart);
- ``user`` is Kefu's user id (recommendations, handoff packet);
- ``model`` must be one of ``GET /v1/models`` (``kefu``); sampling parameters
  (temperature, top_p, max_tokens, …) are accepted and ignored, because the grounding check
  decides what is said; ``n`` above 1 and tools are refused.

The response is the OpenAI wire format (``chat.completion``, or ``chat.completion.chunk``
server-sent events ending in ``data: [DONE]``; every reply streams as many short chunks, also one
that needed no generation, and the first is sent as soon as the first checked text is ready) plus a ``kefu`` object with the reply's
extras: ``session_id``, ``turn_id``, ``reply``, ``abstained``, ``sources`` (each with a ``url``:
:mod:`web.source_links`), ``intent``,
``sentiment``, ``recommendations``, ``handoff`` (in the last chunk when streaming). When a
reply's final text differs from what was streamed (an apology prefixed after the fact),
``kefu.reply`` is authoritative. Token counts in ``usage`` are word counts (Kefu's models
use different tokenizers; the numbers are indicative).

Errors use OpenAI's body ``{"error": {"message", "type", "param", "code"}}``: 400 for a
malformed request, 404 for an unknown model, 413 for an over-long message, 429 for rate
limits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from bot.turn import Chat
from bot.validation import SESSION_ID_MAX, valid_id
from web.api import UserId, bad_input_status

log = logging.getLogger("kefu.openai")
MODEL_ID = "kefu"
CREATED = 1735689600  # 2025-01-01, the "created" of the kefu model entry


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: StrictStr
    text: StrictStr | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[ContentPart] | None = None
    name: StrictStr | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: StrictBool = False


class CompletionRequest(BaseModel):
    """The fields Kefu reads; other OpenAI parameters are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: StrictStr
    messages: list[Message] = Field(min_length=1)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    user: UserId | None = None
    n: int | None = Field(None, ge=1)
    tools: list[Any] | None = None


def openai_error(status: int, message: str, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"message": message, "type": kind, "param": param, "code": code}}
    )


def derived_session(user: str | None, first_message: str) -> str:
    """Stable session id for a conversation: ``"oa-" + sha256(user, first user message)[:32]``.

    >>> derived_session("u1", "hi") == derived_session("u1", "hi") != derived_session("u2", "hi")
    True
    """
    digest = hashlib.sha256(f"{user or ''}\x00{first_message.strip()}".encode()).hexdigest()
    return "oa-" + digest[:32]


def words(text: str) -> int:
    return len(text.split())


def kefu_extras(reply, components=None) -> dict:
    """The reply's extras (:func:`web.source_links.api_reply`: Chinese spacing mended, sources with ``url``)."""
    from web.source_links import api_reply

    return api_reply(reply, components)


def model_entry() -> dict:
    return {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "kefu"}


def build_openai_router(service: Chat) -> APIRouter:
    """``/v1/models`` and ``/v1/chat/completions`` over ``service.stream``."""
    router = APIRouter()

    @router.get("/v1/models")
    async def models():
        return {"object": "list", "data": [model_entry()]}

    @router.get("/v1/models/{model_id}")
    async def model(model_id: str):
        if model_id != MODEL_ID:
            return openai_error(404, f"The model '{model_id}' does not exist", "model", "model_not_found")
        return model_entry()

    @router.post("/v1/chat/completions")
    async def completions(request: Request):
        body = parse_request(await request.body())
        if isinstance(body, JSONResponse):
            return body
        header = request.headers.get("x-kefu-session")
        if header is not None and not valid_id(header, SESSION_ID_MAX):
            return openai_error(400, f"X-Kefu-Session must be 1 to {SESSION_ID_MAX} characters.", "X-Kefu-Session")
        first_user = next(m.text() for m in body.messages if m.role == "user")
        session_id = header or derived_session(body.user, first_user)
        client = request.client.host if request.client else None
        events = service.stream(body.messages[-1].text(), session_id=session_id, user_id=body.user, client=client)
        first = await first_event(events)
        if isinstance(first, JSONResponse):
            return first
        completion = Completion(body, getattr(service, "components", None))
        if not body.stream:
            return await run_in_threadpool(completion.whole, first, await run_in_threadpool(list, events))
        return StreamingResponse(
            completion.sse(first, events), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def parse_request(raw: bytes) -> CompletionRequest | JSONResponse:
    """The request body, or the OpenAI-style 400/404 for a malformed or unsupported one."""
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        return openai_error(400, "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        return openai_error(400, "The request body must be a JSON object.")
    try:
        body = CompletionRequest.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        param = ".".join(str(p) for p in err.get("loc", ())) or None
        return openai_error(400, f"Invalid value for '{param}': {err.get('msg', 'invalid')}", param)
    if body.model != MODEL_ID:
        return openai_error(404, f"The model '{body.model}' does not exist; use '{MODEL_ID}'", "model", "model_not_found")
    if (body.n or 1) > 1:
        return openai_error(400, "Kefu returns one choice; 'n' must be 1.", "n")
    if body.tools:
        return openai_error(400, "Kefu does not call client tools; remove 'tools'.", "tools")
    last = body.messages[-1]
    if last.role != "user" or not last.text().strip():
        return openai_error(400, "The last message must be a non-empty 'user' message.", "messages")
    return body


async def first_event(events):
    """The turn's first event, or the 413/422/429 for a refused message (before any byte is sent)."""
    from bot.errors import BadInput

    try:
        return await run_in_threadpool(next, events)
    except BadInput as exc:
        status = bad_input_status(exc)
        code = {413: "context_length_exceeded", 429: "rate_limit_exceeded"}.get(status)
        return openai_error(status, str(exc), "messages" if status != 429 else None, code,
                            "rate_limit_error" if status == 429 else "invalid_request_error")


class Completion:
    """One completion's wire format: the whole ``chat.completion``, or its ``chat.completion.chunk`` events."""

    def __init__(self, body: CompletionRequest, components=None):
        self.components = components  # where the sources' links are read (bot.components.Components)
        self.id = "chatcmpl-" + uuid.uuid4().hex
        self.created = int(time.time())
        self.prompt_tokens = sum(words(m.text()) for m in body.messages)
        self.include_usage = bool(body.stream_options and body.stream_options.include_usage)

    def envelope(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": MODEL_ID, "system_fingerprint": None}

    def usage(self, reply_text: str) -> dict:
        done = words(reply_text)
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": done, "total_tokens": self.prompt_tokens + done}

    def whole(self, first, rest: list) -> dict:
        reply = first[1]
        for kind, value in rest:
            if kind == "final":
                reply = value
        extras = kefu_extras(reply, self.components)
        message = {"role": "assistant", "content": extras["reply"], "refusal": None}
        return self.envelope("chat.completion") | {
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": self.usage(reply.reply),
            "kefu": extras,
        }

    def chunk(self, delta: dict, finish: str | None = None, **extra) -> str:
        obj = self.envelope("chat.completion.chunk") | {
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra,
        }
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    async def sse(self, first, events):
        """Server-sent events ending in ``data: [DONE]``; a failure after the headers is reported in-band."""
        try:
            async for line in self.chunks(first, events):
                yield line
        except Exception:  # noqa: BLE001 - headers are sent: report in-band, as OpenAI does
            log.exception("streamed completion failed")
            yield f"data: {json.dumps({'error': {'message': 'internal error', 'type': 'server_error', 'param': None, 'code': None}})}\n\n"
        yield "data: [DONE]\n\n"

    async def chunks(self, first, events):
        def rest():
            yield first
            yield from events

        from web.source_links import SpacedStream

        text = SpacedStream()  # what is sent: Chinese spacing mended across the pieces' joins
        yield self.chunk({"role": "assistant", "content": ""})
        async for kind, value in iterate_in_threadpool(rest()):
            if kind == "delta" and value:
                piece = text.push(value)
                if piece:
                    yield self.chunk({"content": piece})
            elif kind == "final":
                tail = text.finish(value.reply)
                if tail:
                    yield self.chunk({"content": tail})
                extras = await run_in_threadpool(kefu_extras, value, self.components)
                yield self.chunk({}, "stop", kefu=extras)
                if self.include_usage:
                    obj = self.envelope("chat.completion.chunk") | {"choices": [], "usage": self.usage(value.reply)}
                    yield f"data: {json.dumps(obj)}\n\n"
