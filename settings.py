"""Kefu's settings: one typed object in groups (storage, llm, vector store, retrieval,
recommender, escalation, web), read from ``KEFU_*`` environment variables or ``.env``.

Nothing here runs at import time. Build the object once with :func:`get_settings` (or
``Settings(...)`` in tests) and pass it down; every backend factory takes it.

Example::

    >>> s = Settings(data_dir="/tmp/kefu", llm="fake")
    >>> s.db_url_resolved
    'sqlite:////tmp/kefu/kefu.db'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent
DEMO_DATA_DIR = REPO_ROOT / "knowledge" / "data"


class _KefuSettings(BaseSettings):
    """Shared configuration of every settings group: ``KEFU_*`` variables and ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="KEFU_", env_file=".env", extra="ignore", validate_default=True
    )


class StorageSettings(_KefuSettings):
    """Where Kefu keeps its index, database and model caches."""

    data_dir: Path = Field(Path("./data"), description="index, database and model caches")
    db_url: str = Field("", description="SQLAlchemy URL; empty = sqlite file in data_dir")


class LLMSettings(_KefuSettings):
    """The chat model, the embedder and how local models run."""

    llm: str = Field(
        "bundled",
        description="'bundled' (SmolLM2-135M-Instruct GGUF under llama.cpp, in-process), 'gguf:PATH' or "
        "'llamacpp[:PATH]' (any GGUF under llama.cpp), 'transformers' (the bundled GGUF through transformers), "
        "an HF id or local path (transformers), 'openai:MODEL' or 'fake'",
    )
    llm_base_url: str = Field("", description="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    llm_api_key: str = Field("", description="API key for the OpenAI-compatible server")
    llm_max_new_tokens: int = Field(120, ge=1, le=4096)
    llm_timeout: float = Field(
        60.0, gt=0, description="seconds an LLM call may stall (remote: the HTTP timeout) before Kefu answers extractively"
    )
    llm_queue_wait: float = Field(
        10.0, gt=0, description="seconds a turn waits for a local model (one reply at a time) before Kefu "
        "answers extractively; a burst of shoppers then gets cited answers instead of a long wait",
    )
    llm_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "float32", description="weights of the local transformers models (chat LLM and SmolLM2 sentiment): "
        "'float32', 'bfloat16' (1.2-1.5x faster decoding where the CPU has it natively, AVX512-BF16/AMX, "
        "but greedy replies can differ) or 'auto' (bfloat16 where native, else float32)",
    )
    llm_threads: int = Field(
        0, ge=0, description="threads for local models; 0 = auto: on up to 4 cores 1 thread for llama.cpp and for "
        "torch (more threads collapse when other processes share the cores), above that llama.cpp half the cores "
        "up to 4 and torch its default",
    )
    embedder: str = Field(
        "bundled", description="'bundled' (all-MiniLM-L6-v2), a sentence-transformers id or path, or 'fake'"
    )
    multilingual: Literal["auto", "on", "off", "fake"] = Field(
        "auto", description="cross-lingual retrieval (Chinese questions find English text and vice versa) with the "
        "bundled Universal Sentence Encoder multilingual, in a second collection '<collection>-multilingual' written "
        "at ingest: 'auto' (on when the package is installed and the embedder is a real model), 'on', 'off', "
        "'fake' (tests)",
    )


class VectorStoreSettings(_KefuSettings):
    """The vector store and what gets indexed."""

    chroma_host: str = Field("", description="Chroma server host; empty = embedded store in data_dir")
    chroma_port: int = Field(8000, ge=1, le=65535)
    collection: str = Field("kefu", description="Chroma collection holding the store's knowledge")
    knowledge_paths: list[Path] = Field(
        default_factory=lambda: [DEMO_DATA_DIR],
        description="what `make run` indexes before serving",
    )
    currency: str = Field(
        "USD", pattern=r"^[A-Za-z]{3}$",
        description="ISO code of catalogue prices written without a symbol or currency column (INR, EUR, JPY…)",
    )
    product_url: str = Field(
        "", pattern=r"^(|.*\{id\}.*)$", description="product page URL pattern for sources and cards, {id} = product id (https://shop.example/p/{id}); "
                        "empty = a catalogue link column, or none")


class RetrievalSettings(_KefuSettings):
    """How questions are retrieved for and answered."""

    system_prompt: str = Field("", description="the assistant's instructions: a file path or text")
    top_k: int = Field(5, ge=1, le=50, description="sources retrieved per question")
    abstain_below: float = Field(0.42, description="best retrieval score under which Kefu abstains")
    faq_direct_above: float = Field(
        0.70, description="FAQ match score above which the curated answer is given as is"
    )
    support_min: float = Field(
        0.62, description="a reply sentence must reach this similarity to a source sentence"
    )
    lexical_weight: float = Field(
        0.4, ge=0, description="hybrid retrieval: weight of the character n-gram TF-IDF similarity added to the "
        "embedding cosine when ranking (0 = dense only); scores that thresholds see stay the cosine",
    )
    history_turns: int = Field(6, ge=0, description="previous turns the model sees")
    answer_style: Literal["auto", "extractive", "generate"] = Field(
        "auto", description="'auto': quote the sentence(s) that answer and ask the model only where they cover the "
        "question poorly (and its sentences keep passing the checks); 'extractive': never generate; 'generate': "
        "let the model write whenever the answer is not a strong FAQ match",
    )


