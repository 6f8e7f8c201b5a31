"""The readable table of a bench result, targets beside each figure (issue 7)."""

from __future__ import annotations


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("OK" if ok else "MISSED")


# Pages the 12-query budget applies to (issue 7: "every list and dashboard page").
LISTS = {
    "work_list_home",
    "work_list_tasks",
    "task_list_officer",
    "officer_overview",
    "results_ranking",
    "reports_home",
    "report_round",
}


def _pages(result: dict, t: dict) -> list[str]:
    items = result["items"]
    lines = [
        f"Pages ({items['small']} → {items['full']} items); targets: ≤{t['queries']} queries "
        f"and equal at both sizes, median ≤{t['median_ms']} ms, growth ≤{t['growth_pct']} %, "
        f"work list ≥{t['worklist_ratio']} × bare (query budget on list pages only)",
        f"{'page':20} {'queries':>11} {'median ms':>10} {'p95 ms':>7} {'growth':>7} "
        f"{'req/s':>6} {'err':>4} {'× bare':>7}  verdict",
    ]
    for key, r in result["pages"].items():
        load = r.get("load", {})
        checks = [
            r["queries"] == r["queries_small"],
            key not in LISTS or r["queries"] <= t["queries"],
            r["median_ms"] <= t["median_ms"],
            r["growth_pct"] <= t["growth_pct"],
            load.get("errors", 0) == 0,
        ]
        if key.startswith("work_list"):
            checks.append((r.get("ratio") or 0) >= t["worklist_ratio"])
        lines.append(
            f"{key:20} {r['queries_small']:>4} → {r['queries']:<4} {r['median_ms']:>10} "
            f"{r['p95_ms']:>7} {r['growth_pct']:>6}% {load.get('rps', '-'):>6} "
            f"{load.get('errors', '-'):>4} {r.get('ratio', '-'):>7}  {_mark(all(checks))}"
        )
    bare = result.get("bare", {})
    lines.append(
        f"{'bare 50-row page':20} {'0':>11} {'':>10} {'':>7} {'':>7} "
        f"{bare.get('rps', '-'):>6} {bare.get('errors', '-'):>4} {'1.0':>7}"
    )
    return lines


def _pdfs(result: dict, t: dict) -> list[str]:
    lines = [
        f"PDFs; targets: ≤{t['pdf_s']} s, ≤{t['pdf_mb']} MB peak, long tables "
        f"≥{t['pages_per_s']} pages/s, repeat ≤{t['repeat_ms']} ms",
        f"{'kind':26} {'s':>6} {'pages':>6} {'pages/s':>8} {'peak MB':>8} {'repeat ms':>10}"
        f" {'ask ms':>9}  verdict",
    ]
    for kind, p in result["pdfs"].items():
        long_table = p["pages"] >= 10
        ok = (
            p["seconds"] <= t["pdf_s"]
            and p["peak_mb"] <= t["pdf_mb"]
            and p["repeat_ms"] <= t["repeat_ms"]
            and (not long_table or p["pages_per_s"] >= t["pages_per_s"])
        )
        ask = f"{p['ask_ms']}{' j' if p.get('by_job') else ''}" if "ask_ms" in p else "-"
        lines.append(
            f"{kind:26} {p['seconds']:>6} {p['pages']:>6} {p['pages_per_s']:>8} "
            f"{p['peak_mb']:>8} {p['repeat_ms']:>10} {ask:>9}  {_mark(ok)}"
        )
    lines.append("(ask ms: the request that asks; j = built by a job, run in the same process)")
    return lines


def _document_job(result: dict, t: dict) -> list[str]:
    """Issue 13: the whole-year coordination status built by a real worker process."""
    d = result.get("document_job")
    if not d:
        return []
    ask_ok = d["ask_ms"] <= t.get("ask_ms", 1000)
    pages_ok = d["job_pages_per_s"] >= t.get("job_pages_per_s", 20)
    repeat_ok = d["repeat_ms"] <= t.get("stored_repeat_ms", 20)
    return [
        f"Document job: whole-year coordination status, {d['items']} items, {d['pages']} pages",
        f"  asking → ready {d['ready_s']} s; the request answered in {d['ask_ms']} ms "
        f"(target ≤{t.get('ask_ms', 1000)} ms)  {_mark(ask_ok)}",
        f"  the job: {d['job_s']} s after {d['queue_wait_s']} s in the queue, "
        f"{d['job_pages_per_s']} pages/s (goal ≥{t.get('job_pages_per_s', 20)})  "
        f"{_mark(pages_ok)}",
        f"  worker peak {d['worker_peak_mb']} MB; repeat download {d['repeat_ms']} ms "
        f"(target ≤{t.get('stored_repeat_ms', 20)} ms)  {_mark(repeat_ok)}",
    ]


def _signing(result: dict, t: dict) -> list[str]:
    """Issue 16: what signing adds to issuing a document."""
    s = result.get("signing")
    if not s:
        return []
    target = t.get("signing_ms", 300)
    return [
        f"Signing (issue 16): a reminder letter to {s['body']} issued and stored by its job: "
        f"{s['signed_ms']} ms signed, {s['unsigned_ms']} ms unsigned",
        f"  added by signing {s['added_ms']} ms (target ≤{target} ms)  "
        f"{_mark(s['added_ms'] <= target)}; a worker's warm-up at start (its first "
        f"signature) {s['first_signature_ms']} ms",
    ]


def table(result: dict) -> str:
    t = result["targets"]
    reminders_ok = result["reminders"]["seconds"] <= t["reminders_s"]
    lines = [
        f"Benchmark {result['date']} on {result['db']}, scale {result['scale']} "
        f"(data generated in {result['generate_s']['full']} s)",
        "",
        *_pages(result, t),
        "",
        *_pdfs(result, t),
        "",
        *_document_job(result, t),
        "",
        *_signing(result, t),
        "",
        f"send_reminders over all items: {result['reminders']['seconds']} s "
        f"(target ≤{t['reminders_s']} s)  {_mark(reminders_ok)}",
        f"scoring results of a period ({result['scoring']['assessments']} bodies): "
        f"{result['scoring']['seconds']} s (target ≤{t['results_s']} s)  "
        f"{_mark(result['scoring']['seconds'] <= t['results_s'])}",
    ]
    return "\n".join(lines)
