"""Chinese mood (issue 12): plain questions stay neutral, complaints and anger stay negative,
requests for a person escalate. Uses the shipped Chinese model (a small npz, no English model)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.zh_mood import DATA, mood_figures, read_cases
from bot.sentiment.base import QUESTION_DAMPING, QUESTION_DAMPING_ZH, is_question
from bot.sentiment.bundled import BundledSentiment
from bot.sentiment.lexicon import LexiconSentiment
from bot.sentiment.zh import complaint_cue, question_damping
from desk.escalation import EscalationPolicy, TurnSignal, human_request

PLAIN = ["退货政策是什么？", "怎么退货", "请问什么时候发货？", "运费多少", "发票怎么开？",
         "不好意思，请问可以寄到台湾吗？", "这个耳机有保修吗"]
UPSET = ["为什么还没发货？都一周了！", "你们怎么回事，订单到底什么时候到？", "这是什么垃圾产品？",
         "质量太差了，用了两天就坏了", "收到的东西是坏的，怎么办？"]


@pytest.fixture(scope="module")
def model():
    return BundledSentiment(english="minilm")  # Chinese texts only: the English model never loads


@pytest.mark.parametrize("text", PLAIN)
def test_plain_chinese_questions_are_neutral(model, text):
    assert model.score(text).label == "neutral"


@pytest.mark.parametrize("text", UPSET)
def test_chinese_complaints_stay_negative(model, text):
    s = model.score(text)
    assert s.label == "negative" and s.polarity < -0.6


def test_english_model_not_loaded_for_chinese(model):
    model.score_many(PLAIN + UPSET)
    assert model._en is None


def test_question_damping_keeps_the_binary_decision(model):
    texts = PLAIN + UPSET + ["这个好用吗？", "质量很好，下次还来买吗？"]
    raw = model.chinese.proba_positive(texts)
    assert ((model.proba_positive(texts) > 0.5) == (raw > 0.5)).all()


@pytest.mark.parametrize(
    "text, expected",
    [("怎么退货", True), ("运费多少", True), ("哪款适合小孩", True), ("能不能开发票", True),
     ("不怎么样", False), ("不知道为什么有点色差", False), ("太差了", False), ("买了几天就坏了", False)],
)
def test_chinese_question_words(text, expected):
    assert is_question(text) is expected


def test_complaint_cues():
    assert complaint_cue("为什么还没发货？") and complaint_cue("到底什么时候到") and complaint_cue("怎么回事？？")
    assert not complaint_cue("退货政策是什么？") and not complaint_cue("不好意思，请问怎么付款？")
    assert not complaint_cue("好不好用？")


def test_damping_factors():
    assert question_damping("退货政策是什么？") == QUESTION_DAMPING_ZH
    assert question_damping("到底什么时候发货？") == 1.0
    assert question_damping("房间很小。早餐一般。停车方便吗？") == QUESTION_DAMPING


def test_fake_model_damps_chinese_questions_too():
    fake = LexiconSentiment()
    assert fake.score("退货政策是什么？").label == "neutral"
    assert fake.score("太差了，我要退货").label == "negative"
    assert fake.score("这个坏了怎么退货？").label == "negative"


@pytest.mark.parametrize("text", ["人工", "转人工", "投诉", "我要投诉", "找客服", "我要找客服", "联系客服",
                                  "怎么投诉你们", "给我找个真人"])
def test_chinese_requests_for_a_person_escalate(text):
    assert EscalationPolicy().decide([TurnSignal(text)]).escalate or human_request(text)


def test_bare_complaint_word_escalates_with_mood(model):
    s = model.score("投诉")
    decision = EscalationPolicy().decide([TurnSignal("投诉", s.polarity, s.label, intent="complaint")])
    assert decision.escalate


@pytest.mark.parametrize("text", ["我不想投诉你们", "不用转人工了", "客服电话是多少？", "人工智能音箱有货吗"])
def test_not_requests_for_a_person(text):
    assert human_request(text) == ""


def test_plain_questions_do_not_escalate(model):
    turns = [TurnSignal(t, s.polarity, s.label) for t, s in zip(PLAIN, model.score_many(PLAIN))]
    assert not EscalationPolicy().decide(turns).escalate


def test_written_cases_all_read_as_marked(model):
    cases = read_cases(DATA)
    assert sum(kind == "neutral" for _, kind in cases) >= 40
    figures, wrong = mood_figures(model, cases)
    assert figures["neutral_false_negatives"] == 0, wrong
    assert figures["negative_recall"] == 1.0 and figures["human_escalated"] == 1.0, wrong


def test_read_cases_refuses_bad_lines(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("# comment\n退货政策是什么？\tmaybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:2"):
        read_cases(bad)


def test_damp_accepts_one_factor_per_text():
    from bot.sentiment.base import damp

    out = damp(np.array([0.1, 0.1]), np.array([1.0, 0.1]))
    assert out[0] == pytest.approx(0.1) and 0.4 < out[1] < 0.5


@pytest.mark.slow
def test_chinese_mood_over_http_with_the_shipped_model(tmp_path):
    """The issue's examples through the real app on 127.0.0.1 with the shipped Chinese sentiment model:
    a plain question is neutral and gets no apology; an angry shopper and a request for a person are
    handed to staff."""
    import httpx

    from app import create_app
    from bot.prompts import APOLOGY
    from tests.fixtures.servers import serve_in_thread
    from tests.test_web import make_service, make_settings, write_shop

    settings = make_settings(tmp_path)
    service = make_service(settings, write_shop(tmp_path / "shop"), sentiment=BundledSentiment(english="minilm"))
    with serve_in_thread(create_app(settings, service, warm=False)) as url:
        def chat(message, sid=None):
            resp = httpx.post(f"{url}/api/chat", json={"message": message, **({"session_id": sid} if sid else {})},
                              timeout=60)
            assert resp.status_code == 200, resp.text
            return resp.json()

        plain = chat("退货政策是什么？")
        assert plain["sentiment"]["label"] == "neutral" and not plain["reply"].startswith(APOLOGY["zh"])
        assert plain["handoff"]["state"] == "bot"
        first = chat("为什么还没发货？都一周了！")
        assert first["sentiment"]["label"] == "negative"
        second = chat("你们到底怎么回事？质量太差了！", first["session_id"])
        assert second["handoff"]["state"] == "waiting_for_human"
        asked = chat("转人工")
        assert asked["handoff"]["state"] == "waiting_for_human" and "人工客服" in asked["reply"]
