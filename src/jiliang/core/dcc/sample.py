"""A realistic sample certificate record (a pressure-gauge calibration), for demos, the CLI
and the benchmark. The numbers are illustrative, not from a real certificate."""

from __future__ import annotations

import datetime as dt

from jiliang.core.dcc.model import (
    CertificateRecord,
    Contact,
    Identification,
    Item,
    Location,
    MeasurementResult,
    MeasuringEquipment,
    Quantity,
    RespPerson,
    Result,
    Software,
    Statement,
    UpstreamCertificate,
    UsedMethod,
)


def sample_record(
    n_results: int = 20, unique_identifier: str = "JL-ZJ-2026-000123", upstream_sha256: str = "9f2c" + "0" * 60
) -> CertificateRecord:
    results = [
        Result(
            name={"zh": f"校准点 {i + 1}", "en": f"Calibration point {i + 1}"},
            quantities=[
                Quantity(
                    name={"zh": "标准压力", "en": "Reference pressure"},
                    value=0.1 * (i + 1),
                    unit="\\mega\\pascal",
                    ref_type="basic_referenceValue",
                ),
                Quantity(
                    name={"zh": "示值误差", "en": "Indication error"},
                    value=round(0.0004 * ((i % 5) - 2), 6),
                    unit="\\mega\\pascal",
                    expanded_uncertainty=0.0008,
                    coverage_factor=2,
                    coverage_probability=0.95,
                    ref_type="basic_measurementError",
                ),
            ],
        )
        for i in range(n_results)
    ]
    contact_lab = Contact(
        name={"zh": "浙江省计量科学研究院", "en": "Zhejiang Institute of Metrology"},
        location=Location(city="Hangzhou", country_code="CN", post_code="310018", street="Xueyuan Street"),
        email="dcc@example.cn",
    )
    return CertificateRecord(
        unique_identifier=unique_identifier,
        software=[Software(name={"zh": "计量平台", "en": "Jiliang"}, release="0.1")],
        begin_performance_date=dt.date(2026, 11, 20),
        end_performance_date=dt.date(2026, 11, 20),
        issue_date=dt.date(2026, 11, 23),
        items=[
            Item(
                name={"zh": "精密压力表", "en": "Precision pressure gauge"},
                manufacturer={"zh": "某仪表厂", "en": "Example Instruments Ltd"},
                model="YB-150A",
                identifications=[
                    Identification(issuer="manufacturer", value="SN-0042", name={"zh": "出厂编号", "en": "Serial no."})
                ],
            )
        ],
        laboratory=contact_lab,
        laboratory_code="CNAS L0001",
        resp_persons=[
            RespPerson(name={"zh": "张三", "en": "Zhang San"}, role="verifier"),
            RespPerson(name={"zh": "李四", "en": "Li Si"}, role="checker"),
            RespPerson(name={"zh": "王五", "en": "Wang Wu"}, role="approver", main_signer=True),
        ],
        customer=Contact(name={"zh": "某燃气公司", "en": "Example Gas Co."}, location=Location(city="Ningbo", country_code="CN")),
        statements=[
            Statement(
                ref_type="basic_conformity",
                conformity="pass",
                declaration={"zh": "符合 0.25 级要求", "en": "Meets the requirements of class 0.25"},
            ),
            Statement(
                ref_type="basic_decisionRule",
                norm="JJF 1059.1-2012",
                declaration={"zh": "简单接受规则 (U ≤ MPE/3)", "en": "Simple acceptance (U ≤ MPE/3)"},
            ),
        ],
        measurement_results=[
            MeasurementResult(
                name={"zh": "校准结果", "en": "Calibration results"},
                used_methods=[
                    UsedMethod(name={"zh": "弹簧管式精密压力表检定规程", "en": "Verification regulation"}, norm="JJG 49-2013")
                ],
                measuring_equipment=[
                    MeasuringEquipment(
                        name={"zh": "活塞式压力计", "en": "Piston gauge"},
                        certificate=UpstreamCertificate(identifier="NIM-2026-P-0077", sha256=upstream_sha256),
                        identifications=[Identification(issuer="calibrationLaboratory", value="STD-P-01")],
                    )
                ],
                results=results,
            )
        ],
    )
