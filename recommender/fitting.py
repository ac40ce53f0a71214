"""Fitting the model the server serves: :func:`fit_model` and the ``auto`` choice, :func:`select_model`.

The server (and ``python -m recommender.train``) fits on *every* interaction it has. For the
models that train in epochs, the number of epochs is first chosen by early stopping on a
validation split — each user's last event, for users with ≥ 3 events — and the model is then
refitted on everything for that many epochs, so no event is left out of the served model.

``auto`` (the default ``KEFU_RECOMMENDER_MODEL``): every model in :data:`AUTO_CANDIDATES` is
fitted on the same split and the one with the best validation NDCG@20 is served. The
baselines (popularity, item-kNN) are candidates, so on the store's own data the served
model is never worse than them on validation — a shop whose text says little gets item-kNN
or EASE rather than a hybrid that leans on text, and a log whose order tells what comes next
(next-item data) gets sequential item-kNN; a model that tunes itself on the split
(seqknn) records its choice in ``fit_info["chosen_params"]`` and the refit keeps it; a greedy
z-scored blend of up to :data:`BLEND_MAX_MEMBERS` candidates (:func:`blend_best`,
:mod:`recommender.models.blend`, every weight on the same split) competes too (served only
when strictly better on validation). ``python -m recommender.evaluate`` reports this choice
as ``default``, made the same way on its own validation split.

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([("u", i, t) for t, i in enumerate("abcd")])
    >>> fit_model(inter, {}, "popularity", show_progress=False).n_items
    4
"""

from __future__ import annotations

import logging

import numpy as np

from recommender.interactions import Interactions, position_in_user

log = logging.getLogger(__name__)

AUTO = "auto"
#: What ``auto`` chooses from, cheapest first (ties go to the cheaper model). SASRec is not one:
#: on the demo store its fit (early stopping, then the refit) costs ≈ 17 CPU-s against < 0.1 s
#: for the neighbourhood models and it does not win there; name it (``KEFU_RECOMMENDER_MODEL=sasrec``)
#: or blend it offline (``benchmarks.recsys_quality``, row ``blend-all``) where it pays.
AUTO_CANDIDATES = ("popularity", "itemknn", "seqknn", "ease", "hybrid")
#: The greedy blend of the candidates, offered to ``auto`` after them (:func:`blend_best`).
BLEND = "blend"
BLEND_EXCLUDED = ("popularity",)
#: At most this many models in the greedy blend (:func:`blend_best`).
BLEND_MAX_MEMBERS = 3


def last_event_mask(inter: Interactions, min_events: int = 3) -> np.ndarray:
    """Boolean (n,) mask of each user's last event, for users with at least ``min_events``."""
    _, from_end = position_in_user(inter.users)
    n = np.bincount(inter.users, minlength=inter.n_users)[inter.users]
    return (from_end == 0) & (n >= min_events)


def fit_model(inter: Interactions, texts: dict[str, str], name: str, params: dict | None = None,
              show_progress: bool = True, embedder=None):
    """Fit ``name`` (or the ``auto`` choice) on all of ``inter``, with each user's last event as
    the early-stopping / selection split.

    ``embedder`` (anything with ``.encode``) replaces the text embedder of models that use
    item text, so the server encodes with the one embedder it already holds. For ``auto``,
    ``params`` maps candidate names to their parameters.
    """
    val = last_event_mask(inter)
    valid = inter.subset(val) if val.any() else None
    model, selection = None, None
    if name == AUTO:
        per_model = params or {}
        if valid is None:  # nothing to choose on: the neighbourhood baseline
            name = "itemknn"
        else:
            name, model, selection = select_model(inter.subset(~val), valid, texts, per_model, show_progress, embedder)
            log.info("recommender: auto chose %s on validation (%s)", name, selection)
        params = per_model.get(name, {})
    if valid is not None and model is None:
        model = _make(name, params, embedder)
        model.fit(inter.subset(~val), item_texts=texts, valid=valid, show_progress=show_progress)
    refit = _make(name, _chosen_params(model, params), embedder)
    refit.fit(inter, item_texts=texts, show_progress=show_progress)
    if selection is not None:
        refit.fit_info["auto_validation_ndcg@20"] = selection
    return refit


