"""Dispatching (月调度): next week's patrol plan, camera sites, mid-week risk.

Pure computation on a township's layers and weekly results (no web or database code):
:mod:`geo.dispatch.plan` (routes per squad and day over the uncovered roads),
:mod:`geo.dispatch.roadgraph` and :mod:`geo.dispatch.postman` (the road graph and the
rural-postman route), :mod:`geo.dispatch.effort` (a squad's usual effort),
:mod:`geo.dispatch.gpx` (a day's route for phone navigation apps),
:mod:`geo.dispatch.cameras` (where the next cameras go), :mod:`geo.dispatch.risk` (villages
at risk of failing the week, mid-week), :mod:`geo.coverage.terrain` (optional DEM: camera
viewsheds, drone heights above ground).
"""
