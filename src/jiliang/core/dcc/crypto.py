"""The one small interface behind which the signature cryptography sits.

A ``SignatureSuite`` turns a document root into a signed one (an enveloped XAdES-BES
``ds:Signature`` appended as the last child) and checks such a signature. Suites are
registered by name and by their XML-DSig ``SignatureMethod`` URI, so a verifier picks the
suite a signature names. ECDSA P-256 / SHA-256 (what PTB's signed example uses) is built
on signxml; SM2 with SM3 (GB/T 32918, GB/T 32905, data formats of GB/T 35276) is built here
with the same XAdES-BES structure, since signxml knows neither algorithm.

The SM2 identifiers. No SM2 or SM3 URI is registered for XML signatures (RFC 9231 and the
IANA "XML Security URIs" registry list none, and no national standard defines one that we
could find), so the algorithms are named by their OIDs (GB/T 33560-2017) as URNs (RFC 3061),
which XML-DSig allows for any algorithm identifier (XMLDSIG-CORE1 §6.1):
``urn:oid:1.2.156.10197.1.501`` (SM2 signature with SM3) as SignatureMethod and
``urn:oid:1.2.156.10197.1.401`` (SM3) as DigestMethod. This is our choice; a verifier
elsewhere needs to map these two URNs to its SM2/SM3 implementation. The SignatureValue is
the DER SM2Signature of GB/T 35276-2017 §7.3 over the exclusive-canonical SignedInfo, with
the default user ID "1234567812345678" (§10), so OpenSSL's SM2 checks it as it stands.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import SignatureConstructionMethod, VerifyResult
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.xades import XAdESSignatureConfiguration, XAdESSigner, XAdESVerifier
from signxml.xades.xades import xades_tag

from jiliang.core.dcc import sm2
from jiliang.core.dcc.errors import SigningError

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
SM3_URI = f"urn:oid:{sm2.SM3}"
SM2_SM3_URI = f"urn:oid:{sm2.SM2_WITH_SM3}"

_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#sha224": hashes.SHA224,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512,
    SM3_URI: hashes.SM3,
}


def digest(uri: str, data: bytes) -> bytes | None:
    """The digest of ``data`` by the DigestMethod ``uri``; None for an unknown method."""
    algorithm = _DIGESTS.get(uri)
    if algorithm is None:
        return None
    h = hashes.Hash(algorithm())
    h.update(data)
    return h.finalize()


class SignatureMismatch(Exception):
    """The signed content or the signature value does not match."""


class SignatureSuite(Protocol):
    name: str
    signature_method_uri: str

    def generate_private_key(self): ...

    def check_key(self, key, cert: x509.Certificate) -> None: ...

    def sign_enveloped(
        self,
        root: etree._Element,
        key,
        chain: list[x509.Certificate],
        signing_time: dt.datetime,
        role: str | None,
        signature_id: str,
    ) -> etree._Element: ...

    def verify_enveloped(self, root: etree._Element, signer: x509.Certificate, at: dt.datetime) -> None:
        """Check the last ``ds:Signature`` child of ``root``; raise SignatureMismatch if it fails."""


_SUITES: dict[str, SignatureSuite] = {}
_BY_METHOD: dict[str, SignatureSuite] = {}


def register_suite(suite: SignatureSuite) -> None:
    _SUITES[suite.name] = suite
    _BY_METHOD[suite.signature_method_uri] = suite


def suite(name: str) -> SignatureSuite:
    try:
        return _SUITES[name]
    except KeyError:
        raise SigningError(
            f"{name!r} is not registered (known: {', '.join(sorted(_SUITES))})",
            field="algorithm",
            code="one_of",
            got=repr(name),
            options=", ".join(sorted(_SUITES)),
        ) from None


def suite_for_method(uri: str) -> SignatureSuite:
    try:
        return _BY_METHOD[uri]
    except KeyError:
        raise SigningError(
            f"SignatureMethod {uri!r} is not supported", code="signing_method_unsupported", uri=repr(uri)
        ) from None


def xades_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise SigningError("must carry a time zone", field="signing_time", code="signing_time_zone")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _TimedXAdESSigner(XAdESSigner):
    """signxml's XAdES signer with a given signing time and signature Id."""

    def __init__(self, signing_time: dt.datetime, signature_id: str, **kwargs):
        super().__init__(**kwargs)
        self._signing_time = signing_time
        self._signature_id = signature_id

    def _build_xades_ds_object(self, sig_root, signing_settings):
        sig_root.set("Id", self._signature_id)
        return super()._build_xades_ds_object(sig_root, signing_settings)

    def _add_reference_to_signed_info(self, sig_root, node_to_reference, **attrs):
        # As PTB's example: an explicit exclusive-C14N transform on the SignedProperties and
        # KeyInfo references (signxml omits it, and a verifier then falls back to inclusive C14N).
        signed_info = self._find(sig_root, "SignedInfo")
        reference = etree.SubElement(signed_info, f"{{{DS_NS}}}Reference", nsmap=self.namespaces)
        reference.set("URI", f"#{node_to_reference.get('Id')}")
        for name, value in attrs.items():
            reference.set(name, value)
        transforms = etree.SubElement(reference, f"{{{DS_NS}}}Transforms", nsmap=self.namespaces)
        etree.SubElement(transforms, f"{{{DS_NS}}}Transform", nsmap=self.namespaces, Algorithm=EXC_C14N)
        etree.SubElement(reference, f"{{{DS_NS}}}DigestMethod", nsmap=self.namespaces, Algorithm=self.digest_alg.value)
        digest = self._get_digest(self._c14n(node_to_reference, algorithm=self.c14n_alg), algorithm=self.digest_alg)
        etree.SubElement(reference, f"{{{DS_NS}}}DigestValue", nsmap=self.namespaces).text = base64.b64encode(digest).decode()

    def add_signing_time(self, signed_signature_properties, sig_root, signing_settings):
        node = etree.SubElement(signed_signature_properties, xades_tag("SigningTime"), nsmap=self.namespaces)
        node.text = xades_time(self._signing_time)


