"""Sponsored slots: campaigns, which one fills a slot, pacing and the frequency cap.

A **campaigns file** lies beside the catalogue (``campaigns.yaml``, ``campaigns.yml`` or
``campaigns.csv`` next to ``KEFU_PRODUCTS_PATH``, or ``KEFU_CAMPAIGNS_PATH``). One campaign
promotes one item:

=================  ========================================================================
field              meaning
=================  ========================================================================
``id``             unique campaign id (CSV header ``campaign_id``)
``item``           the catalogue item promoted (CSV ``item_id``)
``bid``            what the store is paid: per click (``pricing: cpc``, the default) or per
                   1000 impressions (``cpm``); ≥ 0
``priority``       optional ranking weight instead of the bid (house promotions: ``bid`` 0)
``daily_budget``   most spent per UTC day; spend is paced over the day (required when bid > 0)
``start``/``end``  optional ``YYYY-MM-DD`` dates, both inclusive
``categories``     optional targeting: shown only to shoppers whose profile or stated taste
                   touches one of these categories/subcategories (CSV: ``|``-separated)
``pricing``        ``cpc`` (default) or ``cpm``
=================  ========================================================================

A bad row is a :class:`~recommender.interactions.DataError` naming the file, the row and the
field; ``python -m recommender.sponsored check [PATH]`` checks a file and prints its campaigns.

**Choosing.** For each list of ``k`` recommendations, up to ``KEFU_SPONSORED_SLOTS`` (default 1,
never all ``k``) of the last places go to campaigns, ranked by *relevance × bid*: relevance is
1 / (1 + the number of allowed items the shopper's own scores — history, events, stated taste —
rank above the promoted item), and the item must rank above ``KEFU_SPONSORED_MIN_RELEVANCE``
(default 0.9) of the allowed items. Only
items that pass every filter of the organic list (in stock, not owned or viewed, price cap,
category, platform, age) are eligible, none of the organic items that stay in the list, and —
when the shopper stated a taste — only items of a category the organic picks have. A campaign is
skipped when it is outside its dates, when today's spend is ahead of an even pace through the
day (budget × share of the day gone + one hour), or when this shopper has seen it
``KEFU_SPONSORED_FREQUENCY_CAP`` times today (default 3). An unhappy shopper is never shown
one (the chat's recommendation policy asks for none then). Impressions, clicks and spend are
recorded per campaign in :mod:`recommender.campaign_stats`.

Example::

    >>> c = Campaign("c1", "HL-1022", bid=0.5, daily_budget=10.0)
    >>> pick_order([0.5, 1.0], [c.weight, 0.2], n=1)   # relevance × bid: 0.25 beats 0.2
    [0]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from recommender.interactions import DataError

NAMES = ("campaigns.yaml", "campaigns.yml", "campaigns.csv")
#: How far ahead of an even pace through the day spend may run.
PACING_SLACK = timedelta(hours=1)
DEFAULTS = {"sponsored_slots": 1, "sponsored_frequency_cap": 3, "sponsored_min_relevance": 0.9}


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    item_id: str
    bid: float = 0.0
    daily_budget: float | None = None
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    pricing: str = "cpc"
    priority: float | None = None

    @property
    def weight(self) -> float:
        """What relevance is multiplied by: the priority when given, else the bid."""
        return self.priority if self.priority is not None else self.bid

    def active_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    @property
    def impression_cost(self) -> float:
        return self.bid / 1000.0 if self.pricing == "cpm" else 0.0

    @property
    def click_cost(self) -> float:
        return self.bid if self.pricing == "cpc" else 0.0


# ---------------------------------------------------------------------- reading the file
_FIELDS = {
    "id": "campaign_id", "campaign_id": "campaign_id", "campaign": "campaign_id",
    "item": "item_id", "item_id": "item_id", "product": "item_id", "product_id": "item_id",
    "bid": "bid", "priority": "priority", "daily_budget": "daily_budget", "budget": "daily_budget",
    "start": "start", "start_date": "start", "end": "end", "end_date": "end",
    "categories": "categories", "target_categories": "categories", "pricing": "pricing",
}


def _number(value, what: str, where: str, required: bool = False) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataError(f"{where}: {what} is missing")
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{where}: {what} {value!r} is not a number") from None
    if not np.isfinite(x) or x < 0:
        raise DataError(f"{where}: {what} {value!r} must be a number ≥ 0")
    return x


def _date(value, what: str, where: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DataError(f"{where}: {what} {value!r} is not a date (use YYYY-MM-DD)") from None


def campaign_from_record(raw: dict, where: str) -> Campaign:
    """One campaign from a YAML mapping or a CSV row; :class:`DataError` naming ``where`` when bad."""
    if not isinstance(raw, dict):
        raise DataError(f"{where}: a campaign must be a mapping of fields, not {type(raw).__name__}")
    rec: dict = {}
    unknown = []
    for key, value in raw.items():
        name = _FIELDS.get(str(key).strip().lower().replace(" ", "_"))
        if name is None:
            unknown.append(key)
        else:
            rec[name] = value
    cid = str(rec.get("campaign_id") or "").strip()
    item = str(rec.get("item_id") or "").strip()
    if not cid:
        raise DataError(f"{where}: id is missing")
    where = f"{where} ({cid})"
    if unknown:
        raise DataError(f"{where}: unknown field {unknown[0]!r} (known: id, item, bid, priority, daily_budget, "
                        f"start, end, categories, pricing)")
    if not item:
        raise DataError(f"{where}: item is missing")
    priority = _number(rec.get("priority"), "priority", where)
    bid = _number(rec.get("bid"), "bid", where, required=priority is None) or 0.0
    budget = _number(rec.get("daily_budget"), "daily_budget", where, required=bid > 0)
    start, end = _date(rec.get("start"), "start", where), _date(rec.get("end"), "end", where)
    if start and end and end < start:
        raise DataError(f"{where}: end {end} is before start {start}")
    cats = rec.get("categories") or ()
    if isinstance(cats, str):
        cats = [c for c in cats.replace(",", "|").split("|")]
    if not isinstance(cats, (list, tuple)):
        raise DataError(f"{where}: categories must be a list (CSV: separated by |)")
    pricing = str(rec.get("pricing") or "cpc").strip().lower()
    if pricing not in ("cpc", "cpm"):
        raise DataError(f"{where}: pricing {pricing!r} must be cpc or cpm")
    return Campaign(cid, item, bid, budget, start, end, tuple(str(c).strip() for c in cats if str(c).strip()),
                    pricing, priority)


def load_campaigns(path: str | Path) -> list[Campaign]:
    """Read a campaigns file (YAML list under ``campaigns:`` or a bare list; or CSV)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"campaigns file not found: {path}")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"campaigns file {path} cannot be read: {exc}") from None
    if suffix in (".yaml", ".yml"):
        import yaml

        try:  # every scalar as text: numbers and dates are checked here, with the row named
            doc = yaml.load(text, Loader=yaml.BaseLoader)
        except yaml.YAMLError as exc:
            raise DataError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
        rows = doc.get("campaigns") if isinstance(doc, dict) else doc
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise DataError(f"{path}: expected a list of campaigns under 'campaigns:'")
        records = [(f"{path}: campaign {n}", r) for n, r in enumerate(rows, start=1)]
    elif suffix == ".csv":
        try:
            reader = csv.DictReader(text.splitlines())
            rows = list(reader)
        except csv.Error as exc:
            raise DataError(f"{path} is not a readable CSV: {exc}") from None
        records = [(f"{path}: line {n}", {k: v for k, v in r.items() if k is not None})
                   for n, r in enumerate(rows, start=2)]
    else:
        raise DataError(f"{path}: campaigns must be a .yaml, .yml or .csv file")
    out, seen = [], set()
    for where, raw in records:
        c = campaign_from_record(raw, where)
        if c.campaign_id in seen:
            raise DataError(f"{where}: campaign id {c.campaign_id!r} is used twice")
        seen.add(c.campaign_id)
        out.append(c)
    return out


