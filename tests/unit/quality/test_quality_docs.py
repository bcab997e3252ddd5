"""docs/quality.md stays true: every declared rule is in its table with its level and default threshold."""

from __future__ import annotations

import re

from flightpipe.quality.rules import RULES
from flightpipe.sources.simulated.defects import DefectSettings
from tests.conftest import REPO

DOC = (REPO / "docs" / "quality.md").read_text(encoding="utf-8")


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.splitlines():
        match = re.match(r"^\| `([a-z_]+)` \|", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip("|").split("|")]
    return rows


def test_every_rule_is_documented_with_its_kind_scope_level_and_threshold() -> None:
    rows = _rows()
    for rule in RULES.values():
        assert rule.name in rows, rule.name
        _, kind, scope, level, threshold, *_ = rows[rule.name]
        assert kind == str(rule.kind) and scope == ", ".join(str(s) for s in rule.scopes), rule.name
        expected_level = "report" if rule.report_only else str(rule.level)
        assert level.startswith(expected_level), (rule.name, level)
        assert ("(fixed)" in level) == (rule.fixed_because is not None), rule.name
        if rule.threshold is None:
            assert threshold == "-", rule.name
        else:
            assert threshold.startswith(f"{rule.threshold.default:g}"), (rule.name, threshold)
            assert f"({rule.threshold.minimum:g}-{rule.threshold.maximum:g})" in threshold, (rule.name, threshold)


def test_every_defect_kind_is_documented() -> None:
    rows = _rows()
    for kind in DefectSettings.model_fields:
        assert kind in rows, kind
