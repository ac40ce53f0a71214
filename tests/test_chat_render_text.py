"""The chat's text fixes: Chinese spacing left by removed Markdown, source snippets without Markdown,
a card click through Gradio's server-function call shape, the Recommendations tab before any click."""

from __future__ import annotations

from web.chat_render import cjk_spacing, format_reply, snippet_text


def test_spaces_left_by_removed_bold_markers_go_between_chinese_characters_only():
    assert cjk_spacing("大多数商品可在 签收后 30 天内 退货并全额退款。 [1]") == "大多数商品可在签收后 30 天内退货并全额退款。[1]"
    assert cjk_spacing("可在 **签收后** 退货") == "可在**签收后**退货"
    assert cjk_spacing("PlayStation 5 售价 $499.99，仅剩 1 件。") == "PlayStation 5 售价 $499.99，仅剩 1 件。"
    assert cjk_spacing("Returns within 30 days. [1]") == "Returns within 30 days. [1]"


def test_sources_show_plain_text_in_the_reply_language():
    reply = {"reply": "大多数商品可在 签收后 30 天内 退货。 [1]", "sources": [
        {"title": "退货退款政策是什么？", "snippet": "大多数商品可在 **签收后 30 天内** 退货，详见[帮助](/help)。"}]}
    html = format_reply(reply)
    assert "参考来源：" in html and "**" not in html and "[帮助]" not in html
    assert "可在签收后 30 天内退货。[1]" in html and "可在签收后 30 天内退货，详见帮助。" in html


def test_a_product_snippet_does_not_repeat_its_title():
    assert snippet_text("Turbo Karts (PS4) by Pixel Harbor. Price: $19.99.", "Turbo Karts (PS4)") == \
        "by Pixel Harbor. Price: $19.99."
    assert snippet_text("Turbo Karts (PS4)", "Turbo Karts (PS4)") == "Turbo Karts (PS4)"


def test_recommendations_tab_with_impressions_and_no_click(tmp_path):
    from desk.sessions import SessionStore
    from web.staff_ui.recommendations import view

    store = SessionStore(f"sqlite:///{tmp_path / 'kefu.db'}")
    sid = store.ensure_session(None, "u1")
    store.add_exchange(sid, "recommend", {}, "picks", {"intent": "recommend", "recommendations": [
        {"item_id": "p1", "reason": "popular now"}]})
    text, volume, *_ = view(store, 7, catalogue=4)
    assert "**1** recommendations shown, **0** clicked" in text
    assert list(volume["kind"]) == ["impressions"] and isinstance(volume["period"].iloc[0], str)
