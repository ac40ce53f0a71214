"""What the shopper chat shows, as Chatbot messages: shopper text, replies, staff replies, a stored conversation.

Pure functions (no gradio), tested on plain dicts and turns. The chat log renders Markdown,
so everything that came from a person or a model goes through one of two doors first:

- :func:`shopper_text` — the shopper's own words, shown exactly as typed: HTML and Markdown
  are escaped, so ``<img src=x>`` or ``**hi**`` appear as those characters;
- :func:`safe_markdown` — replies (the bot's, a staff member's): a safe subset of Markdown
  (emphasis, lists, code, ``http(s)``/``mailto`` links); raw HTML is escaped and images are
  shown as text, so a reply cannot load anything. ``gr.Chatbot(sanitize_html=True)`` stays on
  behind both.

Only the markup built here (sources, the staff label) is HTML. Marker classes let the page's
CSS style a message: ``kefu-staff`` (a person's bubble) and ``kefu-norate`` (no 👍/👎: queue
notices, staff and system notes).

Every label shown here (sources, the handoff note, the cards' heading, reasons and "Sponsored"
badge, the staff label and notes, error banners) is in the reply's language: the tables live in
:mod:`bot.prompts`; :func:`reply_lang` tells the language of a reply.
"""

from __future__ import annotations

import html
import re

from bot.prompts import (
    CARDS_TITLE,
    EMPTY_MESSAGE_TEXT,
    ERROR_TEXT,
    HANDOFF_MARK,
    HANDOFF_NOTE,
    SOURCES_LABEL,
    SPONSORED_LABEL,
    STAFF_DEFAULT_NAME,
    STAFF_JOINED,
    STAFF_LABEL,
    STAFF_RESOLVED,
    TOO_LONG_TEXT,
    local,
    localise_reason,
)
from bot.turn import HANDED_OFF

