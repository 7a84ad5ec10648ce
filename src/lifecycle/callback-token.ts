/**
 * The per-boot callback credential: an HMAC-SHA256 over the host's MAC and the boot's id, keyed by the
 * lifecycle key every instance on one database shares. A booted system proves with it that it is the boot
 * xenboot armed for that MAC; a signature made for another MAC or another boot does not verify.
 *
 * The callback URL carries MAC, boot id and signature in its path (`/api/v1/lifecycle/callback/<mac>/<boot>/<sig>`),
 * so it fits one kernel argument (`xenboot.callback=<url>`) without quoting. Signatures are compared in
 * constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { macHyphenated, type Mac } from '../net/mac.js';

/** The path prefix of callback URLs. */
export const CALLBACK_PATH = '/api/v1/lifecycle/callback';

/** The kernel argument that carries the callback URL on a rendered command line. */
export const CALLBACK_ARG = 'xenboot.callback';

/** A new boot id: 16 random bytes, hex. */
export function newBootId(): string {
  return randomBytes(16).toString('hex');
}

/** A new lifecycle key (32 random bytes, base64url). */
export function newCallbackKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The signature of one boot of one MAC (base64url, 43 characters). */
export function signCallback(key: string, mac: Mac, bootId: string): string {
  return createHmac('sha256', key).update(`xenboot-callback\nv1\n${mac}\n${bootId}`, 'utf8').digest('base64url');
}

/** True when `signature` was made with `key` for this MAC and boot. */
export function verifyCallback(key: string, mac: Mac, bootId: string, signature: string): boolean {
  const expected = Buffer.from(signCallback(key, mac, bootId), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The callback URL of one boot, under `baseUrl` (the HTTP public URL). */
export function callbackUrl(baseUrl: string, key: string, mac: Mac, bootId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${CALLBACK_PATH}/${macHyphenated(mac)}/${bootId}/${signCallback(key, mac, bootId)}`;
}
