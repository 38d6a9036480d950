"""Unit tests of the bench's pure parts: statistics, ratios, the HAProxy configuration from the
topology, and the report (issue 8: "the bench code itself is covered by a quick smoke test")."""

from __future__ import annotations

import json
import math
import re

import pytest
from anchors import alb_pattern_regex, haproxy_config
from conftest import REPOSITORY
from report import goals, render
from stats import Spread, decode_rate, format_number, format_ratio, goal_text, percentile, ratio


def test_percentile_interpolates_between_closest_ranks_like_numpy() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 25) == 2.0
    assert percentile([1.0, 2.0], 50) == 1.5
    assert percentile(list(map(float, range(1, 101))), 99) == pytest.approx(99.01)
    assert percentile([7.0], 95) == 7.0


def test_percentile_refuses_no_values_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_spread_is_min_median_max_and_prints_the_median_first() -> None:
    spread = Spread.of([3.0, 1.0, 2.0, 10.0, 4.0])
    assert (spread.minimum, spread.median, spread.maximum, spread.runs) == (1.0, 3.0, 10.0, 5)
    assert spread.text() == "3.0 (1.0–10.0)"
    assert Spread.of([1234.5]).text(0) == "1,234"  # one run: no range
    with pytest.raises(ValueError):
        Spread.of([])


def test_ratio_and_its_text_never_divide_by_zero() -> None:
    assert ratio(194.0, 200.0) == pytest.approx(0.97)
    assert format_ratio(ratio(194.0, 200.0)) == "0.97×"
    assert math.isnan(ratio(1.0, 0.0))
    assert format_ratio(ratio(1.0, 0.0)) == "–"
    assert format_number(math.nan) == "–"
    assert format_number(12345.678, 2) == "12,345.68"
    assert goal_text(True) == "holds" and goal_text(False) == "**missed**" and goal_text(None) == "not measured"


def test_decode_rate_counts_tokens_after_the_first() -> None:
    assert decode_rate(11, 1.0, 2.0) == 10.0
    assert math.isnan(decode_rate(1, 1.0, 2.0))


def test_alb_patterns_become_anchored_regular_expressions() -> None:
    assert re.match(alb_pattern_regex("/api/*"), "/api/tags")
    assert not re.match(alb_pattern_regex("/api/*"), "/apix")
    assert re.match(alb_pattern_regex("/"), "/") and not re.match(alb_pattern_regex("/"), "/x")
    assert re.match(alb_pattern_regex("/a?c"), "/abc") and not re.match(alb_pattern_regex("/a.c"), "/abc")


def test_haproxy_gets_the_same_path_rules_as_the_balancer() -> None:
    """R-LLM-5: /api/chat → chat, /api/generate → scoring, /api/* → llm, / → 200 'its worked!'."""
    config = haproxy_config(REPOSITORY / "config" / "topology.json", 32001,
                            {pool: ["127.0.0.1:32002"] for pool in ("chat", "scoring", "llm")})
    lines = config.splitlines()
    forwards = [line.strip() for line in lines if line.strip().startswith("use_backend")]
    assert forwards == ["use_backend chat if rule10", "use_backend scoring if rule20", "use_backend llm if rule30"]
    assert 'string "its worked!" if rule40 !rule10 !rule20 !rule30' in config
    assert "status 404" in config and "if !rule10 !rule20 !rule30 !rule40" in config
    # HAProxy runs http-request rules first wherever they stand; keep them first in the file.
    assert max(i for i, l in enumerate(lines) if "http-request" in l) < min(i for i, l in enumerate(lines) if "use_backend" in l)
    assert config.count("option httpchk GET /health/ready") == 3
    assert "bind 127.0.0.1:32001" in config


def figure(value: float, runs: int = 5) -> dict:
    return {"min": value * 0.9, "median": value, "max": value * 1.1, "runs": runs}


