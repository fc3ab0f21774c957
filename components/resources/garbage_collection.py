"""Python's cyclic garbage collector, set for a program that declares thousands of resources at once."""

import gc

# Full collections only after this many middle-generation collections (CPython's default is 10).
FULL_COLLECTION_AFTER = 1000


def collect_old_objects_rarely() -> None:
    """Every declared resource keeps its Outputs and futures alive until the program ends, so each full
    collection rescans a heap that only grows: at 500 jobs they took 45% of the run (bench/run.py).
    Young collections, which free the short-lived cycles, keep their pace, and peak memory stayed the
    same. The third threshold gates full collections on CPython's generational collector (3.11 to 3.13);
    a collector that ignores it is left as it was."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
