"""The bench harness (issue 14): scale 5 means 100,000 items and 150 bodies, compared with
20,000 items of the same bodies; every figure is checked against its target, printed beside
it and written with its verdict; an older result is judged by its own day's targets."""

from __future__ import annotations

import copy
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from bench.report import _bare, table, verdicts
from bench.run import TARGETS, Phases, bodies_for, data_options, small_scale_for
from bench.scale_data import Plan
from scoring.models import Assessment


def test_scale_five_is_a_merged_province_compared_with_twenty_thousand_items():
    assert (Plan.scaled(5, bodies=bodies_for(5)).items, bodies_for(5)) == (100_000, 150)
    assert Plan.scaled(small_scale_for(5)).items == 20_000
    assert (bodies_for(1), bodies_for(0.1), small_scale_for(1)) == (60, 60, 0.1)
    assert data_options(1, 60) == []
    assert data_options(5, 150) == ["--scored-bodies", "149", "--report-bodies", "149"]


@pytest.mark.django_db
def test_every_body_can_be_scored():
    call_command(
        "generate_scale_data",
        *("--scale", "0.001", "--bodies", "6", "--users-per-body", "2", "--criteria", "10"),
        *("--scored-bodies", "5", "--report-bodies", "5"),
        stdout=StringIO(),
    )
    assert Assessment.objects.values("agency").distinct().count() == 5


def _page(**figures):
    row = {
        "url": "/",
        "user": "u",
        "queries": 7,
        "queries_small": 7,
        "bytes": 30 * 1024,
        "median_ms": 20.0,
        "median_ms_small": 19.0,
        "p95_ms": 40.0,
        "growth_pct": 5.3,
        "queries_cold": 9,
        "queries_cold_small": 9,
        "load": {"rps": 400.0, "requests": 2000, "errors": 0},
        "ratio": 0.4,
    }
    return {**row, **figures}


def _pdf(**figures):
    row = {"seconds": 2.0, "pages": 40, "pages_per_s": 20.0, "peak_mb": 250.0}
    return {**row, "repeat_ms": 10.0, **figures}


RESULT = {
    "date": "2026-12-03",
    "db": "postgres",
    "scale": 1.0,
    "bodies": 60,
    "cache": "redis",
    "targets": TARGETS,
    "generate_s": {"small": 10.0, "full": 50.0},
    "items": {"small": 2000, "full": 20000},
    "pages": {"work_list_home": _page(), "scoring_entry": _page(ratio=0.25)},
    "bare": {"rps": 1000.0, "requests": 5000, "errors": 0},
    "pdfs": {"coordination_status_year": _pdf(), "reminder": _pdf(pages=2, pages_per_s=5.0)},
    "reminders": {"seconds": 3.2},
    "scoring": {"seconds": 0.05, "assessments": 30},
    "phases_s": {"pages": 20.0, "total": 600.0},
}


def test_figures_that_meet_issue_14s_targets_pass():
    v = verdicts(RESULT)
    assert v["all_met"] and v["missed"] == []
    assert v["checks"]["pages.work_list_home.median_ms"] == {
        "value": 20.0,
        "target": "≤ 30 ms",
        "ok": True,
    }
    assert v["checks"]["pages.scoring_entry.ratio"]["target"] == "≥ 0.2 × bare"
    assert "pdfs.reminder.pages_per_s" not in v["checks"]  # not a long table


@pytest.mark.parametrize(
    ("page", "figures", "missed"),
    [
        ("work_list_home", {"median_ms": 31.0}, "pages.work_list_home.median_ms"),
        ("work_list_home", {"p95_ms": 51.0}, "pages.work_list_home.p95_ms"),
        ("work_list_home", {"growth_pct": 15.1}, "pages.work_list_home.growth_pct"),
        ("work_list_home", {"bytes": 41 * 1024}, "pages.work_list_home.html_kb"),
        (
            "work_list_home",
            {"queries": 13, "queries_small": 13},
            "pages.work_list_home.queries_budget",
        ),
        ("work_list_home", {"queries_small": 6}, "pages.work_list_home.queries"),
        ("work_list_home", {"ratio": 0.29}, "pages.work_list_home.ratio"),
        ("scoring_entry", {"ratio": 0.19}, "pages.scoring_entry.ratio"),
        (
            "work_list_home",
            {"queries_cold": 10, "queries_cold_small": 9},
            "pages.work_list_home.queries_cold",
        ),
        (
            "work_list_home",
            {"queries_cold": 13, "queries_cold_small": 13},
            "pages.work_list_home.queries_cold_budget",
        ),
        ("scoring_entry", {"queries_small": 13}, "pages.scoring_entry.queries"),
    ],
)
def test_each_page_figure_is_checked(page, figures, missed):
    result = copy.deepcopy(RESULT)
    result["pages"][page].update(figures)
    assert verdicts(result)["missed"] == [missed]


