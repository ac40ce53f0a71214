"""A store nobody on the team wrote: does Kefu answer its shoppers?

``python -m benchmarks.foreign_store [--json OUT] [--questions main|heldout|both] [--limit N] [--kind KIND ...] [--show N]``

The store is built at run time from ../shared/datasets (never copied into the repo):

- catalogue: ``catalog/amazon_products.csv`` (Amazon India), one row per product (the
  export repeats a product once per review; the first row is kept), product columns only,
  prices as the export writes them (``₹1,099``);
- FAQ: ``faq/ecommerce_faq.json`` in Kefu's FAQ Markdown (``kind: faq``, ``## question``);
- policy: ``faq/abcd_guidelines.json`` (a clothing store's agent guidelines) as one
  Markdown document: flows → ``#``, subflows → ``##``, each action's text a paragraph and
  its sub-points a bullet list.

The questions (benchmarks/data/foreign_store_questions.json, "main") were written by reading that
data. Each case says what a correct reply holds; the scorer derives product facts from the
catalogue, so a reply is judged on the shopper-visible text only (``/api/chat`` JSON).
benchmarks/data/foreign_store_heldout.json ("heldout") holds newer questions about other products
(picked at random with a fixed seed), written before the engine was fixed against them; with
``--questions both`` each set is reported as its own column.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import DATASETS, REPO, datasets_or_exit, emit, fresh_settings, parser, quiet_libraries, spread

QUESTIONS = REPO / "benchmarks" / "data" / "foreign_store_questions.json"
HELDOUT = REPO / "benchmarks" / "data" / "foreign_store_heldout.json"
QUESTION_SETS = {"main": QUESTIONS, "heldout": HELDOUT}
CATALOGUE_CSV = ("catalog", "amazon_products.csv")
PRODUCT_COLUMNS = ("product_id", "product_name", "category", "discounted_price", "actual_price",
                   "discount_percentage", "rating", "rating_count", "about_product")
FACT_KINDS = ("price", "rating", "spec", "policy", "follow_up", "complaint")  # in scope: a reply must state facts
ANSWERED_KINDS = FACT_KINDS + ("small_talk",)  # in scope: declining one is a false decline
FIELD_NAMES = ("discounted_price", "actual_price", "discount_percentage", "rating", "rating_count")
# How a reply says it does not carry something (the new engine: "Sorry, I couldn't find the … in our catalogue").
NOT_FOUND = re.compile(
    r"could ?n[o']t find|can ?n[o']t find|could not find|cannot find|unable to find|did ?n[o']t find|"
    r"do ?n[o']t (carry|have|sell|stock)|does ?n[o']t (carry|have)|not (in|part of) (our|the) catalog|"
    r"no (such|matching) product|not (available|carried|something we)|we (only )?(carry|have|stock) .* but not",
    re.I,
)


# --------------------------------------------------------------------------- the store
def load_catalogue(path: Path) -> dict[str, dict[str, str]]:
    """``product_id`` → the product columns of its first row (later rows are other reviews)."""
    products: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["product_id"] not in products:
                products[row["product_id"]] = {c: row.get(c, "") for c in PRODUCT_COLUMNS}
    return products


def faq_markdown(faq: list[dict]) -> str:
    """``ecommerce_faq.json``'s entries in Kefu's FAQ format (no intents or phrasings: nobody tuned them)."""
    lines = ["---", "title: Shop FAQ", "kind: faq", "lang: en", "---", ""]
    for entry in faq:
        question = " ".join(entry["question"].split())
        lines += [f"## {question}", "", entry["answer"].strip(), ""]
    return "\n".join(lines)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def policy_markdown(guidelines: dict) -> str:
    """ABCD's guidelines as one policy document: ``# flow``, ``## subflow``, paragraphs and bullets."""
    lines = ["---", "title: Customer service guidelines", "kind: policy", "lang: en", "---", ""]
    for flow, body in guidelines.items():
        lines += [f"# {flow}", ""]
        if body.get("description"):
            lines += [f"{flow}: {_clean(body['description'])}.", ""]
        for subflow, steps in body.get("subflows", {}).items():
            lines += [f"## {subflow}", ""]
            lines += [p for text in steps.get("instructions", []) if _clean(text) for p in (_clean(text), "")]
            for action in steps.get("actions", []):
                if _clean(action.get("text", "")):
                    lines += [_clean(action["text"]), ""]
                items = [f"- {_clean(t)}" for t in action.get("subtext", []) if _clean(t)]
                lines += items + ([""] if items else [])
    return "\n".join(lines)


