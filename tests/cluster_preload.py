"""Dask worker preload for tests/test_cluster.py: a worker that must die.

A worker started with ``--preload tests/cluster_preload.py`` exits at once
(``os._exit``, as a kill or the out-of-memory killer would end it) when it is
given an environment whose name starts with ``Doomed``; every other
environment renders as usual.
"""

import os

from hiddenspof import cluster

# Dask may import a preload more than once in a process: wrap the original only
_render_shipped = getattr(cluster, "_original_render_shipped", cluster.render_shipped)


def _render_or_die(shipment):
    if shipment.job.name.startswith("Doomed"):
        os._exit(17)
    return _render_shipped(shipment)


cluster._original_render_shipped = _render_shipped
cluster.render_shipped = _render_or_die
