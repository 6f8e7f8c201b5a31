"""Every figure of a bench result beside its target, and the verdicts (issues 7 and 14).

``verdicts(result)`` checks each figure against ``result["targets"]`` (so an older result is
judged by the targets of its day) and returns what run.py writes to bench/results/:
``checks`` ({figure: {value, target, ok}}), ``missed`` (the figures that missed) and
``all_met``. ``table(result)`` prints the same checks, the target beside every figure.
"""

from __future__ import annotations

# Pages the query budget applies to (issue 7: "every list and dashboard page").
LISTS = {
    "work_list_home",
    "work_list_tasks",
    "task_list_officer",
    "officer_overview",
    "results_ranking",
    "reports_home",
    "report_round",
}
# Issue 14: the body's work list, the item page and its history serve ≥ 0.3 × the bare page.
WORKLIST = {"work_list_home", "work_list_tasks", "item_detail", "item_history"}
LONG_TABLE_PAGES = 10  # a PDF of this many pages or more is a long table


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("OK" if ok else "MISSED")


def _tick(ok: bool | None) -> str:
    return " " if ok is None else ("✓" if ok else "✗")


class _Checks:
    """Collects {figure: {value, target, ok}}; a target that ``targets`` lacks (a result
    older than the target) is no check."""

    def __init__(self, targets: dict) -> None:
        self.t, self.rows = targets, {}

    def at_most(self, figure: str, value, key: str, unit: str = "") -> bool | None:
        return self._add(figure, value, key, "≤", unit, lambda v, t: v <= t)

    def at_least(self, figure: str, value, key: str, unit: str = "") -> bool | None:
        return self._add(figure, value, key, "≥", unit, lambda v, t: v >= t)

    def equal(self, figure: str, value, other, label: str) -> bool:
        ok = value == other
        self.rows[figure] = {"value": value, "target": f"= {other} ({label})", "ok": ok}
        return ok

    def _add(self, figure, value, key, sign, unit, test) -> bool | None:
        target = self.t.get(key)
        if target is None or value is None:
            return None
        ok = bool(test(value, target))
        self.rows[figure] = {"value": value, "target": f"{sign} {target}{unit}", "ok": ok}
        return ok


def _page_checks(c: _Checks, key: str, r: dict) -> None:
    p = f"pages.{key}"
    c.equal(f"{p}.queries", r["queries"], r["queries_small"], "the smaller data set")
    if key in LISTS:
        c.at_most(f"{p}.queries_budget", r["queries"], "queries")
    if r.get("queries_cold") is not None and r.get("queries_cold_small") is not None:
        # The request that rebuilds the page's cached fragments: the work, not the cache.
        c.equal(f"{p}.queries_cold", r["queries_cold"], r["queries_cold_small"], "cold, smaller")
        if key in LISTS:
            c.at_most(f"{p}.queries_cold_budget", r["queries_cold"], "queries")
    c.at_most(f"{p}.median_ms", r["median_ms"], "median_ms", " ms")
    c.at_most(f"{p}.p95_ms", r["p95_ms"], "p95_ms", " ms")
    c.at_most(f"{p}.growth_pct", r["growth_pct"], "growth_pct", " %")
    c.at_most(f"{p}.html_kb", round(r["bytes"] / 1024, 1), "html_kb", " KB")
    if "load" in r:
        c.at_most(f"{p}.errors", r["load"]["errors"], "_zero")
        ratio_key = "worklist_ratio" if key in WORKLIST else "ratio"
        c.at_least(f"{p}.ratio", r.get("ratio"), ratio_key, " × bare")


def _pdf_checks(c: _Checks, kind: str, p: dict) -> None:
    f = f"pdfs.{kind}"
    c.at_most(f"{f}.seconds", p["seconds"], "pdf_s", " s")
    c.at_most(f"{f}.peak_mb", p["peak_mb"], "pdf_mb", " MB")
    if "second_peak_mb" in p:  # laid out in two processes: each within the limit
        c.at_most(f"{f}.second_peak_mb", p["second_peak_mb"], "pdf_mb", " MB")
    c.at_most(f"{f}.repeat_ms", p["repeat_ms"], "repeat_ms", " ms")
    if p["pages"] >= LONG_TABLE_PAGES:
        c.at_least(f"{f}.pages_per_s", p["pages_per_s"], "pages_per_s", " pages/s")


