"""Fill a fresh data folder for the browser tests and print what they need as JSON.

Run in its own process with ``JILIANG_DATA_DIR`` set (the browser tests' server uses that
folder and nothing else): migrate, then build the small demo province of ``province.py``
(a user for every role, a published comparison, inspection and certificate, an alert, a
complaint, a registration) and a signed-in session for each role's user, for the tests
that start signed in (the others sign in through the login page).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import django


def main(instruments: int) -> dict:
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from jiliang.registry import models

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import journey_facts  # tests/web/journey_facts.py: the starting facts of test_journeys.py
    import province as builder  # tests/web/province.py, shared with the crawler test

    template = os.environ.get("JILIANG_TEST_SQLITE_TEMPLATE")  # scripts/test's migrated copy
    if template and os.path.exists(template) and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        shutil.copyfile(template, settings.DATABASES["default"]["NAME"])
    call_command("migrate", interactive=False, verbosity=0)
    p = builder.build(instruments=instruments, seed=2035)

    roles = {}
    for role, user in p.users.items():
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        roles[role] = {"username": user.username, "password": builder.PASSWORD, "session": session.session_key}

    # Standard reference data (tests/web/test_refdata_browser.py): v1 published, v2 under review.
    from types import SimpleNamespace

    from jiliang.refdata.demo import plant_refdata

    plant_refdata(
        SimpleNamespace(users={"institute": p.users["institution_staff"], "admin": p.users["superuser"]}, institute=p.institution)
    )

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
        "superuser": {"username": roles["superuser"]["username"], "password": builder.PASSWORD},
        "roles": roles,
        "instrument": {"pk": event.instrument_id, "code": event.instrument.code},
        "institution": p.institution.pk,
        "enterprise": p.enterprise.pk,
        "province": p.as_json(),
        "journeys": journey_facts.build(p),
        "assessment": _assessment(p.objects),
        "energy": {"unit": p.objects["energy_unit"].pk},
        "institutions": {"institution": p.objects["gap_institution"].pk, "gap_item": p.objects["gap_item"].code},
        "witness": {"root": p.objects["witness_head"].root_hash, "size": p.objects["witness_head"].tree_size},
        "matching": _matching(p),
        "inspections": {
            "draw": p.objects["draw"].pk,
            "published": p.objects["field_inspection"].pk,
            "assigned": [i.pk for i in p.objects["assigned_inspections"]],
            "officer": p.objects["draw"].campaign.inspections.first().inspectors.get(user=p.users["county_admin"]).name,
        },
    }


def _matching(p) -> dict:
    """A need the institution's capability fits, other providers' terms published beside
    (tests/web/test_matching_browser.py)."""
    from jiliang.matching.demo import browser_facts

    return browser_facts(p.institution)


def _assessment(o: dict) -> dict:
    """What the assessment walk types into the pages (tests/web/test_assessment_browser.py)."""
    return {
        "field": o["assessment_field"].name,
        "spec": o["assessment_spec"].code,
        "devices": [d.code for d in o["assessment_devices"]],
        "people": [person.name for person in o["assessment_people"]],
        "level": o["assessment_level"],
        "assessor": o["assessment_assessor"].person.name,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
