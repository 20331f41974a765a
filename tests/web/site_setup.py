"""Fill a fresh data folder for the browser tests and print what they need as JSON.

Run in its own process with ``JILIANG_DATA_DIR`` set (the browser tests' server uses that
folder and nothing else): migrate, generate a small demo province, create a superuser and
one user per role of ``Membership``, and a signed-in session for each role user (the
Django login page, the admin's, admits staff only).
"""

from __future__ import annotations

import json
import sys

import django

SUPERUSER = ("admin", "jiliang-browser-test")


def main(instruments: int) -> dict:
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from jiliang.registry import demo, models

    call_command("migrate", interactive=False, verbosity=0)
    demo.generate(instruments=instruments, seed=2035)

    User = get_user_model()
    User.objects.create_superuser(SUPERUSER[0], "admin@example.org", SUPERUSER[1])

    province = models.Region.objects.filter(parent__isnull=True).order_by("code").first()
    institution = (
        models.Organisation.objects.filter(kind=models.Organisation.Kind.LEGAL_INSTITUTE, standards__isnull=False)
        .order_by("pk")
        .first()
    )
    enterprise = models.Organisation.objects.filter(kind=models.Organisation.Kind.ENTERPRISE, instruments__isnull=False).order_by("pk").first()

    roles = {}
    try:
        from jiliang.accounts.models import Membership
    except ImportError:  # accounts not installed: the superuser alone
        Membership = None
    if Membership is not None:
        scopes = {
            Membership.Role.REGION_ADMIN: {"region": province},
            Membership.Role.AUDITOR: {"region": province},
            Membership.Role.INSTITUTION_STAFF: {"organisation": institution, "is_verifier": True, "is_checker": True, "is_approver": True},
            Membership.Role.ENTERPRISE_USER: {"organisation": enterprise},
        }
        for role in Membership.Role:
            user = User.objects.create_user(f"browser-{role.value}", password=SUPERUSER[1])
            Membership.objects.create(user=user, role=role, **scopes[role])
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            roles[role.value] = {"username": user.username, "password": SUPERUSER[1], "session": session.session_key}

    # An instrument whose latest calibration used a standard that is itself calibrated:
    # its page shows a chain of more than one level.
    event = (
        models.CalibrationEvent.objects.filter(
            standard_links__standard__devices__events__isnull=False, instrument__standard__isnull=True
        )
        .order_by("-performed_on", "pk")
        .first()
    )
    return {
        "superuser": {"username": SUPERUSER[0], "password": SUPERUSER[1]},
        "roles": roles,
        "instrument": {"pk": event.instrument_id, "code": event.instrument.code},
        "institution": institution.pk,
        "enterprise": enterprise.pk,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
