"""A signer's role on a certificate page, in the page's language (the PDF prints both)."""

from django import template

from jiliang.certificates.records import ROLE_TEXT

register = template.Library()


@register.filter
def role_text(role):
    return ROLE_TEXT.get(role, role or "—")


@register.filter
def reason_text(reason):
    """A reason of a certificate check in the page's language (certificates.reasons)."""
    from jiliang.certificates.reasons import localise

    return localise(reason)
