from django.contrib import admin

from .models import Certificate, CertificateAuthority, RevocationList, SigningKey


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "status", "issued_at", "published", "external", "signature_status"]
    list_filter = ["kind", "status", "published", "external", "signature_status"]
    search_fields = ["number"]
    raw_id_fields = ["event", "signing_key"]
    # Issued documents change only through the services (revoke), never by hand.
    readonly_fields = [
        "event",
        "kind",
        "number",
        "sha256",
        "issued_at",
        "signers",
        "signing_key",
        "status",
        "revoked_at",
        "revocation_reason",
        "external",
        "signature_status",
        "signed_by",
    ]
    exclude = ["xml"]


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["organisation", "person", "algorithm", "serial", "status", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["status", "algorithm"]
    raw_id_fields = ["organisation", "person"]
    exclude = ["key_pem"]
    readonly_fields = [
        "authority",
        "algorithm",
        "cert_pem",
        "serial",
        "valid_from",
        "valid_until",
        "status",
        "revoked_at",
        "reason",
    ]


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "algorithm", "serial", "active", "valid_until"]
    exclude = ["key_pem"]
    readonly_fields = ["name", "algorithm", "cert_pem", "serial", "valid_from", "valid_until", "active"]


@admin.register(RevocationList)
class RevocationListAdmin(admin.ModelAdmin):
    list_display = ["authority", "number", "this_update", "next_update"]
    readonly_fields = ["authority", "number", "crl_pem", "this_update", "next_update"]
