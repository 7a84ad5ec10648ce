/**
 * The text of a TFTP ERROR packet (RFC 1350 §5: "ErrMsg", a netascii string ended by a zero byte) made
 * safe to send: printable ASCII only (a client prints it as is: tftp-hpa `Error code 2: <text>`, atftp
 * `tftp: error received from server <<text>>`), and short enough that the whole packet (4 header bytes,
 * the text, the zero byte) stays within the 516 bytes of one ordinary TFTP datagram, so no client or
 * middlebox has to take a larger one.
 */

/** The most characters of text an ERROR packet carries (4 + 511 + 1 = 516 bytes). */
export const TFTP_ERROR_TEXT_MAX = 511;

/** `message` as an ERROR packet's text: non-printable characters as `?`, cut with `...` to fit. */
export function tftpErrorText(message: string, max = TFTP_ERROR_TEXT_MAX): string {
  const printable = message.replace(/[^\x20-\x7e]/g, (c) => (c === '\n' || c === '\t' ? ' ' : c === '→' ? '->' : '?'));
  return printable.length <= max ? printable : `${printable.slice(0, max - 3)}...`;
}
