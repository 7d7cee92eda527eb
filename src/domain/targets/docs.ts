/** Text for the API documentation of derived target fields (kept next to the formulas in derived.ts). */
export const observingPriorityDoc =
  "Derived fields: galactic_lng/galactic_lat (deg, IAU 1958 from ICRS), constellation (IAU boundaries), " +
  "sun_separation (deg, refreshed daily), mag_last/mjd_last/filter_last (latest active light-curve point). " +
  "cadence_priority = min(Δt / cadence, 10) with Δt = now − mjd_last in days (10 when the target has no point " +
  "yet, 0 when cadence = 0); priority = importance × cadence_priority (refreshed on every light-curve change " +
  "and daily).";