def verdicts(result: dict) -> dict:
    """Long: every figure of ``result`` against its target: {"checks", "missed", "all_met"}."""
    c = _Checks({**result["targets"], "_zero": 0})
    for key, r in result.get("pages", {}).items():
        _page_checks(c, key, r)
    for kind, p in result.get("pdfs", {}).items():
        _pdf_checks(c, kind, p)
    d = result.get("document_job")
    if d:
        c.at_most("document_job.ask_ms", d["ask_ms"], "ask_ms", " ms")
        c.at_least("document_job.job_pages_per_s", d["job_pages_per_s"], "job_pages_per_s")
        c.at_most("document_job.repeat_ms", d["repeat_ms"], "stored_repeat_ms", " ms")
    if result.get("signing"):
        c.at_most("signing.added_ms", result["signing"]["added_ms"], "signing_ms", " ms")
    if result.get("reminders"):
        c.at_most("reminders.seconds", result["reminders"]["seconds"], "reminders_s", " s")
    if result.get("scoring"):
        c.at_most("scoring.seconds", result["scoring"]["seconds"], "results_s", " s")
    missed = [figure for figure, row in c.rows.items() if row["ok"] is False]
    return {"checks": c.rows, "missed": missed, "all_met": not missed}


def _cell(checks: dict, figure: str, value, width: int) -> str:
    row = checks.get(figure)
    return f"{value}{_tick(row['ok'] if row else None)}".rjust(width)


def _all_ok(checks: dict, prefix: str, names) -> bool:
    return all(checks.get(f"{prefix}.{n}", {"ok": True})["ok"] for n in names)


def _pages(result: dict, t: dict, checks: dict) -> list[str]:
    items = result["items"]
    worklist = t.get("worklist_ratio")
    lines = [
        f"Pages ({items['small']} → {items['full']} items, {result.get('bodies', 60)} bodies); "
        f"targets: queries ≤{t['queries']} on list pages (*) and equal at both sizes, median "
        f"≤{t['median_ms']} ms, p95 ≤{t.get('p95_ms', '-')} ms, growth ≤{t['growth_pct']} %, "
        f"HTML ≤{t.get('html_kb', '-')} KB, ≥{t.get('ratio', '-')} × bare "
        f"(≥{worklist} for the work list, item page and history: +), no errors; cold = the "
        "request that finds the cache empty (same query targets)",
        f"{'page':20} {'queries':>12} {'cold':>10} {'median ms':>10} {'p95 ms':>8} {'growth %':>9} "
        f"{'HTML KB':>8} {'req/s':>7} {'err':>4} {'× bare':>7}  verdict",
    ]
    for key, r in result["pages"].items():
        p = f"pages.{key}"
        load = r.get("load", {})
        mine = [row for figure, row in checks.items() if figure.startswith(p + ".")]
        queries_ok = _all_ok(checks, p, ("queries", "queries_budget"))
        cold_ok = _all_ok(checks, p, ("queries_cold", "queries_cold_budget"))
        cold = f"{r.get('queries_cold_small', '-')} → {r.get('queries_cold', '-')}"
        star = "*" if key in LISTS else " "
        name = f"{key}{'+' if key in WORKLIST else ''}"
        lines.append(
            f"{name:20} {star}{r['queries_small']:>3} → {r['queries']:<3}{_tick(queries_ok)}"
            f" {cold:>9}{_tick(cold_ok if 'queries_cold' in r else None)}"
            f" {_cell(checks, p + '.median_ms', r['median_ms'], 10)}"
            f" {_cell(checks, p + '.p95_ms', r['p95_ms'], 8)}"
            f" {_cell(checks, p + '.growth_pct', r['growth_pct'], 9)}"
            f" {_cell(checks, p + '.html_kb', round(r['bytes'] / 1024, 1), 8)}"
            f" {load.get('rps', '-'):>7}"
            f" {_cell(checks, p + '.errors', load.get('errors', '-'), 4)}"
            f" {_cell(checks, p + '.ratio', r.get('ratio', '-'), 7)}"
            f"  {_mark(all(row['ok'] for row in mine) if mine else None)}"
        )
    return lines + _bare(result.get("bare", {}))


def _bare(bare: dict) -> list[str]:
    """The bare page's row, and the range of its loads around the pages (since 4/12/2026)."""
    lines = [
        f"{'bare 50-row page':20} {'0':>13} {'':>10} {'':>10} {'':>8} {'':>9} {'':>8} "
        f"{bare.get('rps', '-'):>7} {bare.get('errors', '-'):>4} {'1.0':>7}"
    ]
    if "rps_min" in bare:
        lines.append(
            f"(bare page measured before and after each page: {bare['rps_min']}–"
            f"{bare['rps_max']} req/s, median above; each ratio is against its neighbours)"
        )
    return lines


