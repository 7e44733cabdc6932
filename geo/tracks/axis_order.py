"""Which of two coordinate columns is the longitude, told by the values alone.

Shared by the readers whose files do not say (a CSV without header, DJI's ``GPS(a, b)``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def lon_first_by_values(a: FloatArray, b: FloatArray) -> tuple[bool | None, str]:
    """Tell longitude from latitude by value ranges alone.

    Only longitude can exceed ±90°; in China longitude is 73-136° and latitude 3-54°.

    Returns
    -------
    (a_is_longitude, why)
        True when ``a`` holds the longitudes, False when ``b`` does, None when the values fit
        either order; and the reason, for the uploader.

    Examples
    --------
    >>> import numpy as np
    >>> lon_first_by_values(np.array([28.1]), np.array([109.9]))
    (False, 'only longitude can exceed ±90°')
    >>> lon_first_by_values(np.array([80.2]), np.array([41.7]))[0]
    True
    >>> lon_first_by_values(np.array([47.1]), np.array([8.5]))
    (None, '')
    """
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    if not len(fa) or not len(fb):
        return None, ""
    a_over, b_over = bool(np.any(np.abs(fa) > 90)), bool(np.any(np.abs(fb) > 90))
    if a_over != b_over:
        return a_over, "only longitude can exceed ±90°"
    if a_over:
        return None, ""

    def china(lon: FloatArray, lat: FloatArray) -> bool:
        return bool(np.all((lon >= 73) & (lon <= 136)) and np.all((lat >= 3) & (lat <= 54)))

    a_lon, b_lon = china(fa, fb), china(fb, fa)
    if a_lon != b_lon:
        return a_lon, "in China longitude is 73-136° and latitude 3-54°"
    return None, ""
