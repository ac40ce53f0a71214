"""Issue 12: every label the shopper sees is in the reply's language (zh and en), from the tables in bot/prompts.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import prompts
from bot.errors import BadInput, TooLong
from web.chat_render import (cards_html, chat_error, conversation, conversation_lang, format_reply, reply_lang,
                              staff_message)

SOURCES = [{"id": "returns", "title": "退货政策", "snippet": "收到商品30天内可退货。", "score": 0.9}]


def test_every_label_table_has_english_and_chinese():
    tables = [v for k, v in vars(prompts).items() if k.isupper() and isinstance(v, dict) and "en" in v]
    assert len(tables) >= 15
    for table in tables:
        assert set(table) >= {"en", "zh"}
    assert set(prompts.REASON_TEXT["zh"]) == set(prompts.REASON_TEXT["en"]) == set(prompts.REASON_GROUP)


def test_chinese_reply_has_chinese_sources_label():
    html = format_reply({"reply": "收到商品30天内可以退货。[1]", "sources": SOURCES, "intent": "return_policy"})
    assert "参考来源：" in html and "Sources:" not in html


def test_english_reply_keeps_english_sources_label():
    html = format_reply({"reply": "Within 30 days. [1]", "sources": SOURCES, "intent": "return_policy"})
    assert "Sources:" in html and "参考来源" not in html


def test_explicit_lang_wins_over_detection():
    assert "参考来源：" in format_reply({"reply": "PS5 [1]", "sources": SOURCES}, lang="zh")
    assert reply_lang({"reply": "PS5", "lang": "zh"}) == "zh"


def test_handoff_note_in_the_reply_language_and_not_repeated():
    handed = {"state": "waiting_for_human"}
    zh = format_reply({"reply": "好的。", "handoff": handed, "intent": "x"})
    assert "已请人工客服加入本次对话" in zh and "support team" not in zh
    en = format_reply({"reply": "Sure.", "handoff": handed, "intent": "x"})
    assert "support team has been asked" in en
    queued = format_reply({"reply": prompts.HANDOFF_TEXT["zh"].format(position=1), "handoff": handed,
                           "intent": "handoff"})
    assert "已请人工客服加入" not in queued  # the queue message already says so


def test_cards_heading_reasons_and_sponsored_badge_in_chinese():
    recs = [{"item_id": "p1", "title": "Turbo Kart Racer", "reason": "because you bought Mario Kart", "score": 1.0},
            {"item_id": "p2", "title": "Road Rush", "reason": "popular now", "score": 0.5, "sponsored": True},
            {"item_id": "p3", "title": "Deep Dive", "reason": "matches “赛车游戏”", "score": 0.4}]
    html = cards_html(recs, "s1", "u1", lang="zh")
    assert "猜你喜欢" in html and "因为您购买过 Mario Kart" in html and "近期热销" in html and "符合“赛车游戏”" in html
    assert html.count("广告") == 1 and "because you" not in html and "You might like" not in html
    english = cards_html(recs, "s1", "u1")
    assert "You might like" in english and "Sponsored" in english and "because you bought Mario Kart" in english


def test_unknown_reasons_are_kept_as_written():
    html = cards_html([{"item_id": "p1", "title": "T", "reason": "racing, rated E10+", "score": 1}], lang="zh")
    assert "racing, rated E10+" in html


@pytest.mark.parametrize("kind", sorted(prompts.REASON_TEXT["en"]))
def test_reasons_round_trip_between_languages(kind):
    fields = {"title": "Aurora Headphones", "taste": "racing games"}
    en = prompts.reason_text(kind, "en", **fields)
    zh = prompts.localise_reason(en, "zh")
    assert zh == prompts.reason_text(kind, "zh", **fields)
    assert prompts.localise_reason(zh, "en") == en
    assert prompts.parse_reason(zh)[0] == kind


def test_staff_label_and_notes_follow_the_shopper():
    staff = SimpleNamespace(role="staff", text="您好，我是客服小王。", data={"staff": "wang"})
    assert "Wang · 人工客服" in staff_message(staff)["content"]
    english = SimpleNamespace(role="staff", text="Hi, I'm Ann.", data={"staff": "ann"})
    assert "Ann · support team" in staff_message(english)["content"]
    joined = SimpleNamespace(role="system", text="", data={"event": "take"})
    assert "人工客服已加入对话" in staff_message(joined, "zh")["content"]
    assert "joined the chat" in staff_message(joined)["content"]


def test_a_stored_chinese_conversation_shows_chinese_notes():
    turns = [SimpleNamespace(id=1, role="user", text="转人工", data={"lang": "zh"}),
             SimpleNamespace(id=2, role="assistant", text=prompts.HANDOFF_TEXT["zh"].format(position=1),
                             data={"intent": "handoff", "handoff": {"state": "waiting_for_human"}}),
             SimpleNamespace(id=3, role="system", text="", data={"event": "take"}),
             SimpleNamespace(id=4, role="system", text="", data={"event": "resolve"})]
    messages, _, _ = conversation(turns)
    text = " ".join(m["content"] for m in messages)
    assert "人工客服已加入对话" in text and "已解决" in text and "joined" not in text


def test_errors_in_the_shoppers_language():
    assert chat_error("我的订单在哪里？") == prompts.ERROR_TEXT["zh"]
    assert chat_error("where is my order?", RuntimeError("boom")) == prompts.ERROR_TEXT["en"]
    assert chat_error("   ", BadInput("message is empty")) == prompts.EMPTY_MESSAGE_TEXT["en"]
    long = "退" * 30
    zh = chat_error(long, TooLong("message is too long"), limit=20)
    assert zh.startswith("您的消息太长了") and "30" in zh and "20" in zh
    assert chat_error("hi", BadInput("user_id must be a string")) == "user_id must be a string"


def test_conversation_lang_is_the_shoppers_latest():
    turns = [SimpleNamespace(role="user", text="hello", data={}), SimpleNamespace(role="assistant", text="hi", data={}),
             SimpleNamespace(role="user", text="我的订单在哪里", data={})]
    assert conversation_lang(turns) == "zh" and conversation_lang(turns[:2]) == "en" and conversation_lang([]) == "en"
