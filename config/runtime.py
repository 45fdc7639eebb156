"""Settings of the server process itself: how Python's garbage collector runs.

Measured (docs/benchmarks.md, "What the figures decided"): under load, Python's default
thresholds (700, 10, 10) made the collector walk the whole heap every few seconds, pauses of
70–200 ms in which no socket is served, because the objects of messages in flight live just
long enough to be promoted to the oldest generation. The server therefore moves what start-up built
(modules, settings, compiled policies: about 250,000 objects) out of the collector's view once
the application is loaded (`gc.freeze`), and collects the youngest generation only after
`GC_THRESHOLDS`' first number of new objects, by which time most of a message's objects are
gone. Reference cycles are still collected; only less often.
"""

from __future__ import annotations

import gc

# A young-generation pass every 50,000 new container objects (a few tens of milliseconds at
# most), the middle one every 20 of those, the full one every 100 of those at most. Measured
# with a gc.callbacks probe at each system's ceiling (docs/decisions.md): 4.8 s of 45 s spent
# collecting with Python's defaults, 0.9 s with these; the cost is a few MB more of young
# objects. A constant, not a setting: no deployment has a reason to bring the pauses back.
GC_THRESHOLDS: tuple[int, int, int] = (50_000, 20, 100)


def tune_garbage_collector(thresholds: tuple[int, int, int] | None = GC_THRESHOLDS) -> bool:
    """Call once the application is loaded; returns whether anything was changed (None keeps
    Python's own collector settings, for a comparison)."""
    if thresholds is None:
        return False
    gc.collect()  # start-up's own garbage first, so that it is not frozen with the rest
    gc.freeze()
    gc.set_threshold(*thresholds)
    return True
