/*
 * The two-instance mode's ownership filter in the kernel: an eBPF socket filter on the DHCP socket that
 * drops another instance's requests before they are queued to the socket, so the instance is not woken
 * for them and never copies them. See peer_bpf.c.
 */
#ifndef XENBOOT_PEER_BPF_H
#define XENBOOT_PEER_BPF_H

#include <stddef.h>
#include <stdint.h>

/* The most addresses the kernel filter knows (server.address and each network's); an instance with more keeps the filter in user space only. */
#define PEER_BPF_ADDRESSES 8

/* The filter's maps: what it keeps (updated in place), and how many datagrams it dropped. -1: none. */
typedef struct {
  int config_fd;
  int counter_fd;
} peer_bpf_maps;

/*
 * Loads the filter and attaches it to socket `fd`, filling `maps`; returns 0, or -1 with a reason in
 * `error`. Until the first update the filter keeps every datagram.
 */
int peer_bpf_attach(int fd, const unsigned char mixing_table[256], peer_bpf_maps *maps, char *error, size_t error_size);

/* The datagrams the filter has dropped so far. */
double peer_bpf_dropped(const peer_bpf_maps *maps);

/* Closes the maps (the program goes with the socket, or with SO_DETACH_FILTER). */
void peer_bpf_close(peer_bpf_maps *maps);

/*
 * Sets what the filter keeps: clients whose RFC 3074 bucket is set in `buckets` (32 bytes; NULL: every
 * client), and requests for one of `addresses` (host order, at most PEER_BPF_ADDRESSES). Returns 0 or -errno.
 */
int peer_bpf_update(int map_fd, const unsigned char mixing_table[256], const unsigned char *buckets, const uint32_t *addresses, int count);

#endif