class _LastSignatureVerifier(XAdESVerifier):
    """Verifies the last ``ds:Signature`` child of the root (the one being checked).

    The whole-document reference is digested in place (the signature detached for the
    enveloped transform, then put back) instead of signxml's re-parse of the document per
    reference: the same canonical bytes, a third of the work.
    """

    def _get_signature(self, root):
        if root.tag == f"{{{DS_NS}}}Signature":
            return root
        sigs = root.findall(f"{{{DS_NS}}}Signature")
        if not sigs:
            raise InvalidInput("no ds:Signature child of the root")
        return sigs[-1]

    def _verify_reference(self, reference, index, root, uri_resolver, c14n_algorithm, signature, signature_key_used):
        uri = reference.get("URI")
        transform_nodes = reference.findall(f"{{{DS_NS}}}Transforms/{{{DS_NS}}}Transform")
        algorithms = [t.get("Algorithm") for t in transform_nodes]
        digest_alg = DigestAlgorithm(self._find(reference, "DigestMethod").get("Algorithm"))
        self.check_digest_alg_expected(digest_alg)
        digest_value = base64.b64decode(self._find(reference, "DigestValue").text)
        if uri == "" and ENVELOPED in algorithms:
            others = [t for t in transform_nodes if t.get("Algorithm") != ENVELOPED]
            if len(others) > 1:
                raise InvalidInput(f"unsupported transforms on the document reference: {algorithms}")
            try:
                method = (
                    CanonicalizationMethod(others[0].get("Algorithm")) if others else self.config.default_reference_c14n_method
                )
            except ValueError:
                raise InvalidInput(f"unsupported transform on the document reference: {algorithms}") from None
            prefixes = self._get_inclusive_ns_prefixes(others[0]) if others else None
            sig = self._get_signature(root)
            parent, position = sig.getparent(), sig.getparent().index(sig)
            parent.remove(sig)
            try:
                payload = self._c14n(root, algorithm=method, inclusive_ns_prefixes=prefixes)
            finally:
                parent.insert(position, sig)
            if digest_value != self._get_digest(payload, digest_alg):
                raise InvalidDigest(f"Digest mismatch for reference {index} ()")
            return VerifyResult(payload, None, signature, signature_key=b"")
        if uri is None or not uri.startswith("#") or ENVELOPED in algorithms:
            raise InvalidInput(f"unsupported reference URI {uri!r}")
        # SignedProperties and KeyInfo live inside the signature: look there, not through the
        # whole document (signxml's //*[@Id=…] scan is most of a verification's time).
        matches = self._get_signature(root).xpath(".//*[@Id=$uri]", uri=uri[1:])
        if len(matches) != 1:
            raise InvalidInput(f"reference URI {uri} resolves to {len(matches)} elements inside the signature")
        payload = matches[0]
        payload_c14n = self._apply_transforms(
            payload, transforms_node=self._find(reference, "Transforms", require=False), signature=signature
        )
        if digest_value != self._get_digest(payload_c14n, digest_alg):
            raise InvalidDigest(f"Digest mismatch for reference {index} ({uri})")
        return VerifyResult(payload_c14n, self._fromstring(payload_c14n), signature, signature_key=b"")


