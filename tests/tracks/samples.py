"""One small valid file of every registered format (the seeds of the property tests and the
subject of the reader contract test, tests/tracks/test_reader_contract.py).

A format added to :mod:`geo.tracks.registry` needs its sample here: the contract test fails
until it has one.
"""

from __future__ import annotations

import json

GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>a</name>
<trkseg><trkpt lat="28.1500" lon="109.9000"><ele>300.5</ele><time>2026-11-18T01:00:00Z</time>
</trkpt><trkpt lat="28.1502" lon="109.9003"><time>2026-11-18T09:00:05+08:00</time></trkpt>
<trkpt lat="28.1504" lon="109.9006"><time>2026-11-18T01:00:10.5Z</time></trkpt></trkseg>
</trk></gpx>
"""
KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><Placemark><gx:Track><when>2026-11-18T01:00:00Z</when><when>2026-11-18T01:00:05Z</when>
<gx:coord>109.9000 28.1500 300</gx:coord><gx:coord>109.9003 28.1502 301</gx:coord></gx:Track>
</Placemark><Placemark><LineString><coordinates>109.90,28.15,0 109.91,28.16,0</coordinates>
</LineString></Placemark></Document></kml>
"""
GEOJSON = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"coordTimes": ["2026-11-18T01:00:00Z", "2026-11-18T01:00:05Z"]},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[109.9, 28.15], [109.91, 28.16]],
                },
            },
            {
                "type": "Feature",
                "properties": {"time": 1763427600, "accuracy": 5},
                "geometry": {"type": "Point", "coordinates": [109.9, 28.15, 300]},
            },
        ],
    }
).encode()
CSV = (
    b"time,lat,lon,accuracy,altitude\n"
    b"2026-11-18 09:00:00,28.1500,109.9000,5,300\n"
    b"2026-11-18 09:00:05,28.1502,109.9003,6,301\n"
    b"2026-11-18 09:00:10,28.1504,109.9006,,302\n"
)
PLT = (
    b"Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n"
    b"0,2,255,My Track,0,0,2,8421376\n0\n"
    b"28.1500,109.9000,0,492,46344.0416666667,2026-11-18,01:00:00\n"
    b"28.1502,109.9003,0,492,46344.0417245370,2026-11-18,01:00:05\n"
)
SRT = (
    b'1\n00:00:00,000 --> 00:00:01,000\n<font size="28">FrameCnt: 1, DiffTime: 33ms\n'
    b"2026-11-23 09:00:00.000\n[iso: 100] [latitude: 28.150000] [longitude: 109.900000] "
    b"[rel_alt: 50.0 abs_alt: 400.0]</font>\n\n"
    b'2\n00:00:01,000 --> 00:00:02,000\n<font size="28">FrameCnt: 2, DiffTime: 33ms\n'
    b"2026-11-23 09:00:01.000\n[iso: 100] [latitude: 28.150100] [longitude: 109.900100] "
    b"[rel_alt: 51.0 abs_alt: 401.0]</font>\n\n"
)
AIRDATA = (
    b"time(millisecond),datetime(utc),latitude,longitude,height_above_takeoff(meters),"
    b" xSpeed(m/s),message\n"
    b"0,2026-11-23 01:00:00,28.1,109.9,0.0, 1.0,\n"
    b"100,2026-11-23 01:00:00,28.1,109.9,1.5, 1.0,\n"
    b"1100,2026-11-23 01:00:01,28.1001,109.9001,2.5, 1.0,\n"
)
DJI_CSV = (
    b"sep=,\n"
    b"CUSTOM.date [local],CUSTOM.updateTime [local],OSD.flyTime [s],OSD.latitude,OSD.longitude,"
    b"OSD.height [ft],OSD.altitude [ft]\n"
    b"11/4/2026,1:05:00.10 PM,0,28.15,109.9,0,700\n"
    b"11/4/2026,1:05:00.20 PM,0.1,28.1501,109.9001,10,710\n"
)

NMEA = (
    b"$GPGGA,010000.00,2809.0000,N,10954.0000,E,1,08,0.9,300.0,M,0.0,M,,*55\r\n"
    b"$GPRMC,010000.00,A,2809.0000,N,10954.0000,E,0.5,90.0,181126,,,A*64\r\n"
    b"$GPGGA,010005.00,2809.0100,N,10954.0100,E,1,08,0.9,301.0,M,0.0,M,,*51\r\n"
    b"$GPRMC,010005.00,A,2809.0100,N,10954.0100,E,0.5,90.0,181126,,,A*61\r\n"
)

#: Registered format name → a valid file of it with at least two fixes.
SAMPLES: dict[str, bytes] = {
    "gpx": GPX,
    "kml": KML,
    "geojson": GEOJSON,
    "csv": CSV,
    "plt": PLT,
    "nmea": NMEA,
    "dji-srt": SRT,
    "airdata-csv": AIRDATA,
    "dji-csv": DJI_CSV,
}
