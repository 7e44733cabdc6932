"""The townships' layers held by a process while the store's stamp says they are unchanged:
the API's uploads and the batch's workers read them through one :class:`LayersCache`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from geo.layers import TownshipLayers

if TYPE_CHECKING:
    from geo.store.base import Store


class LayersCache:
    """The townships' layers as last loaded, reused while the store's
    :meth:`~geo.store.base.Store.layers_version` stamp is unchanged.

    Loading a township's layers builds a GeoDataFrame per layer (about 50 ms for the demo
    township); every upload needs them (squads, outline, roads, rules) and they rarely change.
    Each call asks the store for the stamp (one small query), so an edit by any process (the
    CLI, another worker) is seen by the next upload. The layers returned are shared: read them,
    never change them in place.
    """

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, TownshipLayers]] = {}
        self._lock = threading.Lock()

    def get(self, store: Store, township: str) -> TownshipLayers:
        """The township's layers (:class:`geo.errors.NotFound` when it is not stored)."""
        version = store.layers_version(township)
        held = self._held.get(township)
        if version is not None and held is not None and held[0] == version:
            return held[1]
        with self._lock:  # one load for a burst of uploads, not one each
            held = self._held.get(township)
            if version is not None and held is not None and held[0] == version:
                return held[1]
            # Loaded after the stamp was read: a save in between makes the next call load again.
            layers = store.load_layers(township)
            if version is not None:
                self._held[township] = (version, layers)
            return layers
