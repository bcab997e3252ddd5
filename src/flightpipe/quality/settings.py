"""``[quality.<rule>]`` settings, built from the rule declarations so that a rule is declared in one place.

Each configurable rule gets a strict model with ``level`` (the levels it allows), ``threshold`` (only if it
has one, within its range) and ``off`` (only if it may be turned off). Unknown rules and keys are errors that
name the key, like every other setting::

    [quality.volume_band]
    threshold = 0.5          # FLIGHTPIPE__QUALITY__VOLUME_BAND__THRESHOLD=0.5
    [quality.status_known]
    level = "fail"
    [quality.duplicate_records]
    off = true
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from flightpipe.quality.api import Level, Rule, RuleConfig
from flightpipe.quality.rules import RULES


class RuleSettingsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QualitySettingsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def rule_config(self, name: str) -> RuleConfig:
        """The effective settings of rule ``name`` (its declaration's defaults where nothing is set)."""
        rule = RULES[name]
        chosen = getattr(self, name, None)
        if chosen is None:
            return rule.default_config()
        return RuleConfig(
            name=name,
            level=Level(getattr(chosen, "level", rule.level.value)),
            threshold=getattr(chosen, "threshold", None),
            off=bool(getattr(chosen, "off", False)),
        )

    def rule_configs(self) -> dict[str, RuleConfig]:
        return {name: self.rule_config(name) for name in RULES}


def _rule_model(rule: Rule) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    if not rule.report_only:  # a report never fires, so a level would mean nothing
        fields["level"] = (
            Literal[tuple(level.value for level in rule.levels)],
            Field(default=rule.level.value, description=f"warn or fail; default {rule.level.value}"),
        )
    if rule.threshold is not None:
        fields["threshold"] = (
            float,
            Field(
                default=rule.threshold.default,
                ge=rule.threshold.minimum,
                le=rule.threshold.maximum,
                description=rule.threshold.meaning,
            ),
        )
    if rule.can_turn_off:
        fields["off"] = (bool, Field(default=False, description="true: the rule is not evaluated"))
    validators: dict[str, Any] = {}
    if rule.fixed_because:
        reason = rule.fixed_because

        def fixed(value: Any) -> Any:
            if value != Level.FAIL.value:
                raise ValueError(f"{rule.name} is always fail ({reason}); allowed: 'fail' (got {value!r})")
            return value

        validators["_level_is_fixed"] = field_validator("level", mode="before")(fixed)
    model: type[BaseModel] = create_model(
        f"{rule.name.title().replace('_', '')}Settings",
        __base__=RuleSettingsBase,
        __validators__=validators,
        __doc__=rule.summary,
        **fields,
    )
    return model


def _quality_model() -> type[QualitySettingsBase]:
    fields: dict[str, Any] = {}
    for rule in RULES.values():
        if rule.configurable:
            model = _rule_model(rule)
            fields[rule.name] = (model, Field(default_factory=model, description=rule.summary))
    built: type[QualitySettingsBase] = create_model("QualitySettings", __base__=QualitySettingsBase, **fields)
    return built


if TYPE_CHECKING:
    QualitySettings = QualitySettingsBase
else:
    QualitySettings = _quality_model()
