"""Catalogue items the tests name, in one place (the real catalogue's codes replace the
demo's A01–A30 at merge: change them here)."""

TAXIMETER = "A01"
PRICE_SCALE = "A07"
WATER_METER = "A11"
SPHYGMOMANOMETER = "A15"