def campaigns_path(settings) -> Path | None:
    """``settings.campaigns_path`` when set, else the campaigns file beside the catalogue, else None."""
    given = getattr(settings, "campaigns_path", None)
    if given:
        return Path(given)
    products = getattr(settings, "products_path", None)
    if not products:
        return None
    for name in NAMES:
        p = Path(products).parent / name
        if p.is_file():
            return p
    return None


# ---------------------------------------------------------------------- choosing
def pick_order(relevance: Sequence[float], weights: Sequence[float], n: int,
               eligible: Sequence[bool] | None = None) -> list[int]:
    """Indices of up to ``n`` candidates by relevance × weight, best first, among the
    ``eligible`` ones (ties: the more relevant, then the earlier)."""
    rel = np.asarray(relevance, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    ok = np.flatnonzero(np.ones(len(rel), dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool))
    if n <= 0 or not len(ok):
        return []
    value = rel[ok] * w[ok]
    order = np.lexsort((ok, -rel[ok], -value))
    return [int(ok[j]) for j in order[:n]]


def relevance_of(scores: np.ndarray, allowed: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(relevance, percentile)`` of each of ``items`` for one shopper, from their scores.

    relevance = 1 / (1 + rank), the rank counting the allowed items scored above it (1 for the
    shopper's best match, ½ for the next…): a slot goes to a high bid only when the item is
    about as relevant, whatever the scale of the model's scores. percentile = share of the
    allowed items scored below it (the floor ``min_relevance`` applies to it)."""
    pool = np.sort(np.asarray(scores, dtype=np.float64)[allowed])
    mine = np.asarray(scores, dtype=np.float64)[items]
    below = np.searchsorted(pool, mine, side="left")
    above = len(pool) - np.searchsorted(pool, mine, side="right")
    pct = below / (len(pool) - 1) if len(pool) > 1 else np.ones(len(items))
    return 1.0 / (1.0 + above), pct


def paced_allowance(budget: float, now: datetime) -> float:
    """What may have been spent by ``now`` (UTC) under even pacing: budget × share of the day
    gone, one :data:`PACING_SLACK` ahead, at most the budget."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    share = ((now - midnight) + PACING_SLACK) / timedelta(days=1)
    return budget * min(1.0, share)


@dataclass
class Sponsor:
    """The campaigns of one store plus where their impressions go (see module docstring)."""

    campaigns: list[Campaign]
    stats: object  # recommender.campaign_stats.CampaignStats
    slots: int = 1
    frequency_cap: int = 3
    min_relevance: float = 0.9
    by_item: dict[str, list[Campaign]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for c in self.campaigns:
            self.by_item.setdefault(c.item_id, []).append(c)

    @classmethod
    def from_settings(cls, settings, known_items: Iterable[str]) -> Sponsor | None:
        """The store's sponsor, or None without a campaigns file (or with a bad one: logged)."""
        import logging

        from recommender.campaign_stats import CampaignStats

        log = logging.getLogger(__name__)
        path = campaigns_path(settings)
        slots = int(getattr(settings, "sponsored_slots", DEFAULTS["sponsored_slots"]))
        if path is None or slots <= 0:
            return None
        try:
            campaigns = load_campaigns(path)
        except DataError as exc:
            log.error("sponsored slots off: %s", exc)
            return None
        known = set(known_items)
        unknown = [c.campaign_id for c in campaigns if c.item_id not in known]
        if unknown:
            log.warning("campaigns for items not in the catalogue are skipped: %s", ", ".join(unknown[:5]))
        campaigns = [c for c in campaigns if c.item_id in known]
        if not campaigns:
            return None
        url = getattr(settings, "db_url_resolved", None) or "sqlite://"
        if url.startswith("sqlite:///") and getattr(settings, "data_dir", None):
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        return cls(campaigns, CampaignStats(url), slots,
                   int(getattr(settings, "sponsored_frequency_cap", DEFAULTS["sponsored_frequency_cap"])),
                   float(getattr(settings, "sponsored_min_relevance", DEFAULTS["sponsored_min_relevance"])))

    def candidates(self, viewer: str, interests: set[str]) -> list[Campaign]:
        """The campaigns that may fill a slot for ``viewer`` now: in their dates, on pace, under
        the frequency cap, and targeted at one of ``interests`` (lower-cased) when targeted."""
        now = self.stats.clock()
        spent = self.stats.spend_today()
        seen = self.stats.seen_today(viewer)
        out = []
        for c in self.campaigns:
            if not c.active_on(now.date()):
                continue
            if c.categories and not {x.lower() for x in c.categories} & interests:
                continue
            if c.daily_budget is not None:
                allowance, spend = paced_allowance(c.daily_budget, now), spent.get(c.campaign_id, 0.0)
                if spend >= allowance or spend + c.impression_cost > allowance:
                    continue
            if seen.get(c.campaign_id, 0) >= self.frequency_cap:
                continue
            out.append(c)
        return out

    def choose(self, viewer: str, interests: set[str], relevance: dict[str, tuple[float, float]],
               n: int) -> list[Campaign]:
        """Up to ``n`` campaigns for distinct items of ``relevance`` (item → (relevance, percentile)
        from :func:`relevance_of`, only the items that may be shown), by relevance × weight among
        those whose percentile reaches ``min_relevance``."""
        if n <= 0 or not relevance:
            return []
        cands = [c for c in self.candidates(viewer, interests) if c.item_id in relevance]
        best: dict[str, Campaign] = {}
        for c in cands:  # one campaign per item: the highest weight
            if c.item_id not in best or c.weight > best[c.item_id].weight:
                best[c.item_id] = c
        chosen = list(best.values())
        order = pick_order([relevance[c.item_id][0] for c in chosen], [c.weight for c in chosen], n,
                           [relevance[c.item_id][1] >= self.min_relevance for c in chosen])
        return [chosen[j] for j in order]

    def shown(self, viewer: str, campaigns: Sequence[Campaign]) -> None:
        self.stats.record_impressions([(c.campaign_id, c.item_id, c.impression_cost) for c in campaigns], viewer)

    def clicked(self, item_id: str, viewer: str) -> bool:
        """Count a click on a sponsored item shown to ``viewer``; False when it was not sponsored for them."""
        if item_id not in self.by_item:
            return False
        return self.stats.record_click(item_id, viewer, {c.campaign_id: c.click_cost for c in self.campaigns})

    def report(self) -> list[dict]:
        """Per campaign: item, bid, budget, impressions, clicks, CTR, spend (campaigns never shown: zeros)."""
        seen = {r["campaign_id"]: r for r in self.stats.report()}
        return [{"campaign_id": c.campaign_id, "item_id": c.item_id, "bid": c.bid, "daily_budget": c.daily_budget,
                 **{k: v for k, v in seen.get(c.campaign_id, {"impressions": 0, "clicks": 0, "ctr": 0.0,
                                                             "spend": 0.0}).items() if k != "campaign_id"}}
                for c in self.campaigns]


# ---------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recommender.sponsored",
                                description="Check a campaigns file, or print impressions, clicks and CTR per campaign.")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="read a campaigns file and list its campaigns")
    c.add_argument("path", nargs="?", type=Path, help="campaigns file (default: the one beside the catalogue)")
    sub.add_parser("report", help="impressions, clicks, CTR and spend per campaign (from the database)")
    args = p.parse_args(argv)
    from settings import Settings

    settings = Settings()
    path = getattr(args, "path", None) or campaigns_path(settings)
    if path is None:
        print("error: no campaigns file (put campaigns.yaml beside the catalogue or set KEFU_CAMPAIGNS_PATH)",
              file=sys.stderr)
        return 2
    try:
        campaigns = load_campaigns(path)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "check":
        for x in campaigns:
            dates = f"{x.start or '…'} – {x.end or '…'}"
            target = ", ".join(x.categories) or "everyone"
            print(f"{x.campaign_id}: {x.item_id} bid {x.bid:g} ({x.pricing}) budget {x.daily_budget} {dates} → {target}")
        print(f"{len(campaigns)} campaign(s) in {path}")
        return 0
    from recommender.campaign_stats import CampaignStats

    rows = Sponsor(campaigns, CampaignStats(settings.db_url_resolved)).report()
    print(f"{'campaign':<24} {'item':<10} {'impr':>6} {'clicks':>6} {'CTR':>7} {'spend':>9}")
    for r in rows:
        print(f"{r['campaign_id']:<24} {r['item_id']:<10} {r['impressions']:>6} {r['clicks']:>6} "
              f"{r['ctr']:>7.2%} {r['spend']:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
