"""The shopper chat (Gradio): full page at ``/`` and the compact widget at ``/widget``.

Replies stream phrase by phrase (a generated sentence is shown once it passed the
grounding check; every reply, generated or not, arrives in short phrases, bot/streaming.py), with the sources listed under the answer, 👍/👎 on every answer,
clickable recommendation cards, a few example questions (full page), and an error banner
instead of a stack trace. The user id may come from the page URL (``?user_id=u42``) so a
store can pass its logged-in customer; the client address goes to the service for rate
limiting.

The conversation survives reloads and new tabs: the session id is kept in the browser
(``gr.BrowserState``, i.e. localStorage, one per browser and Kefu origin), and on load the
page rebuilds the chat from the stored turns — answers, staff replies, join/resolve notes and
the handoff state — in-process, so the page needs no API key. A stored session that belongs
to another ``user_id`` than the page's is not restored (a shared computer, another customer).

While a conversation is handed off to a person, a ``gr.Timer`` polls the session's stored
turns every two seconds and shows staff replies as they arrive (it is off otherwise). Staff
replies are their own bubbles with the staff member's name; queue notices, staff and system
notes have no 👍/👎. What is shown is built by ``web/chat_render.py`` (shopper text as
text, replies as safe Markdown).

A click on a recommendation card is recorded (``web.clicks.record_recommendation_click``, as
``POST /api/recommendations/click`` does, through a Gradio server function, so it works under
any mount path) and announced to the embedding
page with ``postMessage({type: "kefu:recommendation", item_id, title})`` so the store can
open its product page.

The widget fills its frame at any size: the page is a 100vh flex column whose chat area
takes the free height (Gradio's ChatInterface does not, gradio#7714). No chat logic lives
here: every turn is ``service.stream``.
"""


import html
import logging

from bot.turn import HANDED_OFF
from web.fonts import FONT_CSS
from web.chat_render import (
    cards_html,
    chat_error,
    conversation,
    conversation_lang,
    format_reply,
    handed_off,
    rateable,
    reply_lang,
    shopper_text,
    staff_message,
)

log = logging.getLogger("kefu.ui")

EXAMPLES = [
    "How long does standard shipping take?",
    "What is your return policy?",
    "Can you recommend a racing game for PS4 under $40?",
    "How do I reset my password?",
]
# Shown instead of EXAMPLES where the browser's language is Chinese (the page's labels follow it too).
EXAMPLES_ZH = [
    "标准配送需要多长时间？",
    "退货政策是什么？",
    "推荐一款适合十岁孩子的赛车游戏",
    "PS5 光驱版多少钱？",
]
POLL_SECONDS = 2.0
# gr.BrowserState encrypts in the browser with a key it sends to the page, so the key protects
# nothing; a fixed one lets every replica and restart read what another stored.
BROWSER_SECRET = "kefu-session-v1"

