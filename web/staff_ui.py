"""The staff console (Gradio) at ``/staff``: try answers, read conversations, rate, evaluate, watch, take over.

Tabs:

- **Try it** — ask as any user id and see everything behind the reply: the retrieved
  sources with scores and the text the model read, which were cited, intent, sentiment,
  the grounding check per sentence, recommendations with reasons, latency per stage.
  These sessions get ids starting ``staff-try-`` and are left out of Analytics.
- **Conversations** — search and open past sessions; every turn with its details and its
  ratings; rate a turn (👍/👎 as staff) or save it as a regression case.
- **Feedback** — every rating, newest first (👎 only on request); a row opens its
  conversation. The saved regression cases, with delete.
- **Evaluation** — run the regression cases + the built-in question set (``bot.regression``)
  and see pass/fail with what changed since the previous run.
- **Analytics** — plots from ``desk.analytics``.
- **Queue** — the handoff queue (``service.desk``): open a case's packet, take, reply, resolve.

Access control is not here: ``web/security.py`` guards the whole ``/staff`` path with HTTP
Basic auth, and ``gr.Request.username`` names the staff member. Nothing here answers a
shopper: every turn goes through ``service``.
"""


import html
import uuid

TRY_PREFIX = "staff-try-"

CSS = """
footer {display:none !important}
.kefu-turn {border:1px solid var(--border-color-primary);border-radius:8px;padding:8px 12px;margin:6px 0}
.kefu-turn.user {background:var(--background-fill-secondary)}
.kefu-turn .meta {font-size:12px;color:var(--body-text-color-subdued)}
.kefu-turn details {font-size:12.5px;margin-top:4px}
.kefu-turn pre {white-space:pre-wrap;font-size:12px}
.kefu-turn.staff {border-color:var(--color-accent)}
.kefu-turn.system {font-style:italic;font-size:12.5px;padding:4px 12px}
.kefu-ok {color:#137333;font-weight:600} .kefu-bad {color:#b3261e;font-weight:600}
"""


# -- formatting (pure: dict in, markdown/html/rows out) -------------------------------------------
def esc(value) -> str:
    return html.escape(str(value if value is not None else ""))


def reply_summary(d: dict) -> str:
    """One markdown line: intent · sentiment · mode · handoff · abstained."""
    s = d.get("sentiment") or {}
    parts = [
        f"**intent** `{d.get('intent', '')}`",
        f"**sentiment** {s.get('label', '?')} ({s.get('score', 0):.2f})",
        f"**mode** `{d.get('mode', '')}`",
        f"**handoff** {(d.get('handoff') or {}).get('state', 'bot')}",
    ]
    if d.get("abstained"):
        parts.append("**abstained**")
    return " · ".join(parts)


def source_rows(d: dict) -> list[list]:
    cited = {s["id"] for s in d.get("sources") or []}
    return [
        [s.get("id"), s.get("title"), s.get("kind", ""), round(float(s.get("score", 0)), 3), "✓" if s.get("id") in cited else ""]
        for s in d.get("retrieved") or d.get("sources") or []
    ]


def source_texts(d: dict) -> str:
    out = []
    for s in d.get("retrieved") or []:
        out.append(f"**{esc(s.get('title'))}** — `{esc(s.get('id'))}` (score {float(s.get('score', 0)):.3f})\n\n"
                   f"> {esc(s.get('text', '')).replace(chr(10), chr(10) + '> ')}")
    return "\n\n".join(out) or "*No sources were retrieved for this turn.*"


def check_rows(d: dict) -> list[list]:
    return [[c.get("sentence", ""), "kept" if c.get("kept") else "dropped", c.get("why", c.get("reason", "")),
             c.get("score", "")] for c in d.get("checks") or []]


def rec_rows(d: dict) -> list[list]:
    return [[r.get("item_id"), r.get("title"), r.get("score"), r.get("reason")] for r in d.get("recommendations") or []]


def latency_rows(d: dict) -> list[list]:
    lat = d.get("latency") or {}
    order = ["sentiment", "retrieve", "generate", "check", "answer", "total"]
    keys = [k for k in order if k in lat] + [k for k in lat if k not in order]
    return [[k, round(float(lat[k]) * 1000, 1)] for k in keys]