class EcdsaP256Sha256:
    name = "ecdsa-p256-sha256"
    signature_method_uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

    def generate_private_key(self):
        return ec.generate_private_key(ec.SECP256R1())

    def check_key(self, key, cert: x509.Certificate) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise SigningError("expected an ECDSA P-256 private key", field="key", code="signing_key_kind", kind="ECDSA P-256")
        if key.public_key().public_numbers() != cert.public_key().public_numbers():
            raise SigningError("does not belong to the signing certificate", field="key", code="signing_key_mismatch")

    def sign_enveloped(self, root, key, chain, signing_time, role, signature_id):
        signer = _TimedXAdESSigner(
            signing_time,
            signature_id,
            claimed_roles=[role] if role else None,
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm="ecdsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm=EXC_C14N,
        )
        return signer.sign(root, key=key, cert=list(chain), always_add_key_value=False)

    def verify_enveloped(self, root, signer, at):
        config = XAdESSignatureConfiguration(expect_references=True, verification_time=at)
        try:
            _LastSignatureVerifier().verify(root, x509_cert=signer, expect_config=config)
        except (InvalidDigest, InvalidSignature) as exc:
            raise SignatureMismatch(str(exc)) from None
        except InvalidCertificate as exc:
            raise SignatureMismatch(f"signing certificate: {exc}") from None
        except InvalidInput as exc:
            raise SignatureMismatch(f"malformed signature: {exc}") from None


def _c14n(node) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=True, with_comments=False)


def _without_signature(root, sig) -> bytes:
    """The exclusive-canonical document with ``sig`` taken out (the enveloped transform)."""
    parent, position = sig.getparent(), sig.getparent().index(sig)
    parent.remove(sig)
    try:
        return _c14n(root)
    finally:
        parent.insert(position, sig)