def sample_document() -> dict:
    level = lambda worker, engine: {
        "worker": {"total_tokens_per_second": figure(worker), "ttft_p50_ms": figure(50), "ttft_p95_ms": figure(80)},
        "engine": {"total_tokens_per_second": figure(engine), "ttft_p50_ms": figure(40), "ttft_p95_ms": figure(70)}}
    target = lambda p50, p99: {"p50_ms": figure(p50), "p99_ms": figure(p99), "errors": 0,
                               "added_p50_ms": figure(p50 - 1), "added_p99_ms": figure(p99 - 2)}
    return {
        "facts": {"date": "2026-11-30 01:00 UTC", "cpu": "Test CPU", "cores": 2, "memory_gib": 23.4, "kernel": "6.1",
                  "commit": "abc", "load_average": "1.00 1.00 1.00", "load_average_end": "2.00 2.00 2.00"},
        "command": "cakap bench", "commands": ["cakap worker --port 1"], "quick": False, "runs": 5, "total_s": 600,
        "sections": [], "errors": {}, "durations_s": {"stream": 10}, "logs": "/tmp/x",
        "memory_kib": {"idle": {"worker": 20480}, "loaded": {"worker": 40960, "worker/llama-server": 204800}},
        "results": {
            "stream": {"model": "m", "threads": 2, "parallel": 4, "context_per_slot": 2048, "tokens": 128,
                       "worker": {"decode_tokens_per_second": figure(190), "ttft_ms": figure(30)},
                       "engine": {"decode_tokens_per_second": figure(200), "ttft_ms": figure(25)}},
            "concurrency": {"tokens_per_stream": 128, "levels": {"1": level(130, 130), "4": level(230, 229)}},
            "overhead": {"seconds_per_rate": 4, "rates": [500], "latency": {"500": {
                "direct": {"p50_ms": figure(1), "p99_ms": figure(2), "errors": 0},
                "lb": target(1.3, 3.5), "haproxy": target(1.1, 2.5), "edge": target(1.8, 6)}},
                "saturation_rps": {"direct": figure(9000), "lb": figure(4000), "haproxy": figure(10000), "edge": figure(2000)},
                "chat_ttft_ms": {"direct": figure(30), "lb": figure(31)}, "chat_ttft_added_ms": {"lb": figure(1)},
                "haproxy_config": "global\n"},
            "conversations": {"rate": 200, "seconds_per_run": 5, "vectors": 100000, "insert_seconds": 60, "index_seconds": 120,
                              "operations": {"list": {"p50_ms": figure(2), "p99_ms": figure(3), "errors": 0}},
                              "similar": {"queries_per_run": 100, "p50_ms": figure(5), "p95_ms": figure(6)}},
            "tutor": {"model": "gemma3:270m", "messages_per_run": 6, "p50_ms": figure(3300), "p95_ms": figure(4100),
                      "all_messages": {"count": 30, "p50_ms": 3300, "p95_ms": 4100}},
        },
    }  # fmt: skip


def test_goals_say_which_hold() -> None:
    rows = {row[0]: row for row in goals(sample_document()["results"])}
    assert rows["worker ÷ engine, decode tokens/s"][2:] == ["0.95×", "**missed**"]
    assert rows["4 chats ÷ 1 chat, worker total tokens/s"][3] == "holds"
    assert rows["balancer: added p50 at 500 req/s"][2:] == ["0.30 ms", "holds"]
    assert rows["balancer: added p99 at 500 req/s"][2:] == ["1.50 ms", "holds"]
    assert rows["edge (+ balancer): added p99 at 500 req/s"][2:] == ["4.00 ms", "**missed**"]
    assert rows["balancer saturation ÷ HAProxy"][2:] == ["0.40×", "**missed**"]
    assert rows["/similar over 100,000 vectors, p95"][3] == "holds"


def test_report_has_every_section_with_figures() -> None:
    text = render(sample_document())
    for heading in ("## Machine", "## Goals", "## 1. Worker vs engine", "## 2. Concurrent chats", "## 3. Balancer and edge",
                    "## 4. Conversations API", "## 5. Tutor feedback", "## 6. Resident memory", "## How it was measured"):
        assert heading in text
    assert "190.0 (171.0–209.0)" in text  # median (min–max)
    assert "| `worker/llama-server` | – | 200.0 |" in text
    assert "cakap worker --port 1" in text
    json.dumps(sample_document())  # the raw document is JSON


def test_the_hand_written_notes_survive_a_new_report() -> None:
    from report import KEPT_MARKER, keep_notes

    previous = render(sample_document()) + "\n" + KEPT_MARKER + "\n\n## Findings\n\nThe pool was too small.\n"
    kept = keep_notes(previous)
    assert kept.startswith("\n" + KEPT_MARKER) and "The pool was too small." in kept
    assert keep_notes(render(sample_document())) == "" and keep_notes(None) == ""