CSS = FONT_CSS + """
.kefu-banner {background:#fde8e8;color:#8a1c1c;border:1px solid #f5b5b5;border-radius:8px;padding:10px 14px;}
/* secondary text: the body colour, faded, so it stays readable on light and dark themes (the theme's
   "subdued" grey was 1.8:1 on the bubbles) */
.kefu-cards-title {font-size:12px;font-weight:600;color:var(--body-text-color);opacity:.75;margin:2px 2px 6px}
.kefu-cards {display:flex;gap:8px;overflow-x:auto;padding-bottom:2px}
.kefu-card {flex:0 0 170px;display:flex;flex-direction:column;justify-content:flex-start;align-items:stretch;
            text-align:left;border:1px solid var(--border-color-primary);border-radius:10px;padding:8px 10px;
            background:var(--background-fill-secondary);font-size:12.5px;font-weight:400;cursor:pointer;color:inherit;
            font-family:inherit}
.kefu-card:hover {border-color:var(--color-accent);box-shadow:0 1px 4px rgba(0,0,0,.08)}
.kefu-card b {display:block;margin-bottom:3px;font-size:13px;font-weight:600;line-height:1.25}
.kefu-card small {color:var(--body-text-color);opacity:.72;font-size:12px;font-weight:400;line-height:1.3;display:block}
.kefu-card.kefu-clicked {border-color:var(--color-accent)}
.kefu-sponsored {font-size:11px;font-weight:600;color:#b06000;margin-right:4px}
.kefu-sources {font-size:12.5px;line-height:1.4;color:var(--body-text-color);border-top:1px solid var(--border-color-primary);
               margin-top:6px;padding-top:4px}
.kefu-source {display:block;opacity:.8;margin-top:2px}
.kefu-source b {font-weight:600}
footer {display:none !important}
body:not(.kefu-zh) #kefu-examples-zh, body.kefu-zh #kefu-examples-en {display:none !important}
/* a person's reply: its own bubble, a name tag, no rating buttons (see web/chat_render.py) */
.kefu-staff {display:flex;align-items:center;gap:6px;font-size:12px;font-weight:600;color:#0b5f4a}
.kefu-avatar {width:20px;height:20px;border-radius:50%;background:#0b8a6b;color:#fff;display:inline-flex;
              align-items:center;justify-content:center;font-size:11px}
.message:has(.kefu-staff) {background:#e6f4ef !important;border:1px solid #9fd3c1 !important}
.kefu-note {font-size:12.5px;color:var(--body-text-color);opacity:.7}
.message-row:has(.kefu-norate) + .message-buttons {display:none !important}
.message:has(.kefu-note) {background:transparent !important;border:0 !important;box-shadow:none !important}
"""

# The widget: the whole page is one flex column of the frame's height; the chat log
# takes what is left after the header, cards and input row.
COMPACT_CSS = CSS + """
html, body, gradio-app {height:100% !important;min-height:0 !important;margin:0;overflow:hidden}
.gradio-container {padding:0 !important;margin:0 !important;max-width:100% !important;width:100% !important;
                   height:100vh !important;min-height:0 !important}
.gradio-container .main, .gradio-container .wrap, .gradio-container .contain, .gradio-container .column
                   {min-height:0 !important;padding:0 !important;margin:0 !important;max-width:100% !important}
#kefu-widget {height:100vh;gap:6px !important;padding:8px 10px 10px !important;box-sizing:border-box}
#kefu-chat {flex:1 1 0 !important;min-height:100px !important;height:auto !important;overflow:hidden}
#kefu-chat > .wrapper {height:100% !important}
#kefu-head, #kefu-input {flex:0 0 auto}
#kefu-cards {flex:0 0 auto}
#kefu-cards:not(:has(.kefu-card)) {display:none}
#kefu-chat .icon-button-wrapper.top-panel {display:none}
.kefu-head {display:flex;align-items:center;gap:10px;padding:2px 2px 4px}
.kefu-head .dot {width:32px;height:32px;border-radius:50%;background:var(--color-accent);display:flex;
                 align-items:center;justify-content:center;flex:0 0 auto}
.kefu-head .dot svg {width:18px;height:18px;fill:#fff}
.kefu-head b {font-size:15px;display:block;line-height:1.2}
.kefu-head small {font-size:12px;color:var(--body-text-color);opacity:.7}
"""