def _chosen_params(model, params: dict | None) -> dict:
    """``params`` plus what validation chose in ``model``'s fit (epochs, λ, neighbour weight)."""
    out = dict(params or {})
    if model is None:
        return out
    if hasattr(model, "chosen_params"):  # the blend: its members' choices and its weight
        return {**out, **model.chosen_params()}
    info = model.fit_info
    out.update(info.get("chosen_params") or {})  # what a model chose on validation itself (seqknn)
    if info.get("best_epoch") and "epochs" in model.params:
        out["epochs"] = int(info["best_epoch"])
    if "l2" in model.params and info.get("l2"):
        out.setdefault("l2", float(info["l2"]))
    if "knn_weight" in model.params and "knn_weight" in info and float(model.params["knn_weight"]) < 0:
        out["knn_weight"] = float(info["knn_weight"])
    if info.get("knn_l2") and float(model.params.get("knn_l2", 0.0)) < 0:
        out["knn_l2"] = float(info["knn_l2"])
    return out


def select_model(train: Interactions, valid: Interactions, texts: dict[str, str], params: dict | None = None,
                 show_progress: bool = False, embedder=None, candidates=AUTO_CANDIDATES, blend: bool = True):
    """Fit every candidate on ``train``, score NDCG@20 on ``valid``; returns
    ``(best name, that model fitted on train, {name: validation NDCG@20})``. With ``blend``,
    the greedy blend of the candidates other than popularity (:func:`blend_best`, weights on
    ``valid``) competes too (name ``"blend"``), built from the fitted candidates.

    ``params`` maps candidate names to parameters; the hybrid is skipped when no item has text.
    """
    from recommender.models.torch_loop import validation_ndcg

    scores: dict[str, float] = {}
    fitted = {}
    best = None
    for name in candidates:
        model = _make(name, (params or {}).get(name), embedder)
        if model.uses_text and not any(texts.get(i) for i in train.item_ids):
            continue
        model.fit(train, item_texts=texts, valid=valid, show_progress=show_progress)
        fitted[name] = model
        scores[name] = validation_ndcg(model, valid)
        if best is None or scores[name] > scores[best[0]]:
            best = (name, model)
    if blend:
        blended = blend_best(fitted, scores, valid)
        if blended is not None:
            scores[BLEND] = blended.fit_info["validation_ndcg@20"]
            if scores[BLEND] > scores[best[0]]:
                best = (BLEND, blended)
    return best[0], best[1], scores


def blend_best(fitted: dict, scores: dict[str, float], valid: Interactions, max_members: int = BLEND_MAX_MEMBERS):
    """A greedy blend (:mod:`recommender.models.blend`) of ``fitted``, chosen on ``valid``;
    ``None`` with fewer than two. It starts from the best by validation ``scores``, pairs it
    with the partner whose blend scores best, then keeps adding the candidate that improves
    the blend's validation NDCG@20 most (a nested blend: ``z(blend so far)`` mixed with
    ``z(next)``, each weight on ``valid``) while one does, up to ``max_members`` models.
    Popularity is left out (a per-user constant order adds little to a z-mix); nothing is
    refitted."""
    from recommender.models.blend import BlendRecommender

    ranked = sorted((n for n in fitted if n not in BLEND_EXCLUDED), key=lambda n: -scores[n])
    if len(ranked) < 2:
        return None
    first = fitted[ranked[0]]
    if valid is None or not len(valid):  # nothing to choose on: the two best, the default weight
        return BlendRecommender.from_members(first, fitted[ranked[1]])
    current, left = None, ranked[1:]
    while left and (current is None or len(current.leaf_names()) < max_members):
        tried = [(BlendRecommender.from_members(current or first, fitted[n], valid), n) for n in left]
        blend, name = max(tried, key=lambda t: t[0].fit_info["validation_ndcg@20"])  # ties: the better-ranked
        if current is not None and blend.fit_info["validation_ndcg@20"] <= current.fit_info["validation_ndcg@20"]:
            break
        current, left = blend, [n for n in left if n != name]
    return current


def _make(name: str, params: dict | None, embedder):
    from recommender.models.base import make_model

    model = make_model(name, **(params or {}))
    if embedder is not None and (model.uses_text or name == BLEND):  # the blend hands it to its text member
        model.embedder = embedder
    return model


def serving_params(name: str, embedder_spec: str) -> dict:
    """The parameters the server fits ``name`` with: the hybrid encodes text with the
    server's embedder (``"bundled"``, ``"fake"`` or a path); every other model uses its defaults.
    For ``auto``: ``{candidate: its parameters}``."""
    if name == AUTO:
        return {c: serving_params(c, embedder_spec) for c in AUTO_CANDIDATES}
    if name == BLEND:  # the default members (SASRec + hybrid): the hybrid member gets the embedder
        return {"member_params": {"hybrid": {"embedder": embedder_spec}}}
    return {"embedder": embedder_spec} if name == "hybrid" else {}
