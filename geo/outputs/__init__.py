"""Outputs: the weekly map, the monthly report, layer exports and what pages share (the Jinja2
environment, inlined assets, the script policy, SVG charts)."""
