"""Cheating and fault detectors for smart instruments (智慧计量监管), pure and vectorised.

One module per kind of instrument; each rule a function over column arrays returning a
:class:`~jiliang.core.detectors.base.Detection`, with the rule and its limits written in its
docstring. :mod:`.stream` applies the per-message rules to a batch of telemetry with small
per-device state (for the ingest worker); :mod:`.simulate` generates traffic with injected
frauds and ground-truth labels.
"""

from .base import Detection, DetectorInputError

__all__ = ["Detection", "DetectorInputError"]