def _pdfs(result: dict, t: dict, checks: dict) -> list[str]:
    lines = [
        f"PDFs; targets: ≤{t['pdf_s']} s, ≤{t['pdf_mb']} MB peak, long tables (≥"
        f"{LONG_TABLE_PAGES} pages) ≥{t['pages_per_s']} pages/s, repeat ≤{t['repeat_ms']} ms",
        f"{'kind':26} {'s':>7} {'pages':>6} {'pages/s':>9} {'peak MB':>9} {'repeat ms':>10}"
        f" {'ask ms':>9}  verdict",
    ]
    for kind, p in result["pdfs"].items():
        f = f"pdfs.{kind}"
        mine = [row["ok"] for figure, row in checks.items() if figure.startswith(f + ".")]
        ask = f"{p['ask_ms']}{' j' if p.get('by_job') else ''}" if "ask_ms" in p else "-"
        lines.append(
            f"{kind:26} {_cell(checks, f + '.seconds', p['seconds'], 7)} {p['pages']:>6}"
            f" {_cell(checks, f + '.pages_per_s', p['pages_per_s'], 9)}"
            f" {_cell(checks, f + '.peak_mb', p['peak_mb'], 9)}"
            f" {_cell(checks, f + '.repeat_ms', p['repeat_ms'], 10)} {ask:>9}  {_mark(all(mine))}"
        )
    lines.append("(ask ms: the request that asks; j = built by a job, run in the same process)")
    for kind, p in result["pdfs"].items():
        if "rounds_s" in p:
            rounds = ", ".join(f"{s} s" for s in p["rounds_s"])
            lines.append(f"({kind}: built {len(p['rounds_s'])} times, {rounds}; the median above)")
        if "second_peak_mb" in p:
            cell = _cell(checks, f"pdfs.{kind}.second_peak_mb", p["second_peak_mb"], 0)
            lines.append(f"({kind}: laid out in two processes, the second's peak {cell} MB)")
    return lines


def _ok(checks: dict, figure: str) -> bool | None:
    return checks[figure]["ok"] if figure in checks else None


def _rounds(d: dict) -> str:
    """The asks' times when the figure is their median."""
    if len(d.get("rounds_ready_s", [])) < 2:
        return ""
    return f" (median of {', '.join(str(s) for s in d['rounds_ready_s'])} s)"


def _document_job(result: dict, t: dict, checks: dict) -> list[str]:
    """Issue 13: the whole-year coordination status built by a real worker process."""
    d = result.get("document_job")
    if not d:
        return []
    return [
        f"Document job: whole-year coordination status, {d['items']} items, {d['pages']} pages",
        f"  asking → ready {d['ready_s']} s{_rounds(d)}; the request answered in {d['ask_ms']} ms "
        f"(target ≤{t.get('ask_ms', 1000)} ms)  {_mark(_ok(checks, 'document_job.ask_ms'))}",
        f"  the job: {d['job_s']} s after {d['queue_wait_s']} s in the queue, "
        f"{d['job_pages_per_s']} pages/s (goal ≥{t.get('job_pages_per_s', 20)})  "
        f"{_mark(_ok(checks, 'document_job.job_pages_per_s'))}",
        f"  worker peak {d['worker_peak_mb']} MB; repeat download {d['repeat_ms']} ms "
        f"(target ≤{t.get('stored_repeat_ms', 20)} ms)  "
        f"{_mark(_ok(checks, 'document_job.repeat_ms'))}",
    ]


def _signing(result: dict, t: dict, checks: dict) -> list[str]:
    """Issue 16: what signing adds to issuing a document."""
    s = result.get("signing")
    if not s:
        return []
    return [
        f"Signing (issue 16): a reminder letter to {s['body']} issued and stored by its job: "
        f"{s['signed_ms']} ms signed, {s['unsigned_ms']} ms unsigned",
        f"  added by signing {s['added_ms']} ms (target ≤{t.get('signing_ms', 300)} ms)  "
        f"{_mark(_ok(checks, 'signing.added_ms'))}; a worker's warm-up at start (its first "
        f"signature) {s['first_signature_ms']} ms",
    ]


def _phases(result: dict) -> list[str]:
    phases = result.get("phases_s")
    if not phases:
        return []
    return ["Phases of the run (s):", *(f"  {name:58} {s:>7}" for name, s in phases.items())]


def table(result: dict) -> str:
    """Long: the readable report of ``result``, every figure with its target and verdict."""
    t = result["targets"]
    checks = result.get("checks") or verdicts(result)["checks"]
    missed = [figure for figure, row in checks.items() if row["ok"] is False]
    reminders = result["reminders"]
    lines = [
        f"Benchmark {result['date']} on {result['db']}, scale {result['scale']}, "
        f"{result.get('bodies', 60)} bodies, {result.get('cache', 'database')} cache "
        f"(data generated in {result['generate_s']['full']} s)",
        "",
        *_pages(result, t, checks),
        "",
        *_pdfs(result, t, checks),
        "",
        *_document_job(result, t, checks),
        "",
        *_signing(result, t, checks),
        "",
        f"send_reminders over all items: {reminders['seconds']} s "
        f"(target ≤{t['reminders_s']} s)  {_mark(_ok(checks, 'reminders.seconds'))}",
        f"scoring results of a period ({result['scoring']['assessments']} bodies): "
        f"{result['scoring']['seconds']} s (target ≤{t['results_s']} s)  "
        f"{_mark(_ok(checks, 'scoring.seconds'))}",
        "",
        *_phases(result),
        "",
        f"{len(checks) - len(missed)} of {len(checks)} figures meet their targets"
        + (f"; missed: {', '.join(missed)}" if missed else ": all met"),
    ]
    return "\n".join(lines)