NO_RATE = "<span class='kefu-norate'></span>"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_BAD_LINK = re.compile(r"\]\((?!\s*(?:https?://|mailto:))", re.IGNORECASE)
# Chinese is written without spaces between characters: a space between two Han characters (or a Han
# character and CJK punctuation, or before a citation after a CJK full stop) is a leftover of removed
# Markdown ("可在 **签收后 30 天内** 退货" → "可在 签收后 30 天内 退货"). Spaces next to Latin letters
# and digits ("售价 $499.99") are kept.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_CJK_GAP = re.compile(
    f"(?<=[{_HAN}{_CJK_PUNCT}])[ \t]+(?=(?:\\*\\*|__)?[{_HAN}{_CJK_PUNCT}])"
    f"|(?<=[{_HAN}{_CJK_PUNCT}](?:\\*\\*|__))[ \t]+(?=[{_HAN}{_CJK_PUNCT}])"
    f"|(?<=[{_CJK_PUNCT}])[ \t]+(?=\\[\\d+\\])"
)
_SNIPPET_MARK = re.compile(r"\*\*|__|`|^\s*#+\s*|^\s*>\s?", re.MULTILINE)
_SNIPPET_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def shopper_text(text: str) -> str:
    """The shopper's message as literal text in a Markdown chat log.

    >>> shopper_text("<img src=x> **hi**")
    '&lt;img src=x&gt; \\\\*\\\\*hi\\\\*\\\\*'
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def safe_markdown(text: str) -> str:
    """A reply as a safe Markdown subset: no raw HTML, no images, links only to http(s)/mailto.

    >>> safe_markdown("**30 days** <b>x</b> ![p](http://t/x.png) [a](javascript:alert(1)) [b](https://ok)")
    '**30 days** &lt;b&gt;x&lt;/b&gt; !\\\\[p](http://t/x.png) [a]\\\\(javascript:alert(1)) [b](https://ok)'
    """
    text = html.escape(text, quote=False).replace("![", "!\\[")
    return _BAD_LINK.sub("]\\\\(", text)


def cjk_spacing(text: str) -> str:
    """``text`` without the stray spaces between Chinese characters that removed Markdown leaves.

    >>> cjk_spacing("大多数商品可在 签收后 30 天内 退货。 [1]"), cjk_spacing("售价 $499.99，in stock")
    ('大多数商品可在签收后 30 天内退货。[1]', '售价 $499.99，in stock')
    """
    return _CJK_GAP.sub("", text)


def reply_markdown(text: str) -> str:
    """A reply (or the part streamed so far) as the chat shows it: :func:`cjk_spacing`, then :func:`safe_markdown`."""
    return safe_markdown(cjk_spacing(text))


def snippet_text(snippet: str, title: str = "", n: int = 110, lang: str = "en") -> str:
    """A source's snippet as plain text for the sources list: Markdown marks and links removed (the list
    is HTML, where ``**`` would show as such), a leading repeat of the title dropped, Chinese spacing
    mended, a product's catalogue record as its facts (:func:`product_snippet`, labelled in ``lang``),
    cut to ``n`` characters.

    >>> snippet_text("可在 **签收后 30 天内** 退货，见[帮助](/help)")
    '可在签收后 30 天内退货，见帮助'
    >>> snippet_text("Turbo Karts (PS4) by Pixel Harbor Category: Video Games > racing. Price: $19.99.", "Turbo Karts (PS4)")
    'Pixel Harbor · $19.99'
    """
    text = _SNIPPET_MARK.sub("", _SNIPPET_LINK.sub(r"\1", snippet or ""))
    text = cjk_spacing(" ".join(text.split()))
    if title and text.startswith(title) and len(text) > len(title) + 1:
        text = text[len(title):].lstrip(" -—:·")
    return short(product_snippet(text, lang) or text, n)


# A product source's snippet is the catalogue record as indexed (knowledge.catalogue.product_text):
# "<title> by <brand> Category: A > b. Price: $19.99. In stock: 186 units. Rating: 4.1 out of 5. k: v; k: v. <description>".
_PRODUCT_FACTS = re.compile(
    r"^(?:by (?P<brand>.+?)(?<!\.) )?(?=Category:|Price:|In stock:|Out of stock|Rating:)"
    r"(?:Category: (?P<category>[^.]*)\.\s*)?"
    r"(?:Price: (?P<price>\S+(?: \([^)]*\))?)\.\s*)?"
    r"(?:(?:In stock: (?P<stock>\d+) units?|(?P<out>Out of stock))\.\s*)?"
    r"(?:Rating: (?P<rating>[\d.]+) out of 5(?: \([^)]*\))?\.\s*)?"
)
_ATTRIBUTES = re.compile(r"^(?:[\w ./&-]{1,40}: [^;:]*?; )*[\w ./&-]{1,40}: [^;:]*?\.(?:\s+|$)")
_PRODUCT_WORDS = {
    "en": {"stock": "{n} in stock", "out": "out of stock", "rating": "rated {r}/5"},
    "zh": {"stock": "库存 {n} 件", "out": "缺货", "rating": "评分 {r}/5"},
}


def product_snippet(text: str, lang: str = "en") -> str | None:
    """A product record's facts as a short line a shopper reads, or None when ``text`` is not one.

    >>> product_snippet("by Sony Category: Consoles > consoles. Price: $499.99. In stock: 1 units. "
    ...                 "Rating: 4.8 out of 5. platform: PS5; color: white. Sony's current home console.")
    "Sony · $499.99 · 1 in stock · rated 4.8/5 — Sony's current home console."
    >>> product_snippet("Price: ₹399 (list price ₹1,099, 64% off). Out of stock.", "zh")
    '₹399 (list price ₹1,099, 64% off) · 缺货'
    >>> product_snippet("Report it within 7 days of delivery.") is None
    True
    """
    m = _PRODUCT_FACTS.match(text)
    if not m or not any(m.group(k) for k in ("price", "stock", "out", "rating")):
        return None
    words = _PRODUCT_WORDS.get(lang, _PRODUCT_WORDS["en"])
    facts = [m.group("brand"), m.group("price"),
             words["stock"].format(n=m.group("stock")) if m.group("stock") else None,
             words["out"] if m.group("out") else None,
             words["rating"].format(r=m.group("rating")) if m.group("rating") else None]
    rest = _ATTRIBUTES.sub("", text[m.end():], count=1).strip()
    line = " · ".join(f for f in facts if f)
    return f"{line} — {rest}" if rest else line


def short(text: str, n: int) -> str:
    """``text`` cut at a word boundary to at most ``n`` characters, with an ellipsis."""
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def reply_lang(reply: dict) -> str:
    """The language of a reply: its ``lang`` when it carries one, else detected from its text.

    >>> reply_lang({"reply": "退货期限为30天。"}), reply_lang({"reply": "Within 30 days."})
    ('zh', 'en')
    """
    from knowledge.lang import detect_lang

    return reply.get("lang") or detect_lang(reply.get("reply") or "")


def format_reply(reply: dict, lang: str | None = None) -> str:
    """Assistant message: the answer, its numbered sources, and a note when a person was asked to join,
    labelled in ``lang`` (default: the reply's own, :func:`reply_lang`).

    A queue notice (``intent == "handoff"``) carries the no-rating marker."""
    lang = lang or reply_lang(reply)
    text = reply_markdown(reply["reply"])
    if reply.get("sources"):
        items = "".join(
            f"<span class='kefu-source'>[{n}] <b>{html.escape(s['title'])}</b> — "
            f"{html.escape(snippet_text(s.get('snippet', ''), s['title'], lang=lang))}</span>"
            for n, s in enumerate(reply["sources"], start=1)
        )
        text += f"\n\n<div class='kefu-sources'>{html.escape(local(SOURCES_LABEL, lang))}{items}</div>"
    handed = (reply.get("handoff") or {}).get("state") not in (None, "bot")
    if handed and not any(mark in text for mark in HANDOFF_MARK.values()):
        text += f"\n\n*{local(HANDOFF_NOTE, lang)}*"
    if not rateable(reply):
        text += NO_RATE
    return text


def rateable(reply: dict) -> bool:
    """False for a queue notice (the shopper asked for a person, or wrote while waiting): nothing to rate."""
    return reply.get("intent") != "handoff" and reply.get("mode") != "handoff"


def cards_html(recommendations: list[dict], session_id: str | None = None, user_id: str | None = None,
               lang: str = "en") -> str:
    """Recommendation cards (buttons carrying the item id for click tracking), labelled in ``lang``:
    the heading, each reason (:func:`card_reason`) and a "Sponsored" badge."""
    if not recommendations:
        return ""
    attr = html.escape
    badge = f"<span class='kefu-sponsored'>{attr(local(SPONSORED_LABEL, lang))}</span> "
    cards = "".join(
        f"<button type='button' class='kefu-card' data-item='{attr(r['item_id'])}' data-title='{attr(r['title'])}' "
        f"data-session='{attr(session_id or '')}' data-user='{attr(user_id or '')}'>"
        f"<b>{attr(r['title'])}</b><small>{badge if r.get('sponsored') else ''}"
        f"{attr(card_reason(r.get('reason') or '', lang))}</small></button>"
        for r in recommendations
    )
    return f"<div class='kefu-cards-title'>{attr(local(CARDS_TITLE, lang))}</div><div class='kefu-cards'>{cards}</div>"


def card_reason(reason: str, lang: str = "en") -> str:
    """A recommendation's reason as a card shows it: in ``lang`` (:func:`bot.prompts.localise_reason`)
    and, in Chinese, with a space between Han characters and a Latin title (:func:`recommender.reasons.spaced`).

    >>> card_reason("customers who bought Apex Rush (PS4) also bought this", "zh")
    '购买 Apex Rush (PS4) 的顾客也买了它'
    """
    from recommender.reasons import spaced

    text = localise_reason(reason, lang)
    return spaced(text) if lang == "zh" else text


def chat_error(message: str = "", exc: Exception | None = None, limit: int | None = None) -> str:
    """The banner text for a turn that failed, in the language of the shopper's ``message``: the input
    was refused (``exc`` a :class:`bot.errors.BadInput`: empty, or over ``limit`` characters) or,
    with no ``exc`` or another one, something broke on our side.

    >>> chat_error("我的订单在哪里？")
    '抱歉，我们这边出了点问题，请稍后再试。'
    """
    from bot.errors import BadInput
    from knowledge.lang import detect_lang

    lang = detect_lang(message or "")
    if isinstance(exc, BadInput):
        text = (message or "").strip()
        if not text:
            return local(EMPTY_MESSAGE_TEXT, lang)
        if limit is not None and len(text) > limit:
            return local(TOO_LONG_TEXT, lang).format(length=len(text), limit=limit)
        return str(exc)
    return local(ERROR_TEXT, lang)


def staff_message(turn, lang: str | None = None) -> dict | None:
    """A staff reply (a person's bubble, with their name) or a join/resolve note, labelled in ``lang``
    (default: a reply's own language, English for a note); None for bookkeeping turns."""
    from knowledge.lang import detect_lang

    data = turn.data or {}
    if turn.role == "staff":
        lang = lang or detect_lang(turn.text)
        name = str(data.get("staff") or local(STAFF_DEFAULT_NAME, lang))
        who = html.escape(name[:1].upper() + name[1:])
        label = (f"<span class='kefu-staff'><span class='kefu-avatar'>{who[:1].upper()}</span>"
                 f"{local(STAFF_LABEL, lang).format(name=who)}</span>")
        return {"role": "assistant", "content": f"{label}\n\n{safe_markdown(turn.text)}{NO_RATE}"}
    if turn.role == "system" and data.get("event") in ("take", "resolve"):
        table = STAFF_JOINED if data["event"] == "take" else STAFF_RESOLVED
        note = local(table, lang or "en")
        return {"role": "assistant", "content": f"<span class='kefu-note'>*{note}*</span>{NO_RATE}"}
    return None


def conversation_lang(turns) -> str:
    """The language the shopper writes in: that of their latest turn (``"en"`` before any), for the
    labels of staff notes added later (the handoff page's poller)."""
    from knowledge.lang import detect_lang

    for turn in reversed(list(turns)):
        if turn.role == "user":
            return (turn.data or {}).get("lang") or detect_lang(turn.text)
    return "en"


def stored_reply(turn) -> dict:
    """A stored assistant turn as the reply dict :func:`format_reply` reads."""
    data = turn.data or {}
    return {"reply": turn.text, "sources": data.get("sources") or [], "handoff": data.get("handoff") or {},
            "intent": data.get("intent"), "mode": data.get("mode")}


def conversation(turns) -> tuple[list[dict], list, list[int]]:
    """A stored session as the chat page shows it: ``(messages, turn id per message, staff/system ids shown)``.

    A turn id is kept only where the shopper may rate the message (a bot answer, not a queue notice)."""
    from knowledge.lang import detect_lang

    messages, tids, shown = [], [], []
    lang = None  # the shopper's language so far: staff notes follow it
    for turn in turns:
        if turn.role == "user":
            lang = (turn.data or {}).get("lang") or detect_lang(turn.text)
            messages.append({"role": "user", "content": shopper_text(turn.text)})
            tids.append(None)
        elif turn.role == "assistant" and turn.text.strip():
            reply = stored_reply(turn)
            messages.append({"role": "assistant", "content": format_reply(reply)})
            tids.append(turn.id if rateable(reply) else None)
        elif turn.role in ("staff", "system"):
            shown.append(turn.id)
            message = staff_message(turn, lang if turn.role == "system" else None)
            if message:
                messages.append(message)
                tids.append(None)
    return messages, tids, shown


def handed_off(session) -> bool:
    return session is not None and session.handoff_state in HANDED_OFF
