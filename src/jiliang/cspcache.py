"""django-csp's middleware with the policy built once.

django-csp rebuilds both headers (the policy and the report-only one) from the settings
on every response: copies of the directives, sorting, joining; some 0.1 ms, a few per
cent of an API request. Unless a view changed the policy (``csp_update``/``csp_replace``/
``csp_override`` decorators set attributes on the response) or the page asked for a nonce,
the headers depend only on the settings, so they are built once per settings object (a
test's ``override_settings`` gives a new object and so a new build) and reused.
"""

from __future__ import annotations

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings

# What a view's decorators set on its response to change the policy (django-csp 4).
_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CachedPolicyMiddleware(CSPMiddleware):
    _built: tuple = (object(), object(), "", "")

    def _headers(self) -> tuple[str, str]:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built[0] is not policy or built[1] is not report_only:
            built = (policy, report_only, build_policy(), build_policy(report_only=True))
            self._built = built
        return built[2], built[3]

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, name) for name in _OVERRIDES):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        csp, csp_ro = self._headers()
        for header, value, exempt, policy in (
            (HEADER, csp, "_csp_exempt", getattr(settings, "CONTENT_SECURITY_POLICY", None)),
            (HEADER_REPORT_ONLY, csp_ro, "_csp_exempt_ro", getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)),
        ):
            if not value or getattr(response, exempt, False) is not False or header in response:
                continue
            prefixes = (policy or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        # As django-csp does: once the header is written, asking for a nonce is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
