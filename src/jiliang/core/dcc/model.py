"""The certificate record: plain dataclasses the builder turns into a DCC.

Multilingual text is a mapping ``{"zh": "…", "en": "…"}`` (ISO 639-1 code -> text); it
becomes ``dcc:content`` elements with the schema's ``lang`` attribute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass, field

from jiliang.core.dcc.errors import DccError

Text = dict[str, str]


@dataclass(frozen=True)
class Software:
    name: Text
    release: str
    type: str | None = "application"


@dataclass(frozen=True)
class Identification:
    issuer: str  # manufacturer | calibrationLaboratory | customer | owner | other
    value: str
    name: Text | None = None


@dataclass(frozen=True)
class Location:
    city: str | None = None
    country_code: str | None = None
    post_code: str | None = None
    state: str | None = None
    street: str | None = None
    street_no: str | None = None
    further: Text | None = None


@dataclass(frozen=True)
class Contact:
    name: Text
    location: Location
    email: str | None = None
    phone: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Item:
    name: Text
    identifications: list[Identification]
    manufacturer: Text | None = None
    model: str | None = None


@dataclass(frozen=True)
class RespPerson:
    name: Text
    role: str  # e.g. "verifier", "checker", "approver"
    main_signer: bool = False
    email: str | None = None


@dataclass(frozen=True)
class Statement:
    declaration: Text
    ref_type: str | None = None  # e.g. "basic_conformity", "basic_decisionRule"
    norm: str | None = None
    reference: str | None = None
    conformity: str | None = None  # pass | fail | conditionalPass | conditionalFail | noPass | noFail


@dataclass(frozen=True)
class Quantity:
    name: Text
    value: float
    unit: str  # D-SI unit string
    expanded_uncertainty: float | None = None
    coverage_factor: float | None = None
    coverage_probability: float | None = None
    distribution: str | None = "normal"
    ref_type: str | None = None


@dataclass(frozen=True)
class Result:
    name: Text
    quantities: list[Quantity]
    ref_type: str | None = None


@dataclass(frozen=True)
class UpstreamCertificate:
    """The certificate of a standard used, fixed by its identifier and SHA-256 hash."""

    identifier: str
    sha256: str  # hex digest of the upstream DCC file
    issuer: Text | None = None


@dataclass(frozen=True)
class MeasuringEquipment:
    name: Text
    # None when the standard's own calibration has no digital certificate to point at.
    certificate: UpstreamCertificate | None = None
    identifications: list[Identification] = field(default_factory=list)
    model: str | None = None


@dataclass(frozen=True)
class UsedMethod:
    name: Text
    norm: str | None = None
    description: Text | None = None


@dataclass(frozen=True)
class MeasurementResult:
    name: Text
    results: list[Result]
    used_methods: list[UsedMethod] = field(default_factory=list)
    measuring_equipment: list[MeasuringEquipment] = field(default_factory=list)


@dataclass(frozen=True)
class CertificateRecord:
    unique_identifier: str
    software: list[Software]
    begin_performance_date: dt.date
    end_performance_date: dt.date
    items: list[Item]
    laboratory: Contact
    resp_persons: list[RespPerson]
    customer: Contact
    measurement_results: list[MeasurementResult]
    statements: list[Statement] = field(default_factory=list)
    performance_location: str = "laboratory"
    issue_date: dt.date | None = None
    receipt_date: dt.date | None = None
    country_code: str = "CN"
    languages: list[str] = field(default_factory=lambda: ["zh", "en"])
    mandatory_languages: list[str] = field(default_factory=lambda: ["zh", "en"])
    identifications: list[Identification] = field(default_factory=list)
    laboratory_code: str | None = None


def _convert(value, hint, path: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise DccError("required", field=path, code="required")
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], path)
    if value is None:
        raise DccError("required", field=path, code="required")
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, path)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise DccError(
                f"expected a list, got {type(value).__name__}", field=path, code="dcc_expected_list", got=type(value).__name__
            )
        return [_convert(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise DccError(
                f"expected a mapping of language code to text, got {type(value).__name__}",
                field=path,
                code="dcc_expected_label",
                got=type(value).__name__,
            )
        return {str(k): str(v) for k, v in value.items()}
    if hint is dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise DccError(
                f"{value!r} is not an ISO date (YYYY-MM-DD)", field=path, code="dcc_expected_date", got=repr(value)
            ) from None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise DccError(f"expected a number, got {value!r}", field=path, code="number_required", got=repr(value))
        try:
            return float(value)
        except ValueError:
            raise DccError(f"{value!r} is not a number", field=path, code="number_required", got=repr(value)) from None
    if hint is bool:
        if not isinstance(value, bool):
            raise DccError(f"expected true or false, got {value!r}", field=path, code="must_be_boolean")
        return value
    if hint is str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise DccError(f"expected text, got {value!r}", field=path, code="dcc_expected_text", got=repr(value))
        return str(value)
    return value


def from_dict(cls, data: dict, path: str = "record"):
    """Build a record dataclass from JSON-like data; errors name the field path."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise DccError(
            f"expected an object, got {type(data).__name__}", field=path, code="dcc_expected_object", got=type(data).__name__
        )
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise DccError(
            f"unknown field(s) {', '.join(sorted(unknown))}",
            field=path,
            code="dcc_unknown_fields",
            names=", ".join(sorted(unknown)),
        )
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(data[f.name], hints[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise DccError("required", field=f"{path}.{f.name}", code="required")
    return cls(**kwargs)


def record_from_dict(data: dict) -> CertificateRecord:
    return from_dict(CertificateRecord, data)