def build_store(folder: Path, datasets: Path = DATASETS) -> Path:
    """Write the foreign store (catalogue, FAQ, policy) under ``folder``; returns its directory."""
    store = Path(folder) / "foreign-store"
    (store / "faq").mkdir(parents=True, exist_ok=True)
    (store / "policies").mkdir(parents=True, exist_ok=True)
    products = load_catalogue(datasets.joinpath(*CATALOGUE_CSV))
    with (store / "products.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PRODUCT_COLUMNS)
        writer.writeheader()
        writer.writerows(products.values())
    faq = json.loads((datasets / "faq" / "ecommerce_faq.json").read_text(encoding="utf-8"))["questions"]
    (store / "faq" / "shop-faq.md").write_text(faq_markdown(faq), encoding="utf-8")
    guidelines = json.loads((datasets / "faq" / "abcd_guidelines.json").read_text(encoding="utf-8"))
    (store / "policies" / "service-guidelines.md").write_text(policy_markdown(guidelines), encoding="utf-8")
    return store


# --------------------------------------------------------------------------- the questions
def load_cases(path: Path = QUESTIONS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


def load_sets(which: str) -> dict[str, list[dict]]:
    """``"main" | "heldout" | "both"`` → ``{set name: cases}``."""
    names = list(QUESTION_SETS) if which == "both" else [which]
    if not set(names) <= set(QUESTION_SETS):
        raise ValueError(f"unknown question set {which!r}: choose main, heldout or both")
    return {name: load_cases(QUESTION_SETS[name]) for name in names}


def case_products(case: dict) -> list[str]:
    """The product ids a case is about (``product_id`` may list variants that share the facts)."""
    pid = case.get("product_id") or []
    return [pid] if isinstance(pid, str) else list(pid)


# --------------------------------------------------------------------------- scoring
_MONEY = re.compile(r"(?:₹|\bRs\.?|\bINR)\s?(\d[\d,]*(?:\.\d{1,2})?)|(\d[\d,]*(?:\.\d{1,2})?)\s?(?:rupees|INR)\b", re.I)
_DECIMAL = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)(?![\d,]|\.\d|[A-Za-z%])")
_INTEGER = re.compile(r"(?<![\d.,])(\d[\d,]*\d|\d)(?![\d]|\.\d)")


def _amount(text: str) -> float | None:
    digits = re.sub(r"[^\d.]", "", text or "")
    try:
        return float(digits) if digits else None
    except ValueError:
        return None


def amounts(reply: str) -> set[float]:
    """Every money amount in a reply (``₹1,099``, ``Rs. 399``, ``1099 rupees``)."""
    return {a for m in _MONEY.finditer(reply) if (a := _amount(m.group(1) or m.group(2))) is not None}


def says_field(reply: str, field: str, value: str) -> bool:
    """Does ``reply`` state the catalogue ``value`` of ``field``? Numbers compare by value, not spelling."""
    if field in ("discounted_price", "actual_price"):
        return _amount(value) in amounts(reply)
    if field == "rating":
        want = _amount(value)
        return any(float(m) == want for m in _DECIMAL.findall(reply))
    if field == "rating_count":
        want = re.sub(r"\D", "", value)
        return any(re.sub(r"\D", "", m) == want for m in _INTEGER.findall(reply))
    if field == "discount_percentage":
        return re.search(rf"(?<!\d){re.escape(value.rstrip('%'))}\s?%", reply) is not None
    return value.lower() in reply.lower()


def expected_facts(case: dict, catalogue: dict) -> list[list[tuple[str, str]]]:
    """Per product variant, the ``(field, value)`` pairs a reply must state (empty for policy/spec)."""
    return [[(f, catalogue[pid][f]) for f in case.get("fields", [])] for pid in case_products(case) if pid in catalogue]


def names_cheaper(text: str, case: dict, catalogue: dict) -> bool:
    """For ``cheaper_than``: does ``text`` state a price below that product's (an alternative, not it)?"""
    ref = catalogue.get(case["cheaper_than"])
    limit = _amount(ref["discounted_price"]) if ref else None
    return limit is not None and any(a < limit for a in amounts(text))


def _says_all(text: str, case: dict, catalogue: dict) -> bool:
    subs = case.get("expect", [])
    ok_subs = all(any(a.lower() in text.lower() for a in ([s] if isinstance(s, str) else s)) for s in subs)
    facts = expected_facts(case, catalogue)
    ok_facts = not case.get("fields") or any(all(says_field(text, f, v) for f, v in variant) for variant in facts)
    ok_cheaper = not case.get("cheaper_than") or names_cheaper(text, case, catalogue)
    return ok_subs and ok_facts and ok_cheaper


def first_sentence(text: str) -> str:
    """The reply's first sentence (decimal points and ``₹1,099.50`` do not end one)."""
    text = text.strip()
    return re.split(r"(?<!\bRs\.)(?<=[.!?])\s+|\n+", text, maxsplit=1)[0] if text else ""


def score_case(case: dict, replies: list[dict], catalogue: dict) -> dict:
    """One case's verdict from Kefu's ``/api/chat`` replies (one per turn; the last one is judged)."""
    kind = case["kind"]
    last = replies[-1] if replies else {"reply": "", "abstained": False}
    text = last.get("reply") or ""
    out = {"id": case["id"], "kind": kind, "reply": text, "abstained": bool(last.get("abstained")),
           "chars": len(text)}
    if kind == "off_topic":
        out["passed"] = out["abstained"]
    elif kind == "not_carried":
        neighbour = catalogue.get(case.get("neighbour_id", ""), {})
        leaked = bool(neighbour) and _amount(neighbour["discounted_price"]) in amounts(text)
        out.update(leaked=leaked, said_not_found=bool(NOT_FOUND.search(text)))
        out["passed"] = not leaked
    elif kind == "small_talk":  # a pleasantry is answered briefly: not declined, no product or price pushed
        out["false_decline"] = out["abstained"]
        out["passed"] = bool(text.strip()) and not out["abstained"] and not amounts(text)
    else:
        out["false_decline"] = any(r.get("abstained") for r in replies)
        out["passed"] = not out["abstained"] and _says_all(text, case, catalogue)
        out["first_sentence"] = out["passed"] and _says_all(first_sentence(text), case, catalogue)
    return out


def _share(flags: list[bool]) -> float:
    return float(sum(flags)) / len(flags) if flags else 0.0


def summarise(results: list[dict]) -> dict:
    """The benchmark's figures over :func:`score_case` results."""
    facts = [r for r in results if r["kind"] in FACT_KINDS]
    off = [r for r in results if r["kind"] == "off_topic"]
    absent = [r for r in results if r["kind"] == "not_carried"]
    summary = {
        "fact_accuracy": _share([r["passed"] for r in facts]),
        "off_topic_declined": _share([r["passed"] for r in off]),
        "false_declines": _share([r["false_decline"] for r in results if r["kind"] in ANSWERED_KINDS]),
        "not_carried_safe": _share([r["passed"] for r in absent]),
        "not_carried_said_not_found": _share([r["said_not_found"] for r in absent]),
        "median_reply_chars": float(statistics.median([r["chars"] for r in facts])) if facts else 0.0,
        "first_sentence_answers": _share([r["first_sentence"] for r in facts]),
        "n_cases": len(results),
    }
    for kind in sorted({r["kind"] for r in results}):
        summary[f"accuracy.{kind}"] = _share([r["passed"] for r in results if r["kind"] == kind])
    return summary


# --------------------------------------------------------------------------- running
def ask(service, case: dict) -> list[dict]:
    """Every turn of ``case`` in one new session; the replies as ``/api/chat`` JSON (plus ``mode``)."""
    replies, session_id = [], None
    for message in case["turns"]:
        reply = service.turn(message, session_id=session_id, user_id=f"foreign-{case['id']}")
        session_id = reply.session_id
        replies.append(reply.to_api() | {"mode": reply.mode})
    return replies


def evaluate(settings, cases: list[dict] | None = None, datasets: Path = DATASETS, progress=None) -> list[dict]:
    """Build the foreign store into ``settings``' data dir, index it, ask every case; the scored cases."""
    from benchmarks.common import build_demo_index
    from bot.service import ChatService

    catalogue = load_catalogue(datasets.joinpath(*CATALOGUE_CSV))
    store_dir = build_store(Path(settings.data_dir), datasets)
    knowledge = build_demo_index(settings, [store_dir])
    service = ChatService(settings, knowledge=knowledge, embedder=knowledge.embedder)
    results = []
    for n, case in enumerate(cases if cases is not None else load_cases()):
        try:
            replies = ask(service, case)
        except Exception as exc:  # noqa: BLE001 - a crash fails the case, not the run
            replies = [{"reply": f"error: {type(exc).__name__}: {exc}", "abstained": False}]
        results.append(score_case(case, replies, catalogue) | {"turns": case["turns"], "replies": replies})
        if progress:
            progress(n, results[-1])
    return results


def run(settings, cases: list[dict] | None = None, datasets: Path = DATASETS) -> dict:
    """The benchmark's figures (:func:`summarise`) for ``settings``: a flat ``{metric: number}``."""
    return summarise(evaluate(settings, cases, datasets))


def bench_settings():
    """Fresh settings for the store: INR, bundled LLM and embedder; no recommender (its data is the demo's)."""
    scratch = Path(tempfile.mkdtemp(prefix="kefu-foreign-"))
    return fresh_settings(currency="INR", recommend_k=0, sentiment_model="fake",
                          products_path=scratch / "none.csv", interactions_path=scratch / "none.csv")


def main(argv: list[str] | None = None) -> int:
    p = parser("foreign_store", __doc__.splitlines()[0])
    p.add_argument("--questions", choices=("main", "heldout", "both"), default="main",
                   help="which question set to ask (both: one index, each set reported as its own column)")
    p.add_argument("--limit", type=int, default=0, help="ask only the first N cases of each set, spread over the kinds")
    p.add_argument("--kind", action="append", default=[], help="ask only cases of this kind (repeatable)")
    p.add_argument("--failures", type=int, default=10, help="print this many failing cases with their replies")
    p.add_argument("--show", type=int, default=0, help="print this many answered replies in full (how they read)")
    args = p.parse_args(argv)
    quiet_libraries()
    datasets_or_exit(*CATALOGUE_CSV)
    datasets_or_exit("faq", "ecommerce_faq.json")
    datasets_or_exit("faq", "abcd_guidelines.json")
    sets = {name: spread([c for c in cases if not args.kind or c["kind"] in args.kind], args.limit)
            for name, cases in load_sets(args.questions).items()}
    cases = [c | {"set": name} for name, chosen in sets.items() for c in chosen]
    print(f"asking {len(cases)} cases ({', '.join(f'{n}: {len(c)}' for n, c in sets.items())})")

    def progress(n: int, result: dict) -> None:
        print(f"  {n + 1}/{len(cases)} {result['id']}: {'pass' if result['passed'] else 'FAIL'}", flush=True)

    results = evaluate(bench_settings(), cases, progress=progress)
    for case, result in zip(cases, results):
        result["set"] = case["set"]
    figures = {("kefu" if name == "main" else f"kefu.{name}"): summarise([r for r in results if r["set"] == name])
               for name in sets}
    emit(figures, args.json, "Foreign store (Amazon India catalogue + public FAQ and guidelines)")
    for r in [r for r in results if not r["passed"]][: args.failures]:
        print(f"- {r['id']} ({r['kind']}) {' / '.join(r['turns'])}\n    → {r['reply'][:300]!r}"
              f"{' [abstained]' if r['abstained'] else ''}")
    for r in [r for r in results if not r["abstained"]][: args.show]:
        print(f"* {r['id']} {' / '.join(r['turns'])}\n    {r['reply']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
