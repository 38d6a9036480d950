"""`cakap up` stops everything it started (issue 3 deliverable 5): SIGTERM on the full fleet, SIGINT
(Ctrl-C) on a `--small` one; no worker, balancer, edge or `llama-server` may remain. Runs last
(FLEET_PHASE 2): the first test ends the shared fleet."""

from __future__ import annotations

import signal

from cakap_testing.fleet_process import POOLS, REGIONS, Fleet

FLEET_PHASE = 2


def test_sigterm_stops_every_process(fleet):
    """Issue 3 deliverable 5: SIGTERM → `cakap up` exits within the bound, leaving no child (by pid
    and start time), no process naming one of its ports, and no orphaned llama-server."""
    report = fleet.stop(signal.SIGTERM)
    fleet.shutdown_checked = True
    assert not report.timed_out, f"cakap up still ran {report.seconds:.0f} s after SIGTERM"
    assert report.leftovers == [], "left running after SIGTERM:\n" + "\n".join(report.leftovers)


def test_small_fleet_starts_and_sigint_stops_it(setup_store, tmp_path):
    """Issue 3 deliverable 5: `cakap up --small` runs one worker per pool (zone a) per region,
    answers `its worked!` on each balancer, and Ctrl-C (SIGINT) stops every process it started."""
    fleet = Fleet(tmp_path, small=True)
    try:
        fleet.start()
        for region in REGIONS:
            pools = fleet.region(region)["pools"]
            assert sorted(pools) == sorted(POOLS)
            assert all([worker["zone"] for worker in pools[pool]] == ["a"] for pool in POOLS), pools
            assert fleet.get(fleet.balancer(region) + "/").text == "its worked!"
    finally:
        report = fleet.stop(signal.SIGINT)
    assert not report.timed_out, f"cakap up still ran {report.seconds:.0f} s after SIGINT"
    assert report.leftovers == [], "left running after SIGINT:\n" + "\n".join(report.leftovers)
