#!/usr/bin/python3
"""Reference values for test/astro/visibility.test.ts, computed with astropy (Debian's python3-astropy 5.2).

Run once, offline:  /usr/bin/python3 scripts/astropy-visibility-fixtures.py > test/fixtures/visibility-astropy.json
(then `npx prettier --write test/fixtures/visibility-astropy.json`, as for every file in the repository).
The tests read the JSON; they never need astropy.

Every event is found independently of skytom's code, by bisection (to 0.1 s) on astropy altitudes
(AltAz frame, no pressure: geometric altitude; topocentric Sun and Moon from get_body):
  - night window: local mean noon of the date, 12:00 UT - lon/15 h, to the same 24 h later;
  - sunset/sunrise: the Sun's upper limb (centre altitude + semi-diameter, R_sun = 695 700 km) crossing
    -34' * rho(h), rho the U.S. Standard Atmosphere (1976) density at the site's height relative to sea
    level (the horizon refraction astronomy-engine's SearchRiseSet applies);
  - civil, nautical, astronomical dusk/dawn: the Sun's centre crossing -6, -12, -18 degrees;
  - target rise/set: the target crossing -34' * rho(h); transit: its upper meridian passage (sin of the
    azimuth going from + to -) nearest the middle of the window; rise is the last one before it and set
    the first one after it;
  - samples: the target's, the Moon's and the Sun's geometric altitude every hour of the window;
  - Moon illumination at the middle of the window: (1 + cos i) / 2, i the phase angle from the
    geocentric Sun and Moon vectors.
"""
import json
import math
import sys
import warnings

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_body
from astropy.time import Time
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.auto_max_age = None
iers.conf.iers_degraded_accuracy = "warn"
warnings.simplefilter("ignore")

R_SUN_KM = 695700.0

CASES = [
    # name, lat, lon (east +), height m, date, ra, dec, min altitude
    ("La Palma, March, target south of the zenith", 28.7606, -17.8792, 2326, "2025-03-20", 160.0, 14.0, 30),
    ("+65 June: short night, no astronomical darkness", 65.0, 25.5, 50, "2025-06-21", 250.0, 10.0, 20),
    ("+65 December: the Sun barely rises; circumpolar target", 65.0, 25.5, 50, "2025-12-21", 30.0, 70.0, 30),
    ("-65 June: long night; circumpolar southern target", -65.0, -64.0, 10, "2025-06-21", 90.0, -80.0, 30),
    ("-65 December: white night, a target that rises and sets", -65.0, -64.0, 10, "2025-12-21", 300.0, -20.0, 20),
    ("Krakow: a target that never rises", 50.06, 19.94, 220, "2025-01-15", 100.0, -50.0, 30),
    ("Krakow: circumpolar target", 50.06, 19.94, 220, "2025-01-15", 200.0, 60.0, 30),
    ("Paranal, September, far southern target", -24.627, -70.404, 2635, "2025-09-01", 270.0, -60.0, 30),
    ("Mauna Kea, RA near 0", 19.8207, -155.468, 4205, "2025-10-10", 359.5, 5.0, 30),
    ("Siding Spring, RA near 360, east longitude", -31.273, 149.061, 1165, "2026-02-14", 0.3, -20.0, 30),
    ("Tromso, June: polar day", 69.65, 18.96, 10, "2025-06-21", 280.0, 30.0, 30),
    ("Svalbard, December: polar night", 78.22, 15.65, 10, "2025-12-21", 60.0, 50.0, 30),
]


def density(h):
    """U.S. Standard Atmosphere 1976, troposphere: density relative to sea level."""
    t0, p0 = 288.15, 101325.0
    t = t0 - 0.0065 * h
    p = p0 * (t0 / t) ** -5.25577
    return (p / t) / (p0 / t0)


def iso(t):
    return None if t is None else t.utc.isot[:19] + "Z"


def crossings(f, start, end, step_min=5.0):
    """(time, rising?) where f changes sign in [start, end] (Time), bisection to 0.1 s."""
    n = int(round((end - start).to_value(u.min) / step_min))
    ts = start + np.linspace(0, n * step_min, n + 1) * u.min
    vals = f(ts)
    out = []
    for k in range(n):
        a, b = vals[k], vals[k + 1]
        if (a < 0) != (b < 0):
            lo, hi = ts[k], ts[k + 1]
            flo = a
            while (hi - lo).to_value(u.s) > 0.1:
                mid = lo + (hi - lo) / 2
                fm = f(mid)
                if (fm < 0) == (flo < 0):
                    lo, flo = mid, fm
                else:
                    hi = mid
            out.append((lo + (hi - lo) / 2, b >= 0))
    return out


