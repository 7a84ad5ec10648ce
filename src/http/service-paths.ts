/**
 * The URL prefixes that belong to the service itself (the API, its docs, metrics and health checks) and
 * never to a boot file: the file route refuses them, and the timeline does not count them as boot fetches.
 */

const SERVICE_PATH = /^\/(api|docs|openapi\.json|metrics|healthz|readyz)(\/|$|\?)/;

/** True when `url` (path, maybe with a query) is under `/api`, `/docs`, `/openapi.json`, `/metrics`, `/healthz` or `/readyz`. */
export function isServicePath(url: string): boolean {
  return SERVICE_PATH.test(url);
}
