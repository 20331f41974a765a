"""The reasons of a certificate check in the page's language.

The core (``jiliang.core.dcc.verify``, ``chain``) and ``services.registry_problems`` state
their reasons as English sentences of a fixed shape — "signature 2: chain: …",
"record: …" — and stay free of Django. This module is the shell's reading of those
shapes: each known sentence has a Chinese msgid (English in locale/en), with its
variable parts (a number, a subject name, a date) carried over unchanged. A sentence of
no known shape (a parser's own message) is shown as it came, after its translated prefix.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from jiliang.messages import CATALOGUE

from .records import ROLE_TEXT

# Prefixes: which part of the check a reason belongs to. Longest first.
PREFIXES = (
    (re.compile(r"^signature (?P<n>\d+): (?P<rest>.*)$", re.S), gettext_lazy("签名 %(n)s：%(rest)s")),
    (re.compile(r"^signature: (?P<rest>.*)$", re.S), gettext_lazy("签名：%(rest)s")),
    (re.compile(r"^chain: (?P<rest>.*)$", re.S), gettext_lazy("证书链：%(rest)s")),
    (re.compile(r"^revoked: (?P<rest>.*)$", re.S), gettext_lazy("已撤销：%(rest)s")),
    (re.compile(r"^schema: (?P<rest>.*)$", re.S), gettext_lazy("格式：%(rest)s")),
    (re.compile(r"^record: (?P<rest>.*)$", re.S), gettext_lazy("登记簿：%(rest)s")),
    (re.compile(r"^document: (?P<rest>.*)$", re.S), gettext_lazy("文件：%(rest)s")),
    (re.compile(r"^pdf: (?P<rest>.*)$", re.S), gettext_lazy("PDF：%(rest)s")),
)

# Whole sentences (after their prefix), from core/dcc/verify.py, core/dcc/chain.py and
# certificates/services.py.
SENTENCES = (
    (r"the document is not signed", gettext_lazy("文件未签名")),
    (r"no valid signature by the (?P<roles>.+)", gettext_lazy("缺少%(roles)s的有效签名")),
    (r"no \(single\) referenced xades:SignedProperties", gettext_lazy("没有（唯一的）被引用的 xades:SignedProperties")),
    (r"cannot read its certificates", gettext_lazy("无法读取签名所附的证书")),
    (r"signing certificate not found in KeyInfo", gettext_lazy("KeyInfo 中没有签名证书")),
    (r"no XAdES SigningTime", gettext_lazy("没有 XAdES 签名时间")),
    (r"does not cover the whole document .*", gettext_lazy('签名未覆盖整个文件（没有 URI="" 的封装引用）')),
    (r"signature does not match \((?P<detail>.*)\)", gettext_lazy("签名与文件内容不吻合（%(detail)s）")),
    (r"malformed signature \((?P<detail>.*)\)", gettext_lazy("签名结构损坏（%(detail)s）")),
    (r"no trust anchors given", gettext_lazy("未配置信任锚")),
    (r"certificate path too long", gettext_lazy("证书路径过长")),
    (r"(?P<who>.+): key usage does not allow signatures", gettext_lazy("%(who)s：密钥用途不允许签名")),
    (
        r"(?P<who>.+): not valid at (?P<at>\S+) \(valid (?P<start>\S+) to (?P<end>\S+)\)",
        gettext_lazy("%(who)s：在 %(at)s 不在有效期内（有效期 %(start)s 至 %(end)s）"),
    ),
    (
        r"(?P<who>.+): issuer (?P<issuer>.+) not found among the trust anchors or signature certificates",
        gettext_lazy("%(who)s：在信任锚和签名证书中找不到签发者 %(issuer)s"),
    ),
    (r"(?P<who>.+): not a CA certificate", gettext_lazy("%(who)s：不是 CA 证书")),
    (
        r"certificate (?P<number>\S+) was revoked on (?P<on>\S+): (?P<why>.*)",
        gettext_lazy("证书 %(number)s 已于 %(on)s 撤销：%(why)s"),
    ),
    (r"not valid DCC (?P<version>\S+): (?P<errors>.*)", gettext_lazy("不符合 DCC %(version)s 模式：%(errors)s")),
    # The core's refusals of a document that stop the check, in the catalogue's words (jiliang.messages).
    (r"not well-formed XML \((?P<detail>.*)\)", gettext_lazy(CATALOGUE["xml_not_well_formed"])),
    (r"a DOCTYPE declaration \(DTD or entities\) is not allowed in a DCC", gettext_lazy(CATALOGUE["xml_doctype"])),
    (
        r"the schema validator could not read this document \((?P<detail>.*)\)",
        gettext_lazy(CATALOGUE["xml_schema_internal"]),
    ),
    (
        r"DCC schema version (?P<version>.+) is not supported; supported: (?P<supported>.+)",
        gettext_lazy(CATALOGUE["dcc_version_unsupported"]),
    ),
    (
        r"DCC schema version (?P<version>.+) \(namespace (?P<namespace>.*)\) cannot be read; .*",
        gettext_lazy(CATALOGUE["dcc_version_unreadable"]),
    ),
    (r"root element is (?P<got>.+), not dcc:digitalCalibrationCertificate", gettext_lazy(CATALOGUE["dcc_root_element"])),
    (r"SignatureMethod (?P<uri>.+) is not supported", gettext_lazy(CATALOGUE["signing_method_unsupported"])),
    (r"no certificate (?P<number>.+) in the registry", gettext_lazy("登记簿中没有证书 %(number)s")),
    (
        r"unique identifier (?P<got>.+) does not match the expected (?P<expected>.+)",
        gettext_lazy("证书唯一标识 %(got)s 与登记的 %(expected)s 不一致"),
    ),
    (
        r"the document is not the one issued as (?P<number>\S+) .*",
        gettext_lazy("该文件不是以 %(number)s 签发的那份（SHA-256 与登记簿不同）"),
    ),
    (r"cannot read the document \((?P<detail>.*)\)", gettext_lazy("无法读取文件（%(detail)s）")),
    (
        r"the document is certificate (?P<got>.+), the registry's record is (?P<expected>.+)",
        gettext_lazy("文件是证书 %(got)s，登记簿记录的是 %(expected)s"),
    ),
    (
        r"performance date (?P<got>\S+) differs from the registry's (?P<expected>\S+)",
        gettext_lazy("检定/校准日期 %(got)s 与登记簿的 %(expected)s 不同"),
    ),
    (r"the item is not instrument (?P<code>\S+)", gettext_lazy("文件中的器具不是 %(code)s")),
    (
        r"the verdict (?P<got>.+) differs from the registry's \((?P<expected>\w+)\)",
        gettext_lazy("结论 %(got)s 与登记簿的（%(expected)s）不同"),
    ),
    (r"the measured values differ from the registry's", gettext_lazy("测得值与登记簿不同")),
    # certificates/pades.py and services.verify_uploaded_pdf: the PDF's own PAdES signature.
    (r"the PDF is not signed", gettext_lazy("PDF 未签名")),
    (r"the PDF was changed after it was signed", gettext_lazy("签名后 PDF 已被改动")),
    (r"the PDF signer is not trusted here", gettext_lazy("PDF 签名者不受本平台信任")),
    (r"the PDF has content added after its signature", gettext_lazy("PDF 在签名后被追加了内容")),
    (r"malformed PDF signature \((?P<detail>.*)\)", gettext_lazy("PDF 签名结构损坏（%(detail)s）")),
    (r"cannot read the PDF \((?P<detail>.*)\)", gettext_lazy("无法读取 PDF（%(detail)s）")),
    (r"no DCC XML is attached to the PDF", gettext_lazy("PDF 未附 DCC XML")),
    (
        r"certificate (?P<number>\S+) was issued as a signed PDF; this copy is not signed",
        gettext_lazy("证书 %(number)s 签发时其 PDF 已签名；此副本未签名"),
    ),
    (
        r"the PDF is not signed by the issuing institution (?P<institution>.+)",
        gettext_lazy("PDF 不是由签发机构 %(institution)s 签名的"),
    ),
    # assessment.certificate: the fields of a 计量标准考核证书 that differ from its record.
    (r"(?P<fields>.+) differ from the registry's", gettext_lazy("%(fields)s 与登记簿不同")),
)
_SENTENCES = tuple((re.compile(f"^{pattern}$", re.S), text) for pattern, text in SENTENCES)


def _roles(text: str) -> str:
    names = [str(ROLE_TEXT.get(role.strip(), role.strip())) for role in text.split(",")]
    return ("、" if (get_language() or "").startswith("zh") else ", ").join(names)


def localise(reason: str) -> str:
    """One reason of a check in the active language."""
    reason = str(reason)
    for pattern, template in PREFIXES:
        match = pattern.match(reason)
        if match:
            parts = match.groupdict()
            parts["rest"] = localise(parts["rest"])
            return str(template) % parts
    for pattern, template in _SENTENCES:
        match = pattern.match(reason)
        if match:
            parts = match.groupdict()
            if "roles" in parts:
                parts["roles"] = _roles(parts["roles"])
            if pattern.pattern.startswith("^cannot read the document"):  # the core's refusal inside
                parts["detail"] = localise(parts["detail"])
            return str(template) % parts
    return reason


def check_error(kind: str, **params) -> str:
    """The check page's own refusals (no file, a file too large)."""
    if kind == "no_file":
        return _("请选择要核验的 DCC 文件")
    return _("文件过大：超过 %(mb)s MB") % params