def case_values(name, lat, lon, height, date, ra, dec, min_alt):
    loc = EarthLocation(lat=lat * u.deg, lon=lon * u.deg, height=height * u.m)
    start = Time(date + "T12:00:00", scale="utc") - (lon / 15.0) * u.hour
    end = start + 24 * u.hour
    middle = start + 12 * u.hour
    target = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs")
    horizon = -34.0 / 60.0 * density(height)

    def altaz(t):
        return AltAz(obstime=t, location=loc)

    def sun_alt(t):
        return get_body("sun", t, loc).transform_to(altaz(t)).alt.deg

    def sun_limb(t):
        sun = get_body("sun", t, loc).transform_to(altaz(t))
        semi = np.degrees(np.arcsin(R_SUN_KM / sun.distance.to_value(u.km)))
        return sun.alt.deg + semi - horizon

    def target_alt(t):
        return target.transform_to(altaz(t)).alt.deg

    def target_sin_az(t):
        return np.sin(target.transform_to(altaz(t)).az.rad)

    def first(xs, rising):
        for t, r in xs:
            if r == rising:
                return t
        return None

    night = {}
    limb = crossings(sun_limb, start, end)
    night["sunset"] = first(limb, False)
    after = [x for x in limb if night["sunset"] is None or x[0] > night["sunset"]]
    night["sunrise"] = first(after, True)
    for level, alt in (("civil", -6), ("nautical", -12), ("astronomical", -18)):
        xs = crossings(lambda t: sun_alt(t) - alt, start, end)
        dusk = first(xs, False)
        night[level + "_dusk"] = dusk
        night[level + "_dawn"] = first([x for x in xs if dusk is None or x[0] > dusk], True)

    # Transit: the + to - crossing of sin(az) nearest the middle (search a day around it).
    passages = [t for t, r in crossings(lambda t: -target_sin_az(t), middle - 13 * u.hour, middle + 13 * u.hour) if r]
    passages = [t for t in passages if target_alt(t) > -90]
    transit = min(passages, key=lambda t: abs((t - middle).to_value(u.s)))
    transit_alt = float(target_alt(transit))
    lower_alt = float(target_alt(transit + 0.5 * 0.99726957 * u.day))
    rise = set_ = None
    if transit_alt > horizon and lower_alt < horizon:
        xs = crossings(lambda t: target_alt(t) - horizon, transit - 1 * u.day, transit + 1 * u.day)
        rise = max((t for t, r in xs if r and t < transit), default=None)
        set_ = min((t for t, r in xs if not r and t > transit), default=None)
    kind = "never rises" if transit_alt < horizon else "circumpolar" if lower_alt > horizon else "rises and sets"

    hours = start + np.arange(1, 24) * u.hour
    samples = []
    moon = get_body("moon", hours, loc).transform_to(altaz(hours))
    for k, t in enumerate(hours):
        samples.append(
            {
                "time": iso(t),
                "altitude_deg": round(float(target_alt(t)), 5),
                "moon_altitude_deg": round(float(moon.alt.deg[k]), 5),
                "sun_altitude_deg": round(float(sun_alt(t)), 5),
            }
        )
    sun_g = get_body("sun", middle)
    moon_g = get_body("moon", middle)
    elong = sun_g.separation(moon_g).rad
    rs = sun_g.distance.to_value(u.km)
    rm = moon_g.distance.to_value(u.km)
    phase = math.atan2(rs * math.sin(elong), rm - rs * math.cos(elong))
    return {
        "name": name,
        "site": {"lat_deg": lat, "lon_deg": lon, "height_m": height},
        "date": date,
        "target": {"ra_deg": ra, "dec_deg": dec},
        "min_altitude_deg": min_alt,
        "window": {"start": iso(start), "end": iso(end)},
        "rise_set_altitude_deg": round(horizon, 5),
        "night": {k: iso(v) for k, v in night.items()},
        "pass": {
            "kind": kind,
            "rise": iso(rise),
            "transit": iso(transit) if kind != "never rises" else None,
            "set": iso(set_),
            "transit_altitude_deg": round(transit_alt, 5),
            "lower_culmination_altitude_deg": round(lower_alt, 5),
        },
        "moon_illumination_middle": round((1 + math.cos(phase)) / 2, 5),
        "samples": samples,
    }


def main():
    out = {
        "generator": "scripts/astropy-visibility-fixtures.py",
        "astropy": __import__("astropy").__version__,
        "cases": [case_values(*c) for c in CASES],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