# The page's own labels in the shopper's browser language (gr.I18n: the browser's locale picks the
# table; replies and their labels follow the language the shopper writes in, web/chat_render.py).
LABELS = {
    "en": {
        "kefu.title": "## 🛍️ Kefu — ask our shop assistant\nAnswers come from our catalogue and policies, with sources.",
        "kefu.hello": "**Hi! How can I help?**\n\nAsk about products, orders, shipping or returns.",
        "kefu.ask": "Ask about products, orders, shipping, returns…",
        "kefu.ask_short": "Ask a question…",
        "kefu.send": "Send",
        "kefu.examples": "Try asking",
        "kefu.head": "Shop assistant",
        "kefu.head_note": "Answers from our catalogue and policies",
    },
    "zh": {
        "kefu.title": "## 🛍️ Kefu — 在线购物助手\n回答来自本店的商品目录和政策文件，并注明来源。",
        "kefu.hello": "**您好！有什么可以帮您？**\n\n可以咨询商品、订单、配送或退货。",
        "kefu.ask": "咨询商品、订单、配送、退货…",
        "kefu.ask_short": "请输入您的问题…",
        "kefu.send": "发送",
        "kefu.examples": "试试这样问",
        "kefu.head": "购物助手",
        "kefu.head_note": "回答来自本店的商品目录和政策",
    },
}
LOCALES = {"en": "en", "zh": "zh", "zh-CN": "zh", "zh-Hans": "zh", "zh-SG": "zh", "zh-TW": "zh", "zh-HK": "zh"}
# The widget's header is HTML (gr.I18n does not reach into it): it follows the browser language here.
HEAD_JS = """
const zh = (navigator.language || '').toLowerCase().startsWith('zh');
const t = zh ? %s : %s;
const b = element.querySelector('.kefu-head b'), s = element.querySelector('.kefu-head small');
if (b) b.textContent = t[0];
if (s) s.textContent = t[1];
""" % tuple(
    repr([LABELS[lang]["kefu.head"], LABELS[lang]["kefu.head_note"]]) for lang in ("zh", "en")
)


def page_i18n():
    """The ``gr.I18n`` of :data:`LABELS`, one table per browser locale of :data:`LOCALES`."""
    import gradio as gr

    return gr.I18n(**{locale: LABELS[lang] for locale, lang in LOCALES.items()})


CHAT_ICON = (
    "<svg viewBox='0 0 24 24' aria-hidden='true'><path d='M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6"
    "a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z'/></svg>"
)

# The example questions in the browser's language: the page is marked ``kefu-zh`` for a Chinese browser.
LANG_JS = """
if ((navigator.language || '').toLowerCase().startsWith('zh')) document.body.classList.add('kefu-zh');
"""
CARDS_JS = LANG_JS + """
element.addEventListener('click', async (event) => {
  const card = event.target.closest('.kefu-card');
  if (!card) return;
  const d = card.dataset;
  card.classList.add('kefu-clicked');
  try { window.parent.postMessage({type: 'kefu:recommendation', item_id: d.item, title: d.title}, '*'); } catch (e) {}
  try { await server.record_click(d.item, d.session || '', d.user || ''); } catch (e) {}
});
"""


def build_shopper_ui(service, components, compact: bool = False):
    """A ``gr.Blocks`` chat: turns go through ``service``; ``components`` (a ``bot.components.Components``)
    supply the session store and the recommender; ``compact`` is the iframe widget."""
    import gradio as gr


    def record_click(item_id, session_id: str = "", user_id: str = "") -> bool:
        """Called from the cards' JavaScript: store one click on a recommendation.

        Gradio hands a server function the page's arguments as one list (``[item, session, user]``)."""
        from web.clicks import record_recommendation_click

        if isinstance(item_id, (list, tuple)):
            item_id, session_id, user_id = (list(item_id) + ["", "", ""])[:3]
        return record_recommendation_click(components.sessions, components.recommender, item_id, session_id, user_id)

    i18n = page_i18n()
    with gr.Blocks(title="Kefu — shop assistant", fill_height=True) as demo:
        session_id = gr.State(None)
        turn_ids = gr.State([])  # turn id per chatbot message index (None for user / staff messages)
        seen = gr.State([])  # staff/system turn ids already shown
        remembered = gr.BrowserState(None, storage_key="kefu-session", secret=BROWSER_SECRET)
        chatbot, cards, banner, box, send = page_layout(compact, components.settings.max_message_chars, record_click,
                                                        i18n)
        timer = gr.Timer(POLL_SECONDS, active=False)
        outputs = [chatbot, session_id, turn_ids, box, cards, banner, timer, remembered]
        demo.load(restorer(components), remembered, [chatbot, session_id, turn_ids, seen, timer, remembered],
                  api_visibility="private", show_progress="hidden")
        respond = responder(service)
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, session_id, turn_ids], outputs, concurrency_limit=None, api_visibility="private")
        timer.tick(poller(components), [session_id, chatbot, turn_ids, seen], [chatbot, turn_ids, seen, timer],
                   api_visibility="private", show_progress="hidden")
        chatbot.like(feedback_handler(components), [session_id, turn_ids], None, api_visibility="private")
        # The chat's clear button starts a new conversation: the next message opens a new session.
        # BrowserState does not write a falsy value, so "forgotten" is stored as a marker restore ignores.
        chatbot.clear(lambda: (None, [], [], {"cleared": True}, gr.Timer(active=False)), None,
                      [session_id, turn_ids, seen, remembered, timer], api_visibility="private")
    demo.kefu_css = COMPACT_CSS if compact else CSS
    demo.i18n_instance = i18n  # what gr.mount_gradio_app(i18n=...) would set; mounting without one keeps it
    return demo


