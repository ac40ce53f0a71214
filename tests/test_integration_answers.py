"""Integration: the real bundled models over the real demo store (slow).

Index the demo store with all-MiniLM-L6-v2 into an embedded Chroma, answer with
SmolLM2-135M through the whole pipeline, and check sources, key facts and abstentions;
then edit and delete documents and check the index follows.
"""

import shutil

import pytest

from settings import Settings
from bot.service import ChatService
from knowledge.embedder import make_embedder
from knowledge.ingest import ingest
from knowledge.store import KnowledgeStore

from .conftest import REPO

pytestmark = pytest.mark.slow

QUESTIONS = [
    # (question, a source id expected among the top 3, key fact the reply must contain)
    ("How long does standard shipping take?", "faq/shipping.md#how-long-will-delivery-take", "3–5 business days"),
    ("What is the return window?", "returns", "30 days"),
    ("How much is the PlayStation 5 Digital Edition?", "HL-1002", "449.99"),
    ("How much do I need to spend for free shipping?", "faq/shipping.md#how-much-do-i-need-to-spend-for-free-shipping", "$49"),
    ("Can I pick up my order in Portland?", "faq/shipping.md#can-i-pick-up-my-order-instead-of-having-it-delivered", "Portland"),
    ("What is your customer service phone number?", "faq/support.md#how-can-i-contact-customer-service", "1-800-555-0142"),
    ("I forgot my password, how do I reset it?", "faq/account.md#i-forgot-my-password-how-do-i-reset-it", "30 minutes"),
    ("Which payment methods do you accept?", "faq/payment.md#which-payment-methods-do-you-accept", "PayPal"),
    ("Is the Nintendo Switch OLED Model in stock?", "HL-1004", "36"),
    ("退款多久能到账？", "faq/zh.md#退款多久能到账", "工作日"),
]
OFF_TOPIC = [
    "What's the weather going to be like in Paris tomorrow?",
    "Can you solve 3x + 7 = 22 for x?",
    "How do I cancel my Netflix subscription?",
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("kefu-integration")
    store_dir = root / "store"
    shutil.copytree(REPO / "knowledge" / "data", store_dir)
    settings = Settings(_env_file=None, data_dir=root / "data", llm="bundled", embedder="bundled",
                        sentiment_model="bundled", products_path=store_dir / "products.csv",
                        interactions_path=store_dir / "interactions.csv")
    knowledge = KnowledgeStore(settings, make_embedder("bundled"))
    report = ingest(knowledge, [store_dir], progress=False)
    assert not report.failed
    service = ChatService(settings, knowledge=knowledge, embedder=knowledge.embedder)
    service.warm()
    return service, store_dir


@pytest.mark.parametrize("question, source, fact", QUESTIONS, ids=[q[0][:40] for q in QUESTIONS])
def test_answers_come_from_the_right_source_with_the_key_fact(shop, question, source, fact):
    service, _ = shop
    reply = service.turn(question)
    top3 = [s["id"] for s in reply.retrieved[:3]]
    assert any(source in sid for sid in top3), top3
    assert not reply.abstained, reply.reply
    assert fact in reply.reply, reply.reply
    assert reply.sources and all(set(s) == {"id", "title", "snippet", "score"} for s in reply.sources)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_declined(shop, question):
    service, _ = shop
    reply = service.turn(question)
    assert reply.abstained and reply.sources == []
    # Declined: a general-knowledge request gets the store-scope reply, anything else the offer of a person.
    assert "support team" in reply.reply or (reply.mode == "off_topic" and "only help with" in reply.reply)


def test_follow_up_uses_the_previous_question(shop):
    service, _ = shop
    first = service.turn("Do you offer express delivery?")
    follow = service.turn("and how much does it cost?", session_id=first.session_id)
    assert not follow.abstained
    assert "14.99" in follow.reply or "Express" in follow.reply


def test_index_follows_edits_and_deletions(shop):
    service, store_dir = shop
    policy = store_dir / "policies" / "warranty.md"
    text = policy.read_text(encoding="utf-8")
    assert "Harbor Lane Protect" in text
    policy.write_text(text + "\n## Battery replacement\nWe replace worn batteries of headphones for a flat fee of $17.45.\n",
                      encoding="utf-8")
    report = ingest(service.knowledge, [store_dir], progress=False)
    assert report.updated == ["policies/warranty.md"] and len(report.unchanged) > 10
    hits = service.retriever.retrieve("how much does a headphone battery replacement cost?")
    assert any("17.45" in s.text for s in hits[:3])
    policy.unlink()
    report = ingest(service.knowledge, [store_dir], progress=False)
    assert len(report.deleted) == 1
    hits = service.retriever.retrieve("how much does a headphone battery replacement cost?")
    assert not any("policies/warranty.md" in s.id for s in hits)
