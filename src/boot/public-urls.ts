/**
 * Which public HTTP URL a client is told, by the network it is on. One xenboot can serve several boot
 * networks (`dhcp.networks`), each reached at its own server address; a client on one of them may have no
 * route to another's address, so every URL handed out (the iPXE script URL in option 67, UEFI HTTP boot
 * URLs, `server.httpUrl` in rendered files) names the client's own network. The network is known by an
 * address of ours the client reached (DHCP: the network a request arrived on, or the one holding the
 * relay's `giaddr`; TFTP: the address a request was sent to; HTTP: the socket's local address), or by the
 * client's own address inside a network's subnet (explain). Whatever matches no network gets the single
 * `http.publicUrl`, as before there were several. Pure: the table is built once from the config.
 */
import { cidrContains, ipToInt, isIpv4, parseCidr } from '../net/ipv4.js';

/** One boot network's public base URL (`dhcp.networks[].publicUrl`, or its default). */
export interface NetworkUrl {
  /** xenboot's address on the network (`dhcp.networks[].serverAddress`). */
  serverAddress: string;
  /** The network's subnet (`10.0.30.0/24`); a client address inside it belongs to the network. */
  subnet?: string;
  /** The base URL its clients are told, without a trailing slash. */
  url: string;
}

/** Every boot network's URL, and the URL for requests that reach none of them (`http.publicUrl`). */
export interface PublicUrls {
  fallback: string;
  networks: readonly NetworkUrl[];
}

/** A single URL for every client: what a config without `dhcp.networks` has. */
export function singlePublicUrl(url: string): PublicUrls {
  return { fallback: url, networks: [] };
}

/**
 * The network an address belongs to: the one whose server address it is, else the one whose subnet holds
 * it; `undefined` for anything else (no address, `server.address`, an IPv6 or unrelated address). An
 * IPv4-mapped IPv6 address (`::ffff:10.0.30.1`, what a dual-stack socket reports) is read as IPv4.
 */
export function networkUrlFor(networks: readonly NetworkUrl[], address: string | undefined): NetworkUrl | undefined {
  if (address === undefined) return undefined;
  const plain = address.replace(/^::ffff:/i, '');
  if (!isIpv4(plain)) return undefined;
  const own = networks.find((n) => n.serverAddress === plain);
  if (own !== undefined) return own;
  const number = ipToInt(plain);
  return networks.find((n) => {
    const cidr = n.subnet === undefined ? null : parseCidr(n.subnet);
    return cidr !== null && cidrContains(cidr, number);
  });
}

/** The base URL for a client known by `address` (see `networkUrlFor`): its network's, else the fallback. */
export function publicUrlFor(urls: PublicUrls, address: string | undefined): string {
  return networkUrlFor(urls.networks, address)?.url ?? urls.fallback;
}
