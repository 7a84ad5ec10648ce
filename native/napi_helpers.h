/*
 * What every N-API entry point of the addon does alike (napi_helpers.c): throwing a system error the way
 * node:dgram does, and reading a dotted-quad IPv4 argument. Used by the TFTP sockets (addon.c) and the DHCP
 * socket (pktinfo_socket.c).
 */
#ifndef XENBOOT_NAPI_HELPERS_H
#define XENBOOT_NAPI_HELPERS_H
#define NAPI_VERSION 8
#include <netinet/in.h>
#include <node_api.h>

/* Throws an Error whose code is libuv's name for `err` (e.g. "EADDRNOTAVAIL"), with `syscall` in its message and its `syscall` property; returns NULL. */
napi_value xenboot_throw_errno(napi_env env, const char *syscall, int err);

/* Reads `value` as a dotted-quad IPv4 string into `out`; returns 1, or 0 when it is not one. */
int xenboot_parse_ipv4(napi_env env, napi_value value, struct in_addr *out);

#endif
