/*
 * The DHCP server's socket (pktinfo_socket.c): which interface and local address each datagram arrived
 * on, and replies sent out of a chosen interface. Shares nothing with the TFTP transfer sockets.
 */
#ifndef XENBOOT_PKTINFO_SOCKET_H
#define XENBOOT_PKTINFO_SOCKET_H
#define NAPI_VERSION 8
#include <node_api.h>

/* Adds pktinfoOpen, pktinfoLocalPort, pktinfoShed, pktinfoSend, pktinfoHoldDiscovers, pktinfoSetOwner, pktinfoPeerDrops,
   pktinfoClose and interfaceIndex to the addon's exports. */
void xenboot_register_pktinfo(napi_env env, napi_value exports);

#endif