def turn_html(turn, ratings: list) -> str:
    """One stored turn as an HTML block with its details folded away."""
    d = turn.data or {}
    when = turn.created_at.isoformat(sep=" ", timespec="seconds")
    if turn.role == "system":
        return f"<div class='kefu-turn system'>{esc(turn.text)} <span class='meta'>· {when}</span></div>"
    who = {"user": "Shopper", "assistant": "Kefu", "staff": f"Staff ({esc(d.get('staff', ''))})"}.get(turn.role, turn.role)
    meta = [f"#{turn.id}", when]
    if turn.role == "user":
        s = d.get("sentiment") or {}
        meta += [f"intent {esc(d.get('intent', '?'))}", f"sentiment {esc(s.get('label', '?'))} {float(s.get('polarity', 0)):+.2f}"]
    elif turn.role == "assistant":
        meta += [f"mode {esc(d.get('mode', ''))}", "abstained" if d.get("abstained") else ""]
        meta += [("👍" if r.rating > 0 else "👎") + f" by {esc(r.by)}" + (f": “{esc(r.comment)}”" if r.comment else "") for r in ratings]
    body = esc(turn.text).replace("\n", "<br>")
    details = ""
    if turn.role == "assistant":
        srcs = "".join(
            f"<li><code>{esc(s.get('id'))}</code> {esc(s.get('title'))} — {float(s.get('score', 0)):.3f}"
            f"{' ✓ cited' if s.get('id') in {c['id'] for c in d.get('sources') or []} else ''}</li>"
            for s in d.get("retrieved") or d.get("sources") or []
        )
        recs = "".join(f"<li>{esc(r.get('title'))} — {esc(r.get('reason'))}</li>" for r in d.get("recommendations") or [])
        lat = ", ".join(f"{k} {float(v) * 1000:.0f} ms" for k, v in (d.get("latency") or {}).items())
        details = (
            "<details><summary>details</summary>"
            f"<div>Sources:<ul>{srcs or '<li>none</li>'}</ul></div>"
            + (f"<div>Recommendations:<ul>{recs}</ul></div>" if recs else "")
            + (f"<div>Latency: {esc(lat)}</div>" if lat else "")
            + "</details>"
        )
    return (
        f"<div class='kefu-turn {esc(turn.role)}'><b>{who}</b> <span class='meta'>{' · '.join(m for m in meta if m)}</span>"
        f"<div>{body}</div>{details}</div>"
    )


def packet_markdown(case: dict) -> str:
    p = case.get("packet") or {}
    lines = [
        f"### Case {case['id']} — {case['state'].replace('_', ' ')} ({case.get('urgency', 'normal')})",
        f"**Summary:** {p.get('summary', case.get('reason', ''))}",
        f"**Reason:** {case.get('reason', '')}  ·  **opened** {case.get('created_at', '')}  ·  **staff** {case.get('staff') or '—'}",
    ]
    if p.get("intents"):
        lines.append("**Intents:** " + ", ".join(map(str, p["intents"])))
    if p.get("sentiment_timeline"):
        lines.append("**Sentiment by turn:** " + ", ".join(f"{t['turn']}: {t['label']} ({t['polarity']:+.2f})" for t in p["sentiment_timeline"]))
    if p.get("sources_used"):
        lines.append("**Sources used:** " + ", ".join(f"`{s}`" for s in p["sources_used"]))
    if p.get("recommendations_shown"):
        lines.append("**Recommendations shown:** " + ", ".join(p["recommendations_shown"]))
    customer = p.get("customer") or {}
    if customer:
        events = ", ".join(f"{e['type']} {e['item_id']}" for e in customer.get("events", [])) or "none"
        lines.append(f"**Customer:** {customer.get('user_id') or 'anonymous'} — recent events: {events}")
    lines.append("#### Transcript")
    for t in p.get("transcript", []):
        lines.append(f"- **{t['role']}**: {t['text']}")
    return "\n\n".join(lines)