def test_no_query_budget_on_a_detail_page():
    result = copy.deepcopy(RESULT)
    result["pages"]["scoring_entry"].update(queries=14, queries_small=14)
    assert verdicts(result)["all_met"]


@pytest.mark.parametrize(
    ("where", "figures", "missed"),
    [
        ("pdfs", {"pages_per_s": 19.9}, "pdfs.coordination_status_year.pages_per_s"),
        ("pdfs", {"peak_mb": 301.0}, "pdfs.coordination_status_year.peak_mb"),
        ("pdfs", {"second_peak_mb": 301.0}, "pdfs.coordination_status_year.second_peak_mb"),
        ("pdfs", {"repeat_ms": 21.0}, "pdfs.coordination_status_year.repeat_ms"),
        ("reminders", {"seconds": 5.1}, "reminders.seconds"),
        ("scoring", {"seconds": 0.21}, "scoring.seconds"),
    ],
)
def test_documents_and_commands_are_checked(where, figures, missed):
    result = copy.deepcopy(RESULT)
    target = result[where]["coordination_status_year"] if where == "pdfs" else result[where]
    target.update(figures)
    assert verdicts(result)["missed"] == [missed]


def test_the_table_prints_each_target_beside_its_figure_and_the_phases():
    result = copy.deepcopy(RESULT)
    result["pages"]["work_list_home"]["median_ms"] = 31.0
    text = table({**result, **verdicts(result)})
    assert "median ≤30 ms, p95 ≤50 ms, growth ≤15 %, HTML ≤40 KB, ≥0.2 × bare" in text
    assert "31.0✗" in text and "MISSED" in text
    assert "send_reminders over all items: 3.2 s (target ≤5 s)  OK" in text
    assert "(target ≤0.2 s)  OK" in text
    assert "total" in text and "600.0" in text
    assert "missed: pages.work_list_home.median_ms" in text


def test_an_older_result_is_judged_by_its_own_targets():
    older = copy.deepcopy(RESULT)
    older["targets"] = {"queries": 12, "median_ms": 60, "growth_pct": 30, "worklist_ratio": 0.4}
    older["targets"] |= {"pdf_s": 5, "pdf_mb": 300, "pages_per_s": 10, "repeat_ms": 50}
    older["targets"] |= {"reminders_s": 10, "results_s": 1}
    for key in ("bodies", "cache", "phases_s"):
        del older[key]
    for key in ("queries_cold", "queries_cold_small"):
        del older["pages"]["work_list_home"][key]
    older["pages"]["work_list_home"]["median_ms"] = 45.0
    v = verdicts(older)
    assert v["missed"] == []  # 45 ms met issue 7's 60 ms; no p95 or HTML target then
    assert "pages.work_list_home.p95_ms" not in v["checks"]
    assert "pages.work_list_home.queries_cold" not in v["checks"]
    assert "60 bodies, database cache" in table(older)


def test_phases_are_timed():
    phases = Phases()
    with phases("pages"):
        pass
    assert set(phases.total()) == {"pages", "total"}


