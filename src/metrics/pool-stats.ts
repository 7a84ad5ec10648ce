/**
 * The contract between the DHCP server and `/metrics` for address-pool usage. The DHCP server provides a
 * `PoolStatsSource`; the metrics module calls it on every scrape and publishes
 * `xenboot_dhcp_pool_addresses{pool,state="used"|"free"}`.
 */

/** Usage of one DHCP address pool at the time of the call. */
export interface PoolStats {
  /** A stable name for the pool, e.g. its range `10.0.0.100-10.0.0.200` or its subnet. */
  pool: string;
  /** Addresses in the pool (excluding reservations outside it). */
  size: number;
  /** Addresses held by an unexpired lease, offer or quarantine (declined). */
  used: number;
}

/** Returns the current usage of every pool; called once per scrape, so it should be cheap. */
export type PoolStatsSource = () => PoolStats[] | Promise<PoolStats[]>;