def restorer(components):
    """The page-load handler: the remembered session's conversation, or a fresh chat."""
    import gradio as gr

    from bot.validation import USER_ID_MAX

    def restore(sid, request: gr.Request):
        fresh = [], None, [], [], gr.Timer(active=False), None
        session = components.sessions.get_session(sid) if isinstance(sid, str) and sid else None
        if session is None:
            return fresh
        query = dict(request.query_params) if request else {}
        user_id = (query.get("user_id") or "").strip()[:USER_ID_MAX] or None
        if session.user_id and session.user_id != user_id:
            return fresh
        messages, tids, shown = conversation(components.sessions.turns(sid))
        return messages, sid, tids, shown, gr.Timer(active=handed_off(session)), sid

    return restore


def page_layout(compact: bool, max_chars: int, record_click, i18n=None):
    """The page's parts, inside the current ``gr.Blocks``: (chatbot, cards, banner, box, send); labels from
    ``i18n`` (a ``gr.I18n`` of :data:`LABELS`; English text without one)."""
    import gradio as gr

    def label(key):
        return i18n(key) if i18n is not None else LABELS["en"][key]

    with gr.Column(elem_id="kefu-widget" if compact else "kefu-page", scale=1):
        if compact:
            head = LABELS["en"]
            gr.HTML(
                "<div class='kefu-head'><div class='dot'>" + CHAT_ICON + f"</div><div><b>{head['kefu.head']}</b>"
                f"<small>{head['kefu.head_note']}</small></div></div>",
                elem_id="kefu-head", padding=False, js_on_load=HEAD_JS,
            )
        else:
            gr.Markdown(label("kefu.title"))
        banner = gr.HTML("", visible=False, elem_classes=["kefu-banner"])
        chatbot = gr.Chatbot(
            elem_id="kefu-chat",
            height=None if compact else 520,
            scale=1,
            show_label=False,
            feedback_options=("Like", "Dislike"),
            sanitize_html=True,
            buttons=[] if compact else ["copy"],
            layout="bubble",
            group_consecutive_messages=False,  # a staff reply is its own bubble, not part of the bot's
            placeholder=label("kefu.hello"),
        )
        cards = gr.HTML("", elem_id="kefu-cards", js_on_load=CARDS_JS, server_functions=[record_click], padding=False)
        with gr.Row(elem_id="kefu-input", equal_height=True):
            box = gr.Textbox(
                placeholder=label("kefu.ask_short" if compact else "kefu.ask"), show_label=False, scale=8,
                autofocus=not compact, max_length=max_chars, elem_id="kefu-box",
                container=False,
            )
            send = gr.Button(label("kefu.send"), variant="primary", scale=1, min_width=70, elem_id="kefu-send")
        if not compact:
            gr.Examples(EXAMPLES, inputs=box, label=label("kefu.examples"), elem_id="kefu-examples-en")
            gr.Examples(EXAMPLES_ZH, inputs=box, label=label("kefu.examples"), elem_id="kefu-examples-zh")
    return chatbot, cards, banner, box, send