class RecommenderSettings(_KefuSettings):
    """The recommender and its data."""

    recommender_model: str = Field("auto", description="auto (best on validation) | popularity | itemknn | ease | bpr | lightgcn | hybrid | sasrec")
    recommend_k: int = Field(4, ge=0, le=50, description="recommendations shown in a chat reply")
    interactions_path: Path = Field(DEMO_DATA_DIR / "interactions.csv")
    products_path: Path = Field(DEMO_DATA_DIR / "products.csv")
    campaigns_path: Path | None = Field(
        None, description="sponsored campaigns (YAML/CSV); empty = campaigns.yaml|.yml|.csv beside the catalogue"
    )
    sponsored_slots: int = Field(1, ge=0, le=10, description="most sponsored items per recommendation list (never all); 0 = off")
    sponsored_frequency_cap: int = Field(3, ge=0, description="most times a shopper sees one campaign per UTC day")
    sponsored_min_relevance: float = Field(
        0.9, ge=0, le=1, description="a sponsored item must rank above this share of the items allowed for the shopper"
    )


class EscalationSettings(_KefuSettings):
    """Sentiment and when a shopper is handed to a person."""

    sentiment_model: str = Field(
        "bundled", description="'bundled' (SmolLM2-135M + LoRA adapter; Chinese: character n-grams), 'minilm', an HF sequence-classification id, or 'fake'"
    )
    escalate_negative_below: float = Field(
        -0.6, description="a turn's sentiment (-1..1) under which it counts as very negative"
    )
    escalate_after_negative_turns: int = Field(2, ge=1, description="very negative turns before handoff")
    escalate_after_abstentions: int = Field(2, ge=1, description="abstentions in a row before handoff")
    escalate_window: int = Field(4, ge=1, description="recent turns the escalation policy looks at")
    escalate_trend_below: float = Field(
        -0.4, description="weighted recent sentiment under which a falling trend escalates"
    )
    escalate_after_repeats: int = Field(2, ge=1, description="times the same question may repeat before handoff")


class WebSettings(_KefuSettings):
    """Where and how the HTTP server listens, and who may use what."""

    staff_users: str = Field("", description="user:password,... for /staff; empty = /staff refused")
    allowed_origins: str = Field("", description="space/comma separated origins allowed to frame /widget")
    api_keys: str = Field("", description="key1,key2: Bearer keys /api/* and /v1/* require; empty = open")
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    max_message_chars: int = Field(4000, ge=1)
    rate_limit_per_minute: int = Field(30, ge=1, description="messages per minute per session")
    rate_limit_per_client_per_minute: int = Field(
        0, ge=0, description="messages per minute per client address; 0 = 4 × rate_limit_per_minute"
    )


class Settings(StorageSettings, LLMSettings, VectorStoreSettings, RetrievalSettings,
               RecommenderSettings, EscalationSettings, WebSettings):
    """Every setting Kefu reads, grouped by part. Field ``foo`` is the environment variable ``KEFU_FOO``.

    A component that needs one part only may type its argument as that group (e.g.
    :class:`EscalationSettings`); a full :class:`Settings` is always one of each.
    """

    @property
    def db_url_resolved(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.data_dir.resolve() / 'kefu.db'}"

    @property
    def staff_credentials(self) -> dict[str, str]:
        """``"ann:pw1,bob:pw2"`` → ``{"ann": "pw1", "bob": "pw2"}``."""
        pairs = (p.split(":", 1) for p in self.staff_users.split(",") if ":" in p)
        return {u.strip(): pw.strip() for u, pw in pairs if u.strip()}

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o for o in self.allowed_origins.replace(",", " ").split() if o]

    def system_prompt_text(self) -> str:
        """The system prompt: the file's text if the setting names a file, else the text itself."""
        from bot.prompts import DEFAULT_SYSTEM_PROMPT

        value = self.system_prompt.strip()
        if not value:
            return DEFAULT_SYSTEM_PROMPT
        path = Path(value)
        if len(value) < 4096 and "\n" not in value and path.is_file():
            return path.read_text(encoding="utf-8")
        return value


def load_settings_or_exit() -> Settings:
    """The settings for a command-line entry point: a bad value is one line on stderr, exit 2."""
    import sys

    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        print(f"error: bad setting KEFU_{str(err['loc'][0]).upper()}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first call (never at import)."""
    return Settings()
