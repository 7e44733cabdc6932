"""Ingest: from an uploaded file to stored, cleaned fixes.

``pipeline`` (unpack, detect the format, read, convert, check, clean, segment), ``chinacrs``
(GCJ-02, BD-09 and named coordinate systems), ``plausibility``, ``cleaning`` and ``drone``
(flight logs). The readers of each format are in :mod:`geo.tracks`.
"""
