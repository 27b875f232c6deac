/** Great-circle distance and implied travel speed between two sightings. */

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;

const rad = (deg: number) => (deg * Math.PI) / 180;

export interface Point {
  latitude: number;
  longitude: number;
}

/** Haversine distance in km; numerically stable for small distances, at most ~0.5% off the ellipsoid. */
export function haversineKm(a: Point, b: Point): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Speed in km/h needed to cover `km` in `ms`; Infinity for a positive distance in no time. */
export function speedKmh(km: number, ms: number): number {
  if (km <= 0) return 0;
  if (ms <= 0) return Number.POSITIVE_INFINITY;
  return km / (ms / 3_600_000);
}
