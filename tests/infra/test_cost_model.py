"""`cakap aws cost` prices infra/cost-model.json with infra/prices.json (issue 7). The model's
resource quantities must match what the templates deploy, and every price it names must exist
for its region, so the estimate cannot drift from the infrastructure silently."""

from __future__ import annotations

import glob
import json

from cfn_model import ROOT, resources, stacks, template

MODEL = json.loads((ROOT / "infra" / "cost-model.json").read_text())
PRICES = json.loads((ROOT / "infra" / "prices.json").read_text())


def deployed_count(pattern: str, resource_type: str) -> int:
    total = 0
    for path in sorted(glob.glob(str(ROOT / pattern))):
        relative = path.split("infra/cloudformation/", 1)[1]
        total += len(resources(template(relative), resource_type))
    return total


def test_every_checked_quantity_matches_the_templates() -> None:
    checked = [item for item in MODEL["items"] if "check" in item]
    assert len(checked) >= 15
    for item in checked:
        check = item["check"]
        assert deployed_count(check["template"], check["type"]) == check["count"], item["item"]


def test_instances_and_volumes_follow_the_template_defaults() -> None:
    fleet = template("common/fleet.yaml")
    assert fleet["Parameters"]["WorkerInstanceType"]["Default"] == "t2.large"
    volume = fleet["Parameters"]["WorkerVolumeSize"]["Default"]
    workers = [item for item in MODEL["items"] if item["price"] == "ec2.t2.large.hour"]
    assert sum(item["quantity"] for item in workers) == 12  # 3 pools x 2 zones x 2 regions (R-LLM-1)
    volumes = [item for item in MODEL["items"] if item["item"].startswith("worker root volumes")]
    assert all(item["quantity"] == 6 * volume for item in volumes)
    database = template("us-east-1/database.yaml")
    assert database["Parameters"]["DatabaseInstanceClass"]["Default"] == "db.t3.micro"


def test_every_region_with_stacks_is_priced_and_every_price_exists() -> None:
    regions = {entry["region"] for entry in stacks()}
    assert {item["region"] for item in MODEL["items"]} == regions
    for item in MODEL["items"]:
        assert item["region"] in PRICES["prices"][item["price"]], item
        assert item["per"] in ("hour", "month")
    assert PRICES["source"] and PRICES["recorded"]
