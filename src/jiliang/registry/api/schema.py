"""OpenAPI naming the settings should carry: several tables have a ``status`` or a
``level`` with different choices, so drf-spectacular needs their enum names.
Add to ``SPECTACULAR_SETTINGS``: ``"ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES``
(as the dotted strings below, so settings need not import models)."""

ENUM_NAME_OVERRIDES = {
    "RegionLevelEnum": "jiliang.registry.models.Region.Level",
    "ReferenceMaterialLevelEnum": "jiliang.registry.models.ReferenceMaterial.Level",
    "StandardStatusEnum": "jiliang.registry.models.MeasurementStandard.Status",
    "SpecificationStatusEnum": "jiliang.registry.models.Specification.Status",
    "InstrumentStatusEnum": "jiliang.registry.models.Instrument.Status",
}