def test_each_page_is_compared_with_the_bare_page_loaded_just_before_and_after_it(monkeypatch):
    from bench import run

    class Server:
        def terminate(self):
            pass

        def wait(self, timeout):
            pass

    bare_rates = iter([800.0, 1000.0, 600.0])  # the machine slows down during the run
    calls = []

    def load(path, cookie, *, seconds, threads=4):
        calls.append((path, seconds))
        if seconds == run.WARM_UP_S:
            return {"rps": 1.0, "requests": 1, "errors": 1}  # a warm-up: never counted
        rps = next(bare_rates) if path == "/__bench__/bare/" else 300.0
        return {"rps": rps, "requests": int(rps * seconds), "errors": 0}

    monkeypatch.setattr(run, "start_gunicorn", lambda env: Server())
    monkeypatch.setattr(run, "load", load)
    result = {"pages": {"a": {"url": "/a/", "cookie": "c"}, "b": {"url": "/b/", "cookie": "c"}}}
    run.throughput(result, {}, seconds=5, rounds=1)

    bare = "/__bench__/bare/"
    assert [p for p, s in calls if s == 5] == [bare, "/a/", bare, "/b/", bare]
    assert [p for p, s in calls if s == run.WARM_UP_S] == ["/__bench__/bare/", "/a/", "/b/"]
    a, b = result["pages"]["a"], result["pages"]["b"]
    assert (a["bare_rps"], a["ratio"]) == (900.0, 0.333)
    assert (b["bare_rps"], b["ratio"]) == (800.0, 0.375)
    assert result["bare"] == {
        "rps": 800.0,
        "rps_min": 600.0,
        "rps_max": 1000.0,
        "requests": 12000,
        "errors": 0,
    }
    assert "cookie" not in a
    assert "600.0–1000.0 req/s" in "\n".join(_bare(result["bare"]))


def test_growth_compares_both_data_sets_measured_in_turn(monkeypatch):
    from bench import run

    calls = []
    # the machine's speed moves from one round to the next: (small, full) median and p95
    figures = iter(
        [((4.0, 6.0), (4.4, 6.2)), ((8.0, 9.0), (8.8, 9.5)), ((6.0, 7.0), (6.6, 7.4))]
        + [((5.0, 6.5), (5.5, 6.8)), ((7.0, 8.0), (7.7, 8.2))]
    )

    def pages_in_step(small_env, env, samples, first):
        calls.append(("pages", small_env["name"], env["name"], samples, first))
        return tuple(
            {"pages": {"a": {"median_ms": median, "p95_ms": p95}}, "items": 1}
            for median, p95 in next(figures)
        )

    monkeypatch.setattr(run, "pages_in_step", pages_in_step)
    monkeypatch.setattr(run, "flush_cache", lambda cache: calls.append(("flush", cache)))
    small, full = run.pages_in_turn({"name": "small"}, {"name": "full"}, "redis://x", 30)

    assert run.GROWTH_ROUNDS == 5
    flush = ("flush", "redis://x")
    assert calls == [
        flush,
        ("pages", "small", "full", 30, 0),
        flush,
        ("pages", "small", "full", 30, 1),
    ] * 2 + [flush, ("pages", "small", "full", 30, 0)]
    assert small["pages"]["a"]["median_ms"] == 6.0 and full["pages"]["a"]["median_ms"] == 6.6
    assert full["pages"]["a"]["p95_ms"] == 7.4
    assert full["pages"]["a"]["rounds_median_ms"] == [4.4, 8.8, 6.6, 5.5, 7.7]
    # each round's growth is +10 %, whatever the machine's speed in that round
    small_rounds = small["pages"]["a"]["rounds_median_ms"]
    assert run.growth_pct(full["pages"]["a"]["rounds_median_ms"], small_rounds) == 10.0
    # one slow round does not decide: medians 5 → 5.25 (+5 %), one round +60 %
    assert run.growth_pct([5.2, 8.0, 5.3], [5.0, 5.0, 5.0]) == 6.0


def test_the_two_data_sets_take_turns_page_by_page(tmp_path, monkeypatch):
    """``pages_in_step`` lets one process measure a part of a page, then the other the same
    part, and never both at once, each going first on every other turn; it returns their
    results."""
    from bench import run

    log = tmp_path / "log"
    script = tmp_path / "measure.py"
    script.write_text(
        "import json, os, sys\n"
        "for page in ('a', 'b'):\n"
        "    print('noise')\n"
        "    print('turn ' + page, flush=True)\n"
        "    sys.stdin.readline()\n"
        "    with open(os.environ['LOG'], 'a') as f:\n"
        "        f.write(os.environ['NAME'] + ':' + page + '\\n')\n"
        "keys = os.environ['BENCH_CACHE_PREFIX']\n"
        "print(json.dumps({'name': os.environ['NAME'], 'keys': keys}))\n"
    )
    monkeypatch.setattr(run, "__file__", str(script))
    small, full = run.pages_in_step(
        {"NAME": "small", "LOG": str(log)}, {"NAME": "full", "LOG": str(log)}, 30
    )
    # each keeps its cache keys under its own prefix (bench.settings)
    assert (small, full) == ({"name": "small", "keys": "small"}, {"name": "full", "keys": "full"})
    assert log.read_text().split() == ["small:a", "full:a", "full:b", "small:b"]
    log.unlink()
    run.pages_in_step({"NAME": "small", "LOG": str(log)}, {"NAME": "full", "LOG": str(log)}, 30, 1)
    assert log.read_text().split() == ["full:a", "small:a", "small:b", "full:b"]


