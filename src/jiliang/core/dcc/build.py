"""Build a DCC 3.3.0 document from a CertificateRecord.

Checks the XSD cannot make (D-SI units, ISO 639-1 codes, labels in every mandatory
language) run here first, each error naming its field; the XSD check follows in
``validate_schema``.
"""

from __future__ import annotations

import math
import re

from lxml import etree

from jiliang.core.dcc import dsi
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.language import check_language, check_text
from jiliang.core.dcc.model import (
    CertificateRecord,
    Contact,
    Identification,
    Location,
    MeasurementResult,
    Quantity,
    Text,
)
from jiliang.core.dcc.schema import DCC_VERSION, DCC_XSD_URL

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"dcc": DCC_NS, "si": SI_NS, "xsi": XSI_NS}
HASH_PROCEDURE = "SHA-256"
CONFORMITY = {"pass", "fail", "conditionalPass", "conditionalFail", "noPass", "noFail"}
ISSUERS = {"manufacturer", "calibrationLaboratory", "customer", "owner", "other"}
PERFORMANCE_LOCATIONS = {"laboratory", "customer", "laboratoryBranch", "customerBranch", "other"}
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_COUNTRY = re.compile(r"[A-Z]{2}")

_D = f"{{{DCC_NS}}}"
_S = f"{{{SI_NS}}}"


def _sub(parent, tag: str, text: str | None = None, **attrib):
    el = etree.SubElement(parent, tag, attrib) if attrib else etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _number(x: float, field: str) -> str:
    if not math.isfinite(x):
        raise DccError(f"{x!r} is not a finite number", field=field, code="dcc_not_finite", got=x)
    text = repr(float(x))  # shortest round-trip form
    return text[:-2] if text.endswith(".0") else text


