"""Smart supervision (智慧计量监管): one Django app per part of the work, inside this package.

- ``telemetry``: readings and device events from smart instruments, detectors, alerts.
- ``prepack``: net-content inspections of prepackaged goods.
"""