@pytest.mark.django_db
def test_a_page_is_measured_in_turns_of_a_few_requests(chair_focal):
    """In step, a page's cold request, its warm-up and every ``SLICE`` timed requests wait
    for the process's turn; the figures are those of the timed requests."""
    from bench import measure

    steps = []
    row = measure._page("/", chair_focal, 12, cold=True, turn=steps.append)
    assert steps == ["cold", "warm", "slice 0", "slice 1", "slice 2"]
    assert measure.SLICE == 5
    assert row["queries_cold"] > row["queries"] > 0 and row["median_ms"] > 0


def test_a_documents_seconds_end_when_its_file_is_ready(monkeypatch):
    """What the worker does after the job is done (its collection, the queue's bookkeeping)
    is not the user's wait: the build's seconds leave it out."""
    from bench import measure

    clock = iter([100.0, 103.2])  # asked at 100 s, downloaded at 103.2 s
    monkeypatch.setattr(measure.time, "perf_counter", lambda: next(clock))
    downloaded = SimpleNamespace(status_code=200)
    monkeypatch.setattr(measure, "_ask_here", lambda client, url: (downloaded, 31.0, 7, 0.2))
    assert measure._build(None, "/x.pdf") == (downloaded, 31.0, 7, pytest.approx(3.0))


def test_a_document_laid_out_in_two_processes_shows_the_second_ones_peak():
    result = copy.deepcopy(RESULT)
    result["pdfs"]["coordination_status_year"]["second_peak_mb"] = 190.5
    text = table({**result, **verdicts(result)})
    assert (
        "(coordination_status_year: laid out in two processes, the second's peak 190.5✓ MB)" in text
    )


def test_throughput_takes_each_pages_median_round(monkeypatch):
    from bench import run

    class Server:
        def terminate(self):
            pass

        def wait(self, timeout):
            pass

    # page /a/ per round: 300, 100 (a busy neighbour), 330 req/s; the bare page steady
    rates = iter([300.0, 100.0, 330.0])
    calls = []

    def load(path, cookie, *, seconds, threads=4):
        calls.append((path, seconds))
        if seconds == run.WARM_UP_S:
            return {"rps": 1.0, "requests": 1, "errors": 0}
        rps = 1000.0 if path == "/__bench__/bare/" else next(rates)
        return {"rps": rps, "requests": int(rps * seconds), "errors": 0}

    monkeypatch.setattr(run, "start_gunicorn", lambda env: Server())
    monkeypatch.setattr(run, "load", load)
    result = {"pages": {"a": {"url": "/a/", "cookie": "c"}}}
    run.throughput(result, {}, seconds=5, rounds=3)

    bare = "/__bench__/bare/"
    assert [p for p, s in calls if s == 5] == [bare, "/a/", bare, "/a/", bare, "/a/", bare]
    a = result["pages"]["a"]
    assert a["ratios"] == [0.3, 0.1, 0.33] and a["ratio"] == 0.3
    assert a["load"] == {"rps": 300.0, "requests": 3650, "errors": 0}


def test_a_long_tables_figure_is_its_median_build_and_every_build_is_printed():
    result = copy.deepcopy(RESULT)
    result["pdfs"]["coordination_status_year"].update(rounds_s=[2.4, 2.0, 3.1], seconds=2.4)
    result["document_job"] = {
        "items": 20000,
        "pages": 59,
        "ready_s": 2.9,
        "rounds_ready_s": [3.4, 2.9, 2.8],
        "ask_ms": 20.0,
        "job_s": 2.5,
        "queue_wait_s": 0.1,
        "job_pages_per_s": 23.6,
        "worker_peak_mb": 220.0,
        "repeat_ms": 10.0,
    }
    text = table({**result, **verdicts(result)})
    built = "(coordination_status_year: built 3 times, 2.4 s, 2.0 s, 3.1 s; the median above)"
    assert built in text
    assert "asking → ready 2.9 s (median of 3.4, 2.9, 2.8 s); the request answered" in text
    # a kind built once (not a long table) prints no rounds
    assert "reminder: built" not in text