# -- the console ----------------------------------------------------------------------------------
def build_staff_ui(service):
    """The staff console ``gr.Blocks`` bound to ``service`` (see the module docstring)."""
    import gradio as gr

    from bot import regression as evaluate
    from desk import analytics
    from bot.errors import BadInput

    store = service.sessions

    def staff_name(request: gr.Request | None) -> str:
        return (getattr(request, "username", None) or "staff") if request else "staff"

    with gr.Blocks(title="Kefu — staff console") as demo:
        who = gr.Markdown("## Kefu staff console")
        with gr.Tabs() as tabs:
            # ---------------------------------------------------------------- Try it
            with gr.Tab("Try it", id="try"):
                try_session = gr.State(None)
                with gr.Row():
                    try_q = gr.Textbox(label="Question", placeholder="Ask as a shopper would…", scale=5, elem_id="try-question")
                    try_user = gr.Textbox(label="As user id", placeholder="e.g. u0001 (optional)", scale=2)
                with gr.Row():
                    try_keep = gr.Checkbox(label="Continue the same conversation", value=False)
                    try_btn = gr.Button("Ask", variant="primary", elem_id="try-ask")
                try_reply = gr.Markdown(elem_id="try-reply")
                try_meta = gr.Markdown()
                with gr.Row():
                    try_sources = gr.Dataframe(headers=["id", "title", "kind", "score", "cited"], label="Retrieved sources", scale=3,
                                               wrap=True, column_widths=["34%", "36%", "10%", "10%", "10%"])
                    try_latency = gr.Dataframe(headers=["stage", "ms"], label="Latency", scale=1)
                try_recs = gr.Dataframe(headers=["item_id", "title", "score", "reason"], label="Recommendations", wrap=True)
                with gr.Accordion("Text of the retrieved sources", open=False):
                    try_texts = gr.Markdown()
                with gr.Accordion("Grounding check per generated sentence", open=False):
                    try_checks = gr.Dataframe(headers=["sentence", "verdict", "why", "score"], wrap=True)

            # ---------------------------------------------------------------- Conversations
            with gr.Tab("Conversations", id="conversations"):
                with gr.Row():
                    conv_search = gr.Textbox(label="Search messages", placeholder="words in any turn", scale=4)
                    conv_refresh = gr.Button("Search / refresh", scale=1)
                conv_table = gr.Dataframe(
                    headers=["session_id", "user_id", "updated", "turns", "first message", "handoff", "👍", "👎"],
                    label="Sessions (click a row to open it)", interactive=False, wrap=True, elem_id="conv-table",
                )
                with gr.Row():
                    conv_id = gr.Textbox(label="Session id", scale=4, elem_id="conv-id")
                    conv_open = gr.Button("Open", scale=1)
                conv_view = gr.HTML(elem_id="conv-view")
                with gr.Accordion("Rate a turn or save it as a regression case", open=True):
                    turn_pick = gr.Dropdown(label="Assistant turn", choices=[], interactive=True)
                    with gr.Row():
                        rate_comment = gr.Textbox(label="Comment (optional)", scale=4)
                        rate_up = gr.Button("👍", scale=0, min_width=60)
                        rate_down = gr.Button("👎", scale=0, min_width=60)
                    with gr.Row():
                        case_source = gr.Dropdown(label="Expected source", choices=[], allow_custom_value=True, scale=3)
                        case_abstain = gr.Checkbox(label="Kefu should decline", scale=1)
                    case_facts = gr.Textbox(label="Key facts (one per line)", lines=2)
                    case_save = gr.Button("Save as regression case")
                    conv_status = gr.Markdown()

            # ---------------------------------------------------------------- Feedback
            with gr.Tab("Feedback", id="feedback"):
                with gr.Row():
                    fb_only_bad = gr.Checkbox(label="👎 only", value=False)
                    fb_refresh = gr.Button("Refresh")
                fb_table = gr.Dataframe(
                    headers=["when", "rating", "by", "session_id", "turn", "question", "answer", "comment"],
                    label="Ratings (click a row to open the conversation)", interactive=False, wrap=True, elem_id="fb-table",
                )
                gr.Markdown("#### Regression cases")
                cases_table = gr.Dataframe(
                    headers=["id", "question", "expected source", "key facts", "decline", "by", "created"], interactive=False, wrap=True
                )
                with gr.Row():
                    case_del_id = gr.Number(label="Case id", precision=0, scale=1)
                    case_del = gr.Button("Delete case", variant="stop", scale=1)

            # ---------------------------------------------------------------- Evaluation
            with gr.Tab("Evaluation", id="evaluation"):
                gr.Markdown(
                    "Runs the saved regression cases and the built-in question set (one phrasing per FAQ entry, "
                    "plus out-of-scope questions) against the current index and model. Same as `python -m bot.regression`."
                )
                with gr.Row():
                    ev_builtin = gr.Checkbox(label="Include the built-in question set", value=True)
                    ev_limit = gr.Number(label="At most N built-in questions (0 = all)", value=0, precision=0)
                    ev_run = gr.Button("Run evaluation", variant="primary")
                ev_summary = gr.Markdown()
                ev_table = gr.Dataframe(headers=["case", "result", "change", "question", "why", "cited", "s"], wrap=True, interactive=False)

            # ---------------------------------------------------------------- Analytics
            with gr.Tab("Analytics", id="analytics") as analytics_tab:
                with gr.Row():
                    an_days = gr.Slider(1, 90, value=30, step=1, label="Last N days")
                    an_refresh = gr.Button("Refresh")
                an_summary = gr.Markdown()
                with gr.Row():
                    an_intents = gr.BarPlot(x="period", y="questions", color="intent", title="Questions per intent", height=280, y_lim=[0, None])
                    an_rates = gr.LinePlot(x="period", y="rate", color="metric", title="Abstention and handoff rate", y_lim=[0, 1], height=280)
                with gr.Row():
                    an_sent = gr.BarPlot(x="label", y="turns", color="label", title="Sentiment of shopper messages", height=260, y_lim=[0, None],
                                         color_map={"negative": "#d93025", "neutral": "#9aa0a6", "positive": "#1e8e3e"})
                    an_timeline = gr.LinePlot(x="period", y="polarity", title="Mean sentiment over time", y_lim=[-1, 1], height=260)
                an_recs = gr.BarPlot(x="period", y="count", color="kind", title="Recommendations shown and clicked", height=260, y_lim=[0, None],
                                     color_map={"shown": "#8ab4f8", "clicked": "#1a73e8"})

            # ---------------------------------------------------------------- Queue
            with gr.Tab("Queue", id="queue"):
                with gr.Row():
                    q_all = gr.Checkbox(label="Include resolved", value=False)
                    q_refresh = gr.Button("Refresh")
                q_table = gr.Dataframe(
                    headers=["id", "state", "urgency", "position", "reason", "opened", "staff", "session_id"],
                    label="Handoff cases (click a row to open it)", interactive=False, wrap=True,
                )
                with gr.Row():
                    q_id = gr.Number(label="Case id", precision=0, scale=1)
                    q_open = gr.Button("Open", scale=1)
                    q_take = gr.Button("Take", variant="primary", scale=1)
                    q_resolve = gr.Button("Resolve", scale=1)
                q_packet = gr.Markdown()
                with gr.Row():
                    q_text = gr.Textbox(label="Reply to the shopper", scale=5)
                    q_send = gr.Button("Send reply", scale=1)
                q_status = gr.Markdown()
                q_timer = gr.Timer(5.0)

        # ==================================================================== handlers
        def greet(request: gr.Request):
            return f"## Kefu staff console\nSigned in as **{esc(staff_name(request))}**."

        demo.load(greet, None, who, api_visibility="private")

        # -- Try it ------------------------------------------------------------------
        def ask(question, user_id, keep, sid, request: gr.Request):
            sid = sid if keep and sid else f"{TRY_PREFIX}{uuid.uuid4().hex[:16]}"
            try:
                reply = service.turn(question, session_id=sid, user_id=(user_id or "").strip() or None,
                                     client=None)
            except BadInput as exc:
                return (f"**Refused:** {esc(exc)}", "", [], [], [], "", [], sid)
            d = reply.to_dict()
            answer = d["reply"] or "*(no reply: a person has this conversation)*"
            if d.get("sources"):
                answer += "\n\n" + "  \n".join(f"[{n}] {s['title']} (`{s['id']}`)" for n, s in enumerate(d["sources"], 1))
            meta = reply_summary(d) + f" · session `{d['session_id']}` · turn {d.get('turn_id')}"
            return (answer, meta, source_rows(d), latency_rows(d), rec_rows(d), source_texts(d), check_rows(d), d["session_id"])

        try_outputs = [try_reply, try_meta, try_sources, try_latency, try_recs, try_texts, try_checks, try_session]
        for trigger in (try_btn.click, try_q.submit):
            trigger(ask, [try_q, try_user, try_keep, try_session], try_outputs, api_visibility="private")

        # -- Conversations -----------------------------------------------------------
        def sessions_rows(search):
            rows = []
            fb = {}
            for f in store.feedback():
                up, down = fb.get(f.session_id, (0, 0))
                fb[f.session_id] = (up + (f.rating > 0), down + (f.rating < 0))
            for s in store.list_sessions(limit=200, search=(search or "").strip()):
                up, down = fb.get(s["session_id"], (0, 0))
                rows.append([s["session_id"], s["user_id"] or "", s["updated_at"], s["turns"], s["first_message"][:120],
                             s["handoff_state"], up, down])
            return rows

        def open_session(sid):
            sid = (sid or "").strip()
            empty = gr.update(choices=[], value=None)
            if not sid or store.get_session(sid) is None:
                return "<p>No such session.</p>" if sid else "", empty, gr.update(choices=[], value=None)
            ratings: dict[int, list] = {}
            for f in store.feedback(sid):
                ratings.setdefault(f.turn_id, []).append(f)
            turns = store.turns(sid)
            view = "".join(turn_html(t, ratings.get(t.id, [])) for t in turns)
            choices = [(f"#{t.id}: {t.text[:70]}", t.id) for t in turns if t.role == "assistant"]
            last = choices[-1][1] if choices else None
            return view, gr.update(choices=choices, value=last), sources_for(sid, last)

        def sources_for(sid, turn_id):
            if not sid or turn_id is None:
                return gr.update(choices=[], value=None)
            turn = next((t for t in store.turns(sid) if t.id == turn_id), None)
            data = (turn.data or {}) if turn else {}
            ids = [s["id"] for s in data.get("retrieved") or data.get("sources") or []]
            cited = [s["id"] for s in data.get("sources") or []]
            return gr.update(choices=ids, value=(cited or ids or [None])[0])

        def pick_session(evt: gr.SelectData):
            row = evt.row_value or []
            return row[0] if row else gr.update()

        def rate(sid, turn_id, comment, rating, request: gr.Request):
            if not sid or turn_id is None:
                return "Open a conversation and pick a turn first.", gr.update()
            try:
                store.add_feedback(sid.strip(), int(turn_id), rating, comment or "", by=f"staff:{staff_name(request)}")
            except (KeyError, ValueError) as exc:
                return f"Could not rate: {esc(exc)}", gr.update()
            return f"Saved {'👍' if rating > 0 else '👎'} on turn #{turn_id}.", open_session(sid)[0]

        def save_case(sid, turn_id, source, facts, abstain, request: gr.Request):
            if not sid or turn_id is None:
                return "Open a conversation and pick a turn first."
            try:
                question = evaluate.question_for_turn(store, sid.strip(), int(turn_id))
                session = store.get_session(sid.strip())
                case_id = evaluate.save_case(
                    store, question, "" if abstain else (source or ""), [] if abstain else (facts or "").splitlines(),
                    bool(abstain), user_id=session.user_id if session else None, session_id=sid.strip(),
                    turn_id=int(turn_id), by=staff_name(request),
                )
            except (KeyError, ValueError) as exc:
                return f"Could not save: {esc(exc)}"
            return f"Saved regression case {case_id}: “{esc(question)}”."

        conv_refresh.click(sessions_rows, conv_search, conv_table, api_visibility="private")
        conv_search.submit(sessions_rows, conv_search, conv_table, api_visibility="private")
        conv_table.select(pick_session, None, conv_id, api_visibility="private").then(
            open_session, conv_id, [conv_view, turn_pick, case_source], api_visibility="private"
        )
        for trigger in (conv_open.click, conv_id.submit):
            trigger(open_session, conv_id, [conv_view, turn_pick, case_source], api_visibility="private")
        turn_pick.change(sources_for, [conv_id, turn_pick], case_source, api_visibility="private")
        def rate_up_fn(sid, turn_id, comment, request: gr.Request):
            return rate(sid, turn_id, comment, 1, request)

        def rate_down_fn(sid, turn_id, comment, request: gr.Request):
            return rate(sid, turn_id, comment, -1, request)

        rate_up.click(rate_up_fn, [conv_id, turn_pick, rate_comment], [conv_status, conv_view], api_visibility="private")
        rate_down.click(rate_down_fn, [conv_id, turn_pick, rate_comment], [conv_status, conv_view], api_visibility="private")
        case_save.click(save_case, [conv_id, turn_pick, case_source, case_facts, case_abstain], conv_status, api_visibility="private")

        # -- Feedback ----------------------------------------------------------------
        def feedback_rows(only_bad):
            rows = []
            turns_cache: dict[str, dict] = {}
            for f in reversed(store.feedback()):
                if only_bad and f.rating > 0:
                    continue
                if f.session_id not in turns_cache:
                    turns_cache[f.session_id] = {t.id: t for t in store.turns(f.session_id)}
                by_id = turns_cache[f.session_id]
                answer = by_id.get(f.turn_id)
                question = ""
                if answer is not None:
                    earlier = [t for t in by_id.values() if t.id < answer.id and t.role == "user"]
                    question = earlier[-1].text if earlier else ""
                rows.append([f.created_at.isoformat(sep=" ", timespec="seconds"), "👍" if f.rating > 0 else "👎", f.by,
                             f.session_id, f.turn_id, question[:100], (answer.text if answer else "")[:140], f.comment])
            return rows

        def case_rows():
            return [[c["id"], c["question"], c["expected_source"], "; ".join(c["key_facts"]), "yes" if c["expect_abstain"] else "",
                     c["created_by"], c["created_at"]] for c in evaluate.list_cases(store)]

        def open_from_feedback(evt: gr.SelectData):
            row = evt.row_value or []
            if len(row) < 5 or not row[3]:
                return gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
            view, picks, sources = open_session(row[3])
            if row[4] not in (None, ""):
                picks = gr.update(choices=picks["choices"], value=int(row[4]))
                sources = sources_for(row[3], int(row[4]))
            return gr.Tabs(selected="conversations"), row[3], view, picks, sources

        def delete_case(case_id):
            try:
                evaluate.delete_case(store, int(case_id))
            except (KeyError, TypeError, ValueError):
                pass
            return case_rows()

        fb_refresh.click(feedback_rows, fb_only_bad, fb_table, api_visibility="private").then(case_rows, None, cases_table, api_visibility="private")
        fb_only_bad.change(feedback_rows, fb_only_bad, fb_table, api_visibility="private")
        fb_table.select(open_from_feedback, None, [tabs, conv_id, conv_view, turn_pick, case_source], api_visibility="private")
        case_del.click(delete_case, case_del_id, cases_table, api_visibility="private")

        # -- Evaluation --------------------------------------------------------------
        def run_eval(builtin, limit, progress=gr.Progress()):
            try:
                report = evaluate.evaluate(
                    service, builtin=bool(builtin), limit=int(limit) if limit else None,
                    progress=lambda done, total: progress(done / total, desc=f"{done}/{total} questions"),
                )
            except LookupError as exc:
                return f"**Nothing to evaluate:** {esc(exc)}", []
            s, ch = report["summary"], report["changes"]
            verdict = "<span class='kefu-bad'>REGRESSION</span>" if s["regressed"] else "<span class='kefu-ok'>no regression</span>"
            text = (f"### {s['passed']}/{s['cases']} passed — {verdict}\n\n{s['regressed']} regressed · {s['fixed']} fixed · "
                    f"{len(ch['new'])} new · {len(ch['removed'])} removed since the last run · {s['seconds']} s")
            rows = [[r["key"], "pass" if r["passed"] else "FAIL", r["change"], r["question"], "; ".join(r["reasons"]),
                     ", ".join(r["cited"]), r["seconds"]] for r in report["results"]]
            order = {"regressed": 0, "fixed": 1, "new": 2, "": 3}
            rows.sort(key=lambda row: (order.get(row[2], 3), row[1] == "pass"))
            return text, rows

        ev_run.click(run_eval, [ev_builtin, ev_limit], [ev_summary, ev_table], api_visibility="private")

        # -- Analytics ---------------------------------------------------------------
        def analytics_view(days):
            rows = analytics.load(store, days=int(days), exclude_prefix=TRY_PREFIX)
            frames = analytics.compute(rows)
            s = frames["summary"]
            text = (
                f"**{s['questions']}** questions in **{s['conversations']}** conversations · abstention "
                f"**{s['abstention_rate']:.0%}** · handoff **{s['handoff_rate']:.0%}** · recommendations shown "
                f"**{s['recommendations_shown']}**, clicked **{s['recommendations_clicked']}** (CTR {s['click_through_rate']:.0%})"
            )
            fmt = "%m-%d %H:00" if s["bucket"] == "hour" else "%Y-%m-%d"

            def labelled(df):  # bar charts read better with one labelled bar per period
                return df.assign(period=df["period"].dt.strftime(fmt)) if len(df) else df

            return (text, labelled(frames["intents"]), frames["rates"], frames["sentiment"], frames["sentiment_timeline"],
                    labelled(frames["recommendations"]))

        an_outputs = [an_summary, an_intents, an_rates, an_sent, an_timeline, an_recs]
        an_refresh.click(analytics_view, an_days, an_outputs, api_visibility="private")
        analytics_tab.select(analytics_view, an_days, an_outputs, api_visibility="private")

        # -- Queue ---------------------------------------------------------------------
        def queue_rows(include_resolved):
            return [[c.id, c.state, c.urgency, c.position or "", c.reason, c.created_at, c.staff or "", c.session_id]
                    for c in service.desk.queue(bool(include_resolved))]

        def open_case(case_id):
            if not case_id:
                return "", ""
            try:
                return packet_markdown(service.desk.get(int(case_id)).to_api()), ""
            except KeyError:
                return "", f"No case {int(case_id)}."

        def act(action, case_id, text, include_resolved, request: gr.Request):
            from desk.handoff import InvalidTransition

            if not case_id:
                return "Pick a case first.", gr.update(), gr.update(), gr.update()
            user = staff_name(request)
            try:
                if action == "take":
                    service.desk.take(int(case_id), user)
                    msg = f"You took case {int(case_id)}; the shopper sees that you joined."
                elif action == "resolve":
                    service.desk.resolve(int(case_id), user)
                    msg = f"Case {int(case_id)} resolved; the bot answers this shopper again."
                else:
                    service.desk.reply(int(case_id), user, text or "")
                    msg = "Reply sent."
            except KeyError:
                return f"No case {int(case_id)}.", gr.update(), gr.update(), gr.update()
            except (InvalidTransition, ValueError) as exc:
                return f"Not done: {esc(exc)}", gr.update(), gr.update(), gr.update()
            return msg, open_case(case_id)[0], queue_rows(include_resolved), "" if action == "reply" else gr.update()

        q_refresh.click(queue_rows, q_all, q_table, api_visibility="private")
        q_all.change(queue_rows, q_all, q_table, api_visibility="private")
        q_timer.tick(queue_rows, q_all, q_table, api_visibility="private", show_progress="hidden")
        def pick_case(evt: gr.SelectData):
            return (evt.row_value or [None])[0]

        q_table.select(pick_case, None, q_id, api_visibility="private").then(
            open_case, q_id, [q_packet, q_status], api_visibility="private"
        )
        q_open.click(open_case, q_id, [q_packet, q_status], api_visibility="private")
        q_outputs = [q_status, q_packet, q_table, q_text]
        def take(case_id, text, include_resolved, request: gr.Request):
            return act("take", case_id, text, include_resolved, request)

        def resolve(case_id, text, include_resolved, request: gr.Request):
            return act("resolve", case_id, text, include_resolved, request)

        def send_reply(case_id, text, include_resolved, request: gr.Request):
            return act("reply", case_id, text, include_resolved, request)

        q_take.click(take, [q_id, q_text, q_all], q_outputs, api_visibility="private")
        q_resolve.click(resolve, [q_id, q_text, q_all], q_outputs, api_visibility="private")
        for trigger in (q_send.click, q_text.submit):
            trigger(send_reply, [q_id, q_text, q_all], q_outputs, api_visibility="private")

        demo.load(lambda: (sessions_rows(""), feedback_rows(False), case_rows(), queue_rows(False)), None,
                  [conv_table, fb_table, cases_table, q_table], api_visibility="private")
    demo.kefu_css = CSS
    return demo