class Sm2Sm3:
    """SM2 with SM3: the same enveloped XAdES-BES as the ECDSA suite (document, SignedProperties
    and KeyInfo references, exclusive C14N), with SM3 digests and an SM2 signature."""

    name = "sm2-sm3"
    signature_method_uri = SM2_SM3_URI

    def generate_private_key(self):
        return sm2.generate_private_key()

    def check_key(self, key, cert: x509.Certificate) -> None:
        if not isinstance(key, sm2.Sm2PrivateKey):
            raise SigningError("expected an SM2 private key", field="key", code="signing_key_kind", kind="SM2")
        if not sm2.is_sm2_certificate(cert) or sm2.public_key_of(cert) != key.public:
            raise SigningError("does not belong to the signing certificate", field="key", code="signing_key_mismatch")

    @staticmethod
    def _reference(signed_info, uri: str, transforms: list[str], value: bytes, **attrs) -> None:
        reference = etree.SubElement(signed_info, f"{{{DS_NS}}}Reference", URI=uri, **attrs)
        node = etree.SubElement(reference, f"{{{DS_NS}}}Transforms")
        for algorithm in transforms:
            etree.SubElement(node, f"{{{DS_NS}}}Transform", Algorithm=algorithm)
        etree.SubElement(reference, f"{{{DS_NS}}}DigestMethod", Algorithm=SM3_URI)
        etree.SubElement(reference, f"{{{DS_NS}}}DigestValue").text = base64.b64encode(value).decode()

    def sign_enveloped(self, root, key, chain, signing_time, role, signature_id):
        document_digest = sm2.sm3(_c14n(root))  # before the signature exists: the enveloped form
        ds, xa = f"{{{DS_NS}}}", f"{{{XADES_NS}}}"
        sig = etree.SubElement(root, ds + "Signature", nsmap={"ds": DS_NS, "xades": XADES_NS}, Id=signature_id)
        signed_info = etree.SubElement(sig, ds + "SignedInfo")
        etree.SubElement(signed_info, ds + "CanonicalizationMethod", Algorithm=EXC_C14N)
        etree.SubElement(signed_info, ds + "SignatureMethod", Algorithm=SM2_SM3_URI)
        value_node = etree.SubElement(sig, ds + "SignatureValue")
        key_info = etree.SubElement(sig, ds + "KeyInfo", Id=f"{signature_id}-KeyInfo")
        x509_data = etree.SubElement(key_info, ds + "X509Data")
        for cert in chain:
            der_bytes = cert.public_bytes(serialization.Encoding.DER)
            etree.SubElement(x509_data, ds + "X509Certificate").text = base64.b64encode(der_bytes).decode()
        qualifying = etree.SubElement(
            etree.SubElement(sig, ds + "Object"), xa + "QualifyingProperties", Target=f"#{signature_id}"
        )
        props = etree.SubElement(qualifying, xa + "SignedProperties", Id=f"{signature_id}-SignedProperties")
        signature_props = etree.SubElement(props, xa + "SignedSignatureProperties")
        etree.SubElement(signature_props, xa + "SigningTime").text = xades_time(signing_time)
        cert_digest = etree.SubElement(
            etree.SubElement(etree.SubElement(signature_props, xa + "SigningCertificateV2"), xa + "Cert"), xa + "CertDigest"
        )
        etree.SubElement(cert_digest, ds + "DigestMethod", Algorithm=SM3_URI)
        leaf_der = chain[0].public_bytes(serialization.Encoding.DER)
        etree.SubElement(cert_digest, ds + "DigestValue").text = base64.b64encode(sm2.sm3(leaf_der)).decode()
        if role:
            roles = etree.SubElement(etree.SubElement(signature_props, xa + "SignerRole"), xa + "ClaimedRoles")
            etree.SubElement(roles, xa + "ClaimedRole").text = role
        data_format = etree.SubElement(
            etree.SubElement(props, xa + "SignedDataObjectProperties"),
            xa + "DataObjectFormat",
            ObjectReference=f"#{signature_id}-Document",
        )
        etree.SubElement(data_format, xa + "MimeType").text = "text/xml"
        self._reference(signed_info, "", [ENVELOPED, EXC_C14N], document_digest, Id=f"{signature_id}-Document")
        self._reference(signed_info, f"#{props.get('Id')}", [EXC_C14N], sm2.sm3(_c14n(props)), Type=SIGNED_PROPERTIES_TYPE)
        self._reference(signed_info, f"#{key_info.get('Id')}", [EXC_C14N], sm2.sm3(_c14n(key_info)))
        value_node.text = base64.b64encode(key.sign(_c14n(signed_info))).decode()
        return root

    def verify_enveloped(self, root, signer, at):
        sigs = root.findall(f"{{{DS_NS}}}Signature")
        if not sigs:
            raise SignatureMismatch("malformed signature: no ds:Signature child of the root")
        sig = sigs[-1]
        signed_info = sig.find(f"{{{DS_NS}}}SignedInfo")
        if signed_info is None:
            raise SignatureMismatch("malformed signature: no ds:SignedInfo")
        c14n = signed_info.find(f"{{{DS_NS}}}CanonicalizationMethod")
        if c14n is None or c14n.get("Algorithm") != EXC_C14N:
            raise SignatureMismatch("malformed signature: SignedInfo must be canonicalised by exclusive C14N")
        references = signed_info.findall(f"{{{DS_NS}}}Reference")
        if not references:
            raise SignatureMismatch("malformed signature: no references")
        for index, reference in enumerate(references):
            self._check_reference(root, sig, reference, index)
        if not sm2.is_sm2_certificate(signer):
            raise SignatureMismatch("signing certificate: not an SM2 key")
        try:
            value = base64.b64decode("".join((sig.findtext(f"{{{DS_NS}}}SignatureValue") or "").split()), validate=True)
        except ValueError:
            raise SignatureMismatch("malformed signature: SignatureValue is not base64") from None
        if not sm2.public_key_of(signer).verify(value, _c14n(signed_info)):
            raise SignatureMismatch("SM2 signature verification failed")

    @staticmethod
    def _check_reference(root, sig, reference, index: int) -> None:
        uri = reference.get("URI")
        algorithms = [t.get("Algorithm") for t in reference.findall(f"{{{DS_NS}}}Transforms/{{{DS_NS}}}Transform")]
        method = reference.find(f"{{{DS_NS}}}DigestMethod")
        if method is None or method.get("Algorithm") != SM3_URI:
            raise SignatureMismatch(f"malformed signature: reference {index} is not digested with SM3")
        if uri == "":
            if algorithms != [ENVELOPED, EXC_C14N]:  # what is signed here; no implicit inclusive C14N
                raise SignatureMismatch(f"malformed signature: unsupported transforms on the document reference: {algorithms}")
            payload = _without_signature(root, sig)
        elif uri and uri.startswith("#") and algorithms == [EXC_C14N]:
            matches = sig.xpath(".//*[@Id=$id]", id=uri[1:])
            if len(matches) != 1:
                raise SignatureMismatch(f"malformed signature: reference URI {uri} resolves to {len(matches)} elements")
            payload = _c14n(matches[0])
        else:
            raise SignatureMismatch(f"malformed signature: unsupported reference {uri!r} with transforms {algorithms}")
        try:
            expected = base64.b64decode("".join((reference.findtext(f"{{{DS_NS}}}DigestValue") or "").split()), validate=True)
        except ValueError:
            raise SignatureMismatch(f"malformed signature: DigestValue of reference {index} is not base64") from None
        if sm2.sm3(payload) != expected:
            raise SignatureMismatch(f"Digest mismatch for reference {index} ({uri})")


register_suite(EcdsaP256Sha256())
register_suite(Sm2Sm3())
