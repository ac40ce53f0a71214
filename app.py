"""Kefu's web front: FastAPI with the HTTP API and the Gradio pages mounted on it.

``python app.py`` serves on KEFU_HOST:KEFU_PORT (127.0.0.1:7860). Importing this module
starts nothing: :func:`create_app` builds the app, and models start loading in a background
thread as soon as it is called, while the Gradio pages are built and the server starts
(``/healthz`` answers 503 until a turn can be answered, :meth:`bot.service.ChatService.warm`).

Routes: ``/healthz``, ``/api/*`` (see web/api.py), ``/v1/*`` OpenAI-compatible API
(web/openai_api.py), ``/`` shopper chat, ``/widget`` compact chat for iframes, ``/staff``
console (HTTP Basic against KEFU_STAFF_USERS; refused without it). Framing and staff
access rules live in web/security.py.
"""

from __future__ import annotations

import logging
import sys
import threading
from contextlib import asynccontextmanager

log = logging.getLogger("kefu")


def create_app(settings=None, service=None, warm: bool = True, components=None):
    """The ASGI app. ``service`` and ``components`` may be injected (tests); ``warm`` loads the models
    on a background thread, started here.

    One :class:`bot.components.Components` serves the chat service, the routers and the pages
    (by default the injected service's own)."""
    import gradio as gr
    from fastapi import FastAPI

    from bot.components import Components
    from bot.service import ChatService
    from settings import get_settings
    from web.api import build_router
    from web.errors import fallback_router, install_error_handlers
    from web.openai_api import build_openai_router
    from web.security import SecurityMiddleware, gradio_staff_user
    from web.shopper_ui import build_shopper_ui
    from web.staff_ui import build_staff_ui

    if service is not None:
        components = components or service.components
        settings = settings or components.settings
    else:
        settings = settings or (components.settings if components else get_settings())
        components = components or Components(settings)
        service = ChatService(components=components)

    def warm_up():
        try:
            index_if_empty(settings, components)
            service.warm()
            log.info("models loaded; Kefu is ready")
        except Exception:  # noqa: BLE001 - reported by /healthz staying 503
            log.exception("warm-up failed")

    if warm:  # the models load while the pages below are built (seconds of Gradio) and the server starts
        threading.Thread(target=warm_up, name="kefu-warm", daemon=True).start()

    @asynccontextmanager
    async def lifespan(_app):
        import anyio.to_thread

        # Turns run in worker threads; AnyIO's default of 40 would queue the 41st shopper.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 200
        if not warm:
            service.ready = True
        yield

    app = FastAPI(title="Kefu", description="Self-hosted AI shop assistant", lifespan=lifespan)
    app.state.service = service
    install_error_handlers(app)
    app.include_router(build_router(service, components))
    app.include_router(build_openai_router(service))
    app.include_router(fallback_router())  # after every real route, before the pages mounted at /
    app.add_middleware(SecurityMiddleware, settings=settings)

    widget = build_shopper_ui(service, components, compact=True)
    shopper = build_shopper_ui(service, components, compact=False)
    staff = build_staff_ui(service, components)
    app = gr.mount_gradio_app(app, widget, path="/widget", css=widget.kefu_css, footer_links=[], show_error=False)
    app = gr.mount_gradio_app(
        app, staff, path="/staff", css=staff.kefu_css, footer_links=[], show_error=True,
        auth_dependency=gradio_staff_user(settings),
    )
    app = gr.mount_gradio_app(app, shopper, path="/", css=shopper.kefu_css, footer_links=[], show_error=False)
    return app


def index_if_empty(settings, components) -> bool:
    """A first start on an empty index indexes the configured store folder (the catalogue's
    folder, ``KEFU_PRODUCTS_PATH``'s parent: the demo store by default) instead of answering every
    question with "I don't know"; says so in the log. True when it indexed."""
    from pathlib import Path

    store = components.knowledge
    if store.count():
        return False
    folder = Path(settings.products_path).parent
    if not folder.is_dir():
        log.warning("the knowledge index is empty and %s does not exist: index your store with "
                    "`python -m knowledge.ingest PATH`", folder)
        return False
    log.warning("the knowledge index is empty: indexing %s first (for your own files: "
                "`python -m knowledge.ingest PATH`)", folder)
    from knowledge.ingest import ingest

    report = ingest(store, [folder], progress=False)
    log.info("indexed %s: %s", folder, report.summary())
    return True


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python app.py", description="Serve Kefu (chat UI + HTTP API).")
    parser.add_argument("--host", help="listen address (default KEFU_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default KEFU_PORT or 7860)")
    args = parser.parse_args(argv)

    from settings import load_settings_or_exit

    settings = load_settings_or_exit()
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