def responder(service):
    """The send handler: streams the turn into the chat.

    Outputs (chatbot, session, turn ids, box, cards, banner, timer, remembered session id)."""
    import gradio as gr

    from bot.errors import BadInput
    from bot.validation import USER_ID_MAX
    from web.chat_render import reply_markdown

    def respond(message, history, sid, tids, request: gr.Request):
        history = list(history or [])
        tids = list(tids or [])
        query = dict(request.query_params) if request else {}
        user_id = (query.get("user_id") or "").strip()[:USER_ID_MAX] or None
        client = request.client.host if request and request.client else None
        idle, quiet = gr.update(), gr.update(visible=False)
        if not (message or "").strip():
            yield history, sid, tids, "", idle, quiet, idle, idle
            return
        history += [{"role": "user", "content": shopper_text(message)}, {"role": "assistant", "content": "…"}]
        tids += [None, None]
        yield history, sid, tids, "", idle, quiet, idle, idle
        shown = ""
        try:
            for kind, value in service.stream(message, session_id=sid, user_id=user_id, client=client):
                if kind == "delta":
                    shown += value
                    history[-1] = {"role": "assistant", "content": reply_markdown(shown)}
                    yield history, sid, tids, "", idle, quiet, idle, idle
                elif kind == "final":
                    reply = value.to_api() | {"mode": str(value.mode)}
                    sid = reply["session_id"]
                    if reply["reply"].strip():
                        tids[-1] = reply["turn_id"] if rateable(reply) else None
                        history[-1] = {"role": "assistant", "content": format_reply(reply)}
                    else:  # a person has the conversation: the bot stays quiet
                        history, tids = history[:-1], tids[:-1]
                    active = reply["handoff"]["state"] in HANDED_OFF
                    cards = cards_html(reply["recommendations"], sid, user_id, lang=reply_lang(reply))
                    yield history, sid, tids, "", cards, quiet, gr.Timer(active=active), sid
        except BadInput as exc:
            limit = getattr(service.settings, "max_message_chars", None)
            banner = gr.update(value=html.escape(chat_error(message, exc, limit)), visible=True)
            yield history[:-2], sid, tids[:-2], message, idle, banner, idle, idle
        except Exception:  # noqa: BLE001 - the shopper sees a banner, the log gets the trace
            log.exception("chat turn failed")
            banner = gr.update(value=html.escape(chat_error(message)), visible=True)
            yield history[:-1], sid, tids[:-1], message, idle, banner, idle, idle

    return respond


def poller(components):
    """The timer handler while handed off: new staff replies and join/resolve notes."""
    import gradio as gr

    def poll(sid, history, tids, shown_ids):
        if not sid:
            return gr.update(), tids, shown_ids, gr.Timer(active=False)
        sessions = components.sessions
        session = sessions.get_session(sid)
        history, tids, shown_ids = list(history or []), list(tids or []), list(shown_ids or [])
        added = False
        turns = sessions.turns(sid)
        for turn in turns:
            if turn.role in ("staff", "system") and turn.id not in shown_ids:
                shown_ids.append(turn.id)
                message = staff_message(turn, conversation_lang(turns) if turn.role == "system" else None)
                if message:
                    history.append(message)
                    tids.append(None)
                    added = True
        still = handed_off(session)
        return (history if added else gr.update()), tids, shown_ids, gr.Timer(active=still)

    return poll


def feedback_handler(components):
    """👍/👎 on an answer: stored as the shopper's rating of that turn."""
    import gradio as gr

    def on_feedback(sid, tids, data: gr.LikeData):
        index = data.index if isinstance(data.index, int) else data.index[0]
        if not sid or index >= len(tids) or tids[index] is None:
            return
        rating = 1 if data.liked else -1
        try:
            components.sessions.add_feedback(sid, tids[index], rating, by="shopper")
        except KeyError:
            log.warning("feedback for unknown turn %s", tids[index])

    return on_feedback