class _Builder:
    def __init__(self, record: CertificateRecord):
        self.record = record
        for i, lang in enumerate(record.languages):
            check_language(lang, f"languages[{i}]")
        for i, lang in enumerate(record.mandatory_languages):
            check_language(lang, f"mandatory_languages[{i}]")
            if lang not in record.languages:
                raise DccError(
                    f"{lang!r} is not among the used languages",
                    field=f"mandatory_languages[{i}]",
                    code="dcc_mandatory_language_unused",
                    lang=lang,
                )
        if not record.mandatory_languages:
            raise DccError("at least one language is required", field="mandatory_languages", code="dcc_language_required")
        self.used = frozenset(record.languages)
        self.mandatory = tuple(record.mandatory_languages)
        self.order = {lang: i for i, lang in enumerate(record.languages)}

    def text(self, parent, tag: str, text: Text | None, field: str):
        check_text(text, field, self.used, self.mandatory)
        el = _sub(parent, tag)
        for lang in sorted(text, key=self.order.get):
            _sub(el, _D + "content", text[lang], lang=lang)
        return el

    def identifications(self, parent, idents: list[Identification], field: str):
        el = _sub(parent, _D + "identifications")
        for i, ident in enumerate(idents):
            f = f"{field}[{i}]"
            if ident.issuer not in ISSUERS:
                raise DccError(
                    f"{ident.issuer!r} is not one of {sorted(ISSUERS)}",
                    field=f"{f}.issuer",
                    code="one_of",
                    got=repr(ident.issuer),
                    options=", ".join(sorted(ISSUERS)),
                )
            if not ident.value.strip():
                raise DccError("empty", field=f"{f}.value", code="dcc_empty")
            node = _sub(el, _D + "identification")
            _sub(node, _D + "issuer", ident.issuer)
            _sub(node, _D + "value", ident.value)
            if ident.name is not None:
                self.text(node, _D + "name", ident.name, f"{f}.name")
        return el

    def location(self, parent, loc: Location, field: str):
        el = _sub(parent, _D + "location")
        if loc.country_code is not None and not _COUNTRY.fullmatch(loc.country_code):
            raise DccError(
                f"{loc.country_code!r} is not an ISO 3166-1 alpha-2 code",
                field=f"{field}.country_code",
                code="dcc_country_code",
                got=repr(loc.country_code),
            )
        for attr, tag in (
            ("city", "city"),
            ("country_code", "countryCode"),
            ("post_code", "postCode"),
            ("state", "state"),
            ("street", "street"),
            ("street_no", "streetNo"),
        ):
            value = getattr(loc, attr)
            if value:
                _sub(el, _D + tag, value)
        if loc.further:
            self.text(el, _D + "further", loc.further, f"{field}.further")
        if len(el) == 0:
            raise DccError(
                "a location needs at least one of city, country_code, post_code, street",
                field=field,
                code="dcc_location_empty",
            )
        return el

    def contact(self, parent, tag: str, contact: Contact, field: str):
        el = _sub(parent, tag)
        self.text(el, _D + "name", contact.name, f"{field}.name")
        for attr, t in (("email", "eMail"), ("phone", "phone"), ("link", "link")):
            if getattr(contact, attr):
                _sub(el, _D + t, getattr(contact, attr))
        self.location(el, contact.location, f"{field}.location")
        return el

    def quantity(self, parent, q: Quantity, field: str):
        el = _sub(parent, _D + "quantity", refType=q.ref_type) if q.ref_type else _sub(parent, _D + "quantity")
        self.text(el, _D + "name", q.name, f"{field}.name")
        try:
            dsi.parse_unit(q.unit)
        except DccError as exc:
            raise DccError(str(exc), field=f"{field}.unit", code=exc.code, **exc.params) from None
        real = _sub(el, _S + "real")
        _sub(real, _S + "value", _number(q.value, f"{field}.value"))
        _sub(real, _S + "unit", q.unit)
        if q.expanded_uncertainty is not None:
            if q.coverage_factor is None or q.coverage_probability is None:
                raise DccError(
                    "an expanded uncertainty needs coverage_factor and coverage_probability",
                    field=field,
                    code="dcc_coverage_missing",
                )
            if not q.expanded_uncertainty >= 0:
                raise DccError(
                    f"must be >= 0, got {q.expanded_uncertainty}",
                    field=f"{field}.expanded_uncertainty",
                    code="must_not_be_negative",
                    got=q.expanded_uncertainty,
                )
            if not q.coverage_factor >= 1:
                raise DccError(
                    f"must be >= 1, got {q.coverage_factor}",
                    field=f"{field}.coverage_factor",
                    code="at_least",
                    minimum=1,
                    got=q.coverage_factor,
                )
            if not 0 < q.coverage_probability <= 1:
                raise DccError(
                    f"must be in (0, 1], got {q.coverage_probability}",
                    field=f"{field}.coverage_probability",
                    code="dcc_probability_range",
                    got=q.coverage_probability,
                )
            mu = _sub(_sub(real, _S + "measurementUncertaintyUnivariate"), _S + "expandedMU")
            _sub(mu, _S + "valueExpandedMU", _number(q.expanded_uncertainty, f"{field}.expanded_uncertainty"))
            _sub(mu, _S + "coverageFactor", _number(q.coverage_factor, f"{field}.coverage_factor"))
            _sub(mu, _S + "coverageProbability", _number(q.coverage_probability, f"{field}.coverage_probability"))
            if q.distribution:
                _sub(mu, _S + "distribution", q.distribution)
        return el

    def measurement_result(self, parent, mr: MeasurementResult, field: str):
        el = _sub(parent, _D + "measurementResult")
        self.text(el, _D + "name", mr.name, f"{field}.name")
        if mr.used_methods:
            methods = _sub(el, _D + "usedMethods")
            for i, m in enumerate(mr.used_methods):
                node = _sub(methods, _D + "usedMethod")
                self.text(node, _D + "name", m.name, f"{field}.used_methods[{i}].name")
                if m.description:
                    self.text(node, _D + "description", m.description, f"{field}.used_methods[{i}].description")
                if m.norm:
                    _sub(node, _D + "norm", m.norm)
        if mr.measuring_equipment:
            equipment = _sub(el, _D + "measuringEquipments")
            for i, eq in enumerate(mr.measuring_equipment):
                f = f"{field}.measuring_equipment[{i}]"
                node = _sub(equipment, _D + "measuringEquipment", refType="basic_normalUsed")
                self.text(node, _D + "name", eq.name, f"{f}.name")
                cert = eq.certificate
                if cert is not None:
                    digest = cert.sha256.lower()
                    if not _SHA256_HEX.fullmatch(digest):
                        raise DccError(
                            f"{cert.sha256!r} is not a SHA-256 hex digest",
                            field=f"{f}.certificate.sha256",
                            code="dcc_sha256",
                            got=repr(cert.sha256),
                        )
                    if not cert.identifier.strip():
                        raise DccError("empty", field=f"{f}.certificate.identifier", code="dcc_empty")
                    hashed = _sub(node, _D + "certificate")
                    referral = cert.issuer or {lang: cert.identifier for lang in self.mandatory}
                    self.text(hashed, _D + "referral", referral, f"{f}.certificate.issuer")
                    _sub(hashed, _D + "referralID", cert.identifier)
                    _sub(hashed, _D + "procedure", HASH_PROCEDURE)
                    _sub(hashed, _D + "value", digest)
                if eq.model:
                    _sub(node, _D + "model", eq.model)
                if eq.identifications:
                    self.identifications(node, eq.identifications, f"{f}.identifications")
        if not mr.results:
            raise DccError("at least one result is required", field=f"{field}.results", code="dcc_results_empty")
        results = _sub(el, _D + "results")
        for i, r in enumerate(mr.results):
            f = f"{field}.results[{i}]"
            node = _sub(results, _D + "result", refType=r.ref_type) if r.ref_type else _sub(results, _D + "result")
            self.text(node, _D + "name", r.name, f"{f}.name")
            if not r.quantities:
                raise DccError("at least one quantity is required", field=f"{f}.quantities", code="dcc_quantities_empty")
            data = _sub(node, _D + "data")
            for j, q in enumerate(r.quantities):
                self.quantity(data, q, f"{f}.quantities[{j}]")
        return el

    def build(self) -> etree._Element:
        r = self.record
        if not r.unique_identifier.strip():
            raise DccError("empty", field="unique_identifier", code="dcc_empty")
        if not _COUNTRY.fullmatch(r.country_code):
            raise DccError(
                f"{r.country_code!r} is not an ISO 3166-1 alpha-2 code",
                field="country_code",
                code="dcc_country_code",
                got=repr(r.country_code),
            )
        if r.performance_location not in PERFORMANCE_LOCATIONS:
            raise DccError(
                f"{r.performance_location!r} is not one of {sorted(PERFORMANCE_LOCATIONS)}",
                field="performance_location",
                code="one_of",
                got=repr(r.performance_location),
                options=", ".join(sorted(PERFORMANCE_LOCATIONS)),
            )
        if r.end_performance_date < r.begin_performance_date:
            raise DccError("before begin_performance_date", field="end_performance_date", code="dcc_end_before_begin")
        root = etree.Element(_D + "digitalCalibrationCertificate", nsmap=NSMAP)
        root.set("schemaVersion", DCC_VERSION)
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{DCC_NS} {DCC_XSD_URL}")
        adm = _sub(root, _D + "administrativeData")
        if not r.software:
            raise DccError("at least one entry is required", field="software", code="dcc_software_empty")
        sw_list = _sub(adm, _D + "dccSoftware")
        for i, sw in enumerate(r.software):
            node = _sub(sw_list, _D + "software")
            self.text(node, _D + "name", sw.name, f"software[{i}].name")
            _sub(node, _D + "release", sw.release)
            if sw.type:
                _sub(node, _D + "type", sw.type)
        core = _sub(adm, _D + "coreData")
        _sub(core, _D + "countryCodeISO3166_1", r.country_code)
        for lang in r.languages:
            _sub(core, _D + "usedLangCodeISO639_1", lang)
        for lang in r.mandatory_languages:
            _sub(core, _D + "mandatoryLangCodeISO639_1", lang)
        _sub(core, _D + "uniqueIdentifier", r.unique_identifier)
        if r.identifications:
            self.identifications(core, r.identifications, "identifications")
        if r.receipt_date:
            _sub(core, _D + "receiptDate", r.receipt_date.isoformat())
        _sub(core, _D + "beginPerformanceDate", r.begin_performance_date.isoformat())
        _sub(core, _D + "endPerformanceDate", r.end_performance_date.isoformat())
        _sub(core, _D + "performanceLocation", r.performance_location)
        if r.issue_date:
            _sub(core, _D + "issueDate", r.issue_date.isoformat())
        if not r.items:
            raise DccError("at least one item is required", field="items", code="dcc_items_empty")
        items = _sub(adm, _D + "items")
        for i, item in enumerate(r.items):
            node = _sub(items, _D + "item")
            self.text(node, _D + "name", item.name, f"items[{i}].name")
            if item.manufacturer:
                self.text(_sub(node, _D + "manufacturer"), _D + "name", item.manufacturer, f"items[{i}].manufacturer")
            if item.model:
                _sub(node, _D + "model", item.model)
            if not item.identifications:
                raise DccError(
                    "at least one identification is required",
                    field=f"items[{i}].identifications",
                    code="dcc_identifications_empty",
                )
            self.identifications(node, item.identifications, f"items[{i}].identifications")
        lab = _sub(adm, _D + "calibrationLaboratory")
        if r.laboratory_code:
            _sub(lab, _D + "calibrationLaboratoryCode", r.laboratory_code)
        self.contact(lab, _D + "contact", r.laboratory, "laboratory")
        if not r.resp_persons:
            raise DccError("at least one responsible person is required", field="resp_persons", code="dcc_resp_persons_empty")
        persons = _sub(adm, _D + "respPersons")
        for i, p in enumerate(r.resp_persons):
            node = _sub(persons, _D + "respPerson")
            person = _sub(node, _D + "person")
            self.text(person, _D + "name", p.name, f"resp_persons[{i}].name")
            if p.email:
                _sub(person, _D + "eMail", p.email)
            if not p.role.strip():
                raise DccError("empty", field=f"resp_persons[{i}].role", code="dcc_empty")
            _sub(node, _D + "role", p.role)
            if p.main_signer:
                _sub(node, _D + "mainSigner", "true")
            _sub(node, _D + "cryptElectronicSignature", "true")
        self.contact(adm, _D + "customer", r.customer, "customer")
        if r.statements:
            statements = _sub(adm, _D + "statements")
            for i, s in enumerate(r.statements):
                f = f"statements[{i}]"
                node = (
                    _sub(statements, _D + "statement", refType=s.ref_type) if s.ref_type else _sub(statements, _D + "statement")
                )
                if s.norm:
                    _sub(node, _D + "norm", s.norm)
                if s.reference:
                    _sub(node, _D + "reference", s.reference)
                self.text(node, _D + "declaration", s.declaration, f"{f}.declaration")
                if s.conformity is not None:
                    if s.conformity not in CONFORMITY:
                        raise DccError(
                            f"{s.conformity!r} is not one of {sorted(CONFORMITY)}",
                            field=f"{f}.conformity",
                            code="one_of",
                            got=repr(s.conformity),
                            options=", ".join(sorted(CONFORMITY)),
                        )
                    _sub(node, _D + "conformity", s.conformity)
        if not r.measurement_results:
            raise DccError("at least one is required", field="measurement_results", code="dcc_measurement_results_empty")
        mrs = _sub(root, _D + "measurementResults")
        for i, mr in enumerate(r.measurement_results):
            self.measurement_result(mrs, mr, f"measurement_results[{i}]")
        return root


def build_element(record: CertificateRecord) -> etree._Element:
    """The DCC as an lxml element (no XSD check; see ``validate_schema``)."""
    return _Builder(record).build()


def build_dcc(record: CertificateRecord) -> bytes:
    """The DCC as UTF-8 XML bytes."""
    return etree.tostring(build_element(record), xml_declaration=True, encoding="UTF-8")
