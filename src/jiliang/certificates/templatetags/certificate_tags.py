"""A signer's role on a certificate page, in the page's language (the PDF prints both)."""

from django import template

from jiliang.certificates.records import ROLE_TEXT

register = template.Library()


@register.filter
def role_text(role):
    return ROLE_TEXT.get(role, role or "—")
