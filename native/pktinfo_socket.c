/*
 * The DHCP server's socket: one UDP socket on the wildcard address that says, for every datagram, which
 * interface it arrived on and which local address it was for (IP_PKTINFO, ip(7)), and sends each reply
 * out of a chosen interface from a chosen source address (IP_PKTINFO on sendmsg: ipi_ifindex and
 * ipi_spec_dst). That is what lets one process serve several boot networks: a limited broadcast
 * (255.255.255.255) carries no hint of its network but the interface it came in on, and a broadcast reply
 * must leave by that same interface. dnsmasq does the same (dhcp.c, send_from/recvmsg with IP_PKTINFO).
 *
 * Why one socket with IP_PKTINFO rather than one socket per interface with SO_BINDTODEVICE: one bind of
 * port 67 made while still privileged serves interfaces (and VLANs) that appear later, after the process
 * has dropped root; it needs no CAP_NET_RAW; and there is one receive queue to drain and shed from under
 * overload instead of one per interface (docs/dhcp.md, "Several boot networks").
 *
 * The socket owns nothing shared with TFTP's sockets (udp_socket.h) and runs only on the event loop: on
 * readable it drains up to PKTINFO_BATCH datagrams, calling back once per datagram with the datagram in
 * the Buffer JavaScript handed over at open (valid only during the call), so no allocation is made here.
 *
 * Overload: past its capacity a DHCP server must spend its time finishing exchanges, not starting new
 * ones. When the kernel's queue is the one dropping, it drops REQUESTs (the second half of an exchange
 * whose OFFER was already paid for) as often as DISCOVERs, and the completed rate falls as the offered
 * rate rises. So each readable event drains the kernel's queue (up to PKTINFO_DRAIN datagrams) into a
 * staging ring of its own, looking only at option 53 of each, and delivers from the ring: first every
 * message that is not a DISCOVER, in arrival order, then DISCOVERs newest first (an old DISCOVER's client
 * is closest to giving up), PKTINFO_BATCH per turn of the event loop (an idle handle keeps the turns
 * coming while the ring holds work). When the ring is full the oldest DISCOVER makes room, and a DISCOVER
 * that has waited longer than `shedAfterMs` (kernel arrival time, SO_TIMESTAMPNS) is dropped: both unread
 * by JavaScript, counted (pktinfoShed). Nothing is dropped while the server keeps up, and a server starved
 * of CPU for a moment loses no work it could still finish in time. Datagrams larger than a ring slot
 * (1,536 bytes: any Ethernet frame) skip the ring and are delivered at once.
 *
 * Holding DISCOVERs (pktinfoHoldDiscovers): when the work JavaScript has already begun cannot finish in
 * time (a store answering slower than DISCOVERs arrive: every OFFER sent then makes a REQUEST that waits
 * for the store, and the REQUESTs time out), the server asks the socket to stop delivering DISCOVERs. They
 * wait in the ring and are shed there unread (age, or the oldest of a full ring) while every other message
 * is still delivered; delivery resumes when JavaScript lets go. No idle turn runs for held DISCOVERs.
 *
 * Ownership filter (pktinfoSetOwner, two-instance mode, docs/dhcp.md): servers splitting clients by the
 * RFC 3074 hash all receive every broadcast; a BOOTREQUEST whose client this instance does not answer is
 * dropped here, before it is copied into the ring or decoded, counted (pktinfoPeerDrops). The hash only
 * needs chaddr (bytes 28..33, htype 1 and hlen 6). What the filter keeps mirrors src/dhcp/ha/member.ts,
 * which still decides for everything delivered: a client whose bucket is set in the owner's 256-bit
 * mask; a message sent to one of this instance's addresses by the client itself (no relay, giaddr 0);
 * a REQUEST whose option 54 names one of its addresses; and anything it cannot judge from the bytes (no
 * Ethernet chaddr, overloaded options, not a BOOTREQUEST). Where the kernel accepts it, the same rule also
 * runs there first, as an eBPF socket filter (peer_bpf.c, attached at the first owner, updated with every
 * change): the peer's requests then never reach the queue, and this filter sees only what that one could
 * not read. pktinfoKernelFilter(handle) says whether it is attached, or why not; pktinfoPeerDrops counts
 * both filters' drops, pktinfoKernelPeerDrops the kernel's.
 *
 * Exports (registered by addon.c): pktinfoOpen(address, port, recvBuffer, shedAfterMs, onDatagram) ->
 * handle (shedAfterMs 0: never shed), pktinfoLocalPort(handle), pktinfoShed(handle) -> DISCOVERs dropped,
 * pktinfoSend(handle, buf, length, ip, port, ifindex, sourceIp) -> 0 | -errno, pktinfoClose(handle),
 * pktinfoHoldDiscovers(handle, hold), pktinfoSetOwner(handle, buckets | null, addresses) (buckets: a 32-byte
 * Buffer, bit b of byte b>>3 (LSB first) set when bucket b is this instance's; addresses: an array of
 * IPv4 addresses as 32-bit numbers), pktinfoPeerDrops(handle) -> requests dropped for the peers,
 * interfaceIndex(name) -> index | 0. onDatagram(length, sourceIp, sourcePort,
 * ifindex, destinationIp, localIp): addresses as 32-bit numbers; destinationIp is the header's
 * destination (255.255.255.255 for a limited broadcast), localIp the address of the arriving interface the
 * kernel would answer from (ipi_spec_dst). A receive error other than EAGAIN calls onDatagram(-errno, …).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "napi_helpers.h"
#include "peer_bpf.h"
#include "pktinfo_socket.h"

/* Datagrams delivered per turn of the event loop: enough for a burst, few enough to let timers, sends and the store's group commit run. */
#define PKTINFO_BATCH 64
/* Datagrams read from the kernel per readable event. */
#define PKTINFO_DRAIN 4096
/* The staging ring: slots, and the bytes of each (a whole 1500-byte Ethernet frame's payload). */
#define RING_SLOTS 1024
#define SLOT_BYTES 1536
/* The receive queue asked for: some seconds of DHCP at 10,000 messages/s (the kernel counts ~1 KiB each). */
#define PKTINFO_RCVBUF (8 * 1024 * 1024)

/* RFC 2131 §3 and RFC 2132 §9.6: the magic cookie at 236, options from 240, option 53 = message type. */
#define DHCP_OPTIONS_AT 240
#define DHCPDISCOVER 1
#define DHCPREQUEST 3
/* The most addresses an owner answers for (server.address and each network's). */
#define OWNER_ADDRESSES 32

typedef struct {
  uv_poll_t poll;
  napi_env env;
  int fd;
  int closing;
  int closed;
  int finalized;
  napi_ref callback;
  napi_ref recv_buffer_ref;
  unsigned char *recv_buffer;
  size_t recv_length;
  napi_async_context async_context;
  /* DISCOVERs older than this many nanoseconds are dropped unread (0: never). */
  int64_t shed_after_ns;
  double shed;
  /* Keeps event-loop turns coming while the ring holds datagrams; both handles close before the fd does. */
  uv_idle_t idle;
  int idle_active;
  int open_handles;
  /* The staging ring: slot storage and what each slot holds; free slots, the FIFO of non-DISCOVERs and the
     deque of DISCOVERs (oldest at the head), each a circular array of slot numbers. */
  unsigned char *slots;
  struct {
    size_t length;
    int64_t arrived;
    double values[6];
  } held[RING_SLOTS];
  int free_slots[RING_SLOTS], free_count;
  int urgent[RING_SLOTS], urgent_head, urgent_count;
  int discovers[RING_SLOTS], discover_head, discover_count;
  /* Set by pktinfoHoldDiscovers: DISCOVERs stay in the ring (and are shed there) until cleared. */
  int hold_discovers;
  /* The ownership filter (pktinfoSetOwner): active, the bucket mask, this instance's addresses (host order). */
  int owner_active;
  unsigned char owner_buckets[32];
  uint32_t owner_addresses[OWNER_ADDRESSES];
  int owner_address_count;
  double peer_drops;
  /* The same filter in the kernel (peer_bpf.c): its maps (config_fd -1 when not attached), and why not. */
  peer_bpf_maps bpf;
  int bpf_tried;
  char bpf_error[256];
} pktinfo_socket;

/* RFC 3074 §6, loadb_mx_tbl: the same table as src/dhcp/ha/load-balance.ts (test/dhcp/pktinfo-owner.test.ts compares them). */
static const unsigned char mixing_table[256] = {
    251, 175, 119, 215, 81,  14,  79,  191, 103, 49,  181, 143, 186, 157, 0,   232, 31,  32,  55,  60,  152, 58,  17,  237, 174, 70,
    160, 144, 220, 90,  57,  223, 59,  3,   18,  140, 111, 166, 203, 196, 134, 243, 124, 95,  222, 179, 197, 65,  180, 48,  36,  15,
    107, 46,  233, 130, 165, 30,  123, 161, 209, 23,  97,  16,  40,  91,  219, 61,  100, 10,  210, 109, 250, 127, 22,  138, 29,  108,
    244, 67,  207, 9,   178, 204, 74,  98,  126, 249, 167, 116, 34,  77,  193, 200, 121, 5,   20,  113, 71,  35,  128, 13,  182, 94,
    25,  226, 227, 199, 75,  27,  41,  245, 230, 224, 43,  225, 177, 26,  155, 150, 212, 142, 218, 115, 241, 73,  88,  105, 39,  114,
    62,  255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12,  84,  82,  163, 44,  139, 228, 236, 205, 242, 217, 11,  187, 146,
    159, 64,  86,  239, 195, 42,  106, 198, 118, 112, 184, 172, 87,  2,   173, 117, 176, 229, 247, 253, 137, 185, 99,  164, 102, 147,
    45,  66,  231, 52,  141, 211, 194, 206, 246, 238, 56,  110, 78,  248, 63,  240, 189, 93,  92,  51,  53,  183, 19,  171, 72,  50,
    33,  104, 101, 69,  8,   252, 83,  120, 76,  135, 85,  54,  202, 125, 188, 213, 96,  235, 136, 208, 162, 129, 190, 132, 156, 38,
    47,  1,   7,   254, 24,  4,   216, 131, 89,  21,  28,  133, 37,  153, 149, 80,  170, 68,  6,   169, 234, 151,
};

/* RFC 3074 §6 loadb_p_hash: start from the length, mix the key's bytes from the last to the first. */
static unsigned load_balance_hash(const unsigned char *key, size_t length) {
  unsigned hash = (unsigned)(length & 0xff);
  for (size_t i = length; i > 0; i--) hash = mixing_table[hash ^ key[i - 1]];
  return hash;
}

/*
 * The DHCP message type of a BOOTREQUEST (option 53 in the main option area), or 0 when the datagram is
 * not one or carries none. Bounded by the datagram: a look, not a decode (src/dhcp/packet.ts decodes).
 */
static int dhcp_request_type(const unsigned char *data, size_t length) {
  if (length < DHCP_OPTIONS_AT || data[0] != 1) return 0;
  if (data[236] != 99 || data[237] != 130 || data[238] != 83 || data[239] != 99) return 0;
  size_t at = DHCP_OPTIONS_AT;
  while (at < length) {
    unsigned code = data[at];
    if (code == 0) {
      at += 1;
      continue;
    }
    if (code == 255 || at + 1 >= length) return 0;
    size_t size = data[at + 1];
    if (at + 2 + size > length) return 0;
    if (code == 53 && size >= 1) return data[at + 2];
    at += 2 + size;
  }
  return 0;
}

/* What the ownership filter reads of a BOOTREQUEST's main option area: option 53, option 54, option 52. */
typedef struct {
  int type;
  int has_server_id;
  uint32_t server_id;
  int overloaded;
} request_facts;

static void scan_request(const unsigned char *data, size_t length, request_facts *facts) {
  memset(facts, 0, sizeof *facts);
  if (length < DHCP_OPTIONS_AT || data[236] != 99 || data[237] != 130 || data[238] != 83 || data[239] != 99) return;
  size_t at = DHCP_OPTIONS_AT;
  while (at < length) {
    unsigned code = data[at];
    if (code == 0) {
      at += 1;
      continue;
    }
    if (code == 255 || at + 1 >= length) return;
    size_t size = data[at + 1];
    if (at + 2 + size > length) return;
    const unsigned char *value = data + at + 2;
    if (code == 53 && size >= 1 && facts->type == 0) facts->type = value[0];
    if (code == 54 && size == 4 && !facts->has_server_id) {
      facts->has_server_id = 1;
      facts->server_id = ((uint32_t)value[0] << 24) | ((uint32_t)value[1] << 16) | ((uint32_t)value[2] << 8) | value[3];
    }
    if (code == 52) facts->overloaded = 1;
    at += 2 + size;
  }
}

static int owns_address(const pktinfo_socket *sock, uint32_t address) {
  for (int i = 0; i < sock->owner_address_count; i++)
    if (sock->owner_addresses[i] == address) return 1;
  return 0;
}

/*
 * True when the ownership filter drops this datagram: a BOOTREQUEST from an Ethernet client in another
 * instance's bucket that neither names this instance (option 54 of a REQUEST) nor was sent to it directly.
 * `destination` is the header's destination address (host order).
 */
static int for_a_peer(const pktinfo_socket *sock, const unsigned char *data, size_t length, uint32_t destination) {
  if (!sock->owner_active || length < DHCP_OPTIONS_AT || data[0] != 1 || data[1] != 1 || data[2] != 6) return 0;
  unsigned bucket = load_balance_hash(data + 28, 6);
  if (sock->owner_buckets[bucket >> 3] & (1u << (bucket & 7))) return 0;
  int relayed = data[24] | data[25] | data[26] | data[27];
  if (!relayed && owns_address(sock, destination)) return 0;
  request_facts facts;
  scan_request(data, length, &facts);
  if (facts.overloaded) return 0;
  if (facts.type == DHCPREQUEST && facts.has_server_id && owns_address(sock, facts.server_id)) return 0;
  return 1;
}

static int64_t realtime_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void free_if_done(pktinfo_socket *sock) {
  if (!sock->closed || !sock->finalized) return;
  free(sock->slots);
  free(sock);
}

static void on_closed(uv_handle_t *handle) {
  pktinfo_socket *sock = (pktinfo_socket *)handle->data;
  if (--sock->open_handles > 0) return;
  close(sock->fd);
  sock->fd = -1;
  peer_bpf_close(&sock->bpf);
  sock->closed = 1;
  free_if_done(sock);
}

static void begin_close(pktinfo_socket *sock) {
  if (sock->closing) return;
  sock->closing = 1;
  uv_poll_stop(&sock->poll);
  uv_idle_stop(&sock->idle);
  uv_close((uv_handle_t *)&sock->idle, on_closed);
  if (sock->callback != NULL) napi_delete_reference(sock->env, sock->callback);
  if (sock->recv_buffer_ref != NULL) napi_delete_reference(sock->env, sock->recv_buffer_ref);
  if (sock->async_context != NULL) napi_async_destroy(sock->env, sock->async_context);
  sock->callback = NULL;
  sock->recv_buffer_ref = NULL;
  sock->async_context = NULL;
  uv_close((uv_handle_t *)&sock->poll, on_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pktinfo_socket *sock = (pktinfo_socket *)data;
  sock->finalized = 1;
  begin_close(sock);
  free_if_done(sock);
}

/* Calls onDatagram with six numbers as a top-level callback; an exception it throws is re-raised as uncaught. */
static void emit(pktinfo_socket *sock, const double values[6]) {
  napi_env env = sock->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argv[6], result;
  if (napi_get_reference_value(env, sock->callback, &callback) == napi_ok && callback != NULL) {
    napi_get_global(env, &receiver);
    for (int i = 0; i < 6; i++) napi_create_double(env, values[i], &argv[i]);
    if (napi_make_callback(env, sock->async_context, receiver, callback, 6, argv, &result) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* Takes a slot off the free list, or -1. */
static int take_slot(pktinfo_socket *sock) {
  return sock->free_count > 0 ? sock->free_slots[--sock->free_count] : -1;
}

static void give_back(pktinfo_socket *sock, int slot) {
  sock->free_slots[sock->free_count++] = slot;
}

/* Drops the oldest DISCOVER in the ring (the head of the deque). */
static void shed_oldest_discover(pktinfo_socket *sock) {
  give_back(sock, sock->discovers[sock->discover_head]);
  sock->discover_head = (sock->discover_head + 1) % RING_SLOTS;
  sock->discover_count--;
  sock->shed += 1;
}

/* Copies a held datagram into the JavaScript buffer, frees its slot and calls onDatagram. */
static void deliver(pktinfo_socket *sock, int slot) {
  double values[6];
  size_t length = sock->held[slot].length;
  memcpy(values, sock->held[slot].values, sizeof values);
  memcpy(sock->recv_buffer, sock->slots + (size_t)slot * SLOT_BYTES, length);
  give_back(sock, slot);
  emit(sock, values);
}

/*
 * Reads what the kernel holds into the ring (at most PKTINFO_DRAIN datagrams). Returns 0, or an errno
 * other than EAGAIN to report. A datagram too large for a slot is delivered at once.
 */
static int drain(pktinfo_socket *sock) {
  for (int read = 0; read < PKTINFO_DRAIN && !sock->closing; read++) {
    /* Room first: a full ring gives up its oldest DISCOVER; a ring full of other messages waits. */
    if (sock->free_count == 0) {
      if (sock->discover_count == 0) return 0;
      shed_oldest_discover(sock);
    }
    struct sockaddr_in from;
    union {
      struct cmsghdr align;
      unsigned char bytes[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct timespec))];
    } control;
    struct iovec iov = {.iov_base = sock->recv_buffer, .iov_len = sock->recv_length};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    ssize_t n;
    do {
      n = recvmsg(sock->fd, &msg, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
    /* A datagram longer than the buffer is not a DHCP message xenboot takes (the codec's limit): dropped. */
    if (msg.msg_flags & MSG_TRUNC) continue;
    double values[6] = {(double)n, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port), 0, 0, 0};
    int64_t arrived = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof info);
        values[3] = info.ipi_ifindex;
        values[4] = ntohl(info.ipi_addr.s_addr);
        values[5] = ntohl(info.ipi_spec_dst.s_addr);
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        struct timespec stamp;
        memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        arrived = (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
      }
    }
    if (for_a_peer(sock, sock->recv_buffer, (size_t)n, (uint32_t)values[4])) {
      sock->peer_drops += 1;
      continue;
    }
    if ((size_t)n > SLOT_BYTES) {
      emit(sock, values);
      continue;
    }
    int slot = take_slot(sock);
    memcpy(sock->slots + (size_t)slot * SLOT_BYTES, sock->recv_buffer, (size_t)n);
    sock->held[slot].length = (size_t)n;
    sock->held[slot].arrived = arrived;
    memcpy(sock->held[slot].values, values, sizeof values);
    if (dhcp_request_type(sock->recv_buffer, (size_t)n) == DHCPDISCOVER) {
      sock->discovers[(sock->discover_head + sock->discover_count) % RING_SLOTS] = slot;
      sock->discover_count++;
    } else {
      sock->urgent[(sock->urgent_head + sock->urgent_count) % RING_SLOTS] = slot;
      sock->urgent_count++;
    }
  }
  return 0;
}

static void on_idle(uv_idle_t *handle);

/* Delivers up to PKTINFO_BATCH datagrams from the ring: the others first, then DISCOVERs newest first. */
static void deliver_batch(pktinfo_socket *sock) {
  if (sock->shed_after_ns > 0 && sock->discover_count > 0) {
    int64_t now = realtime_ns();
    while (sock->discover_count > 0) {
      int64_t arrived = sock->held[sock->discovers[sock->discover_head]].arrived;
      if (arrived == 0 || now - arrived <= sock->shed_after_ns) break;
      shed_oldest_discover(sock);
    }
  }
  for (int delivered = 0; delivered < PKTINFO_BATCH && !sock->closing; delivered++) {
    if (sock->urgent_count > 0) {
      int slot = sock->urgent[sock->urgent_head];
      sock->urgent_head = (sock->urgent_head + 1) % RING_SLOTS;
      sock->urgent_count--;
      deliver(sock, slot);
    } else if (sock->discover_count > 0 && !sock->hold_discovers) {
      sock->discover_count--;
      deliver(sock, sock->discovers[(sock->discover_head + sock->discover_count) % RING_SLOTS]);
    } else {
      break;
    }
  }
  if (sock->closing) return;
  int waiting = sock->urgent_count > 0 || (sock->discover_count > 0 && !sock->hold_discovers);
  if (waiting && !sock->idle_active) uv_idle_start(&sock->idle, on_idle);
  if (!waiting && sock->idle_active) uv_idle_stop(&sock->idle);
  sock->idle_active = waiting;
}

static void on_idle(uv_idle_t *handle) {
  pktinfo_socket *sock = (pktinfo_socket *)handle->data;
  if (!sock->closing) deliver_batch(sock);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  pktinfo_socket *sock = (pktinfo_socket *)handle->data;
  if (sock->closing || status < 0 || !(events & UV_READABLE)) return;
  int err = drain(sock);
  if (err != 0) {
    double values[6] = {-err, 0, 0, 0, 0, 0};
    emit(sock, values);
  }
  if (!sock->closing) deliver_batch(sock);
}

static pktinfo_socket *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "EINVAL", "pktinfo: not a socket handle");
    return NULL;
  }
  return (pktinfo_socket *)data;
}

/* The socket of a call whose only argument is the handle; NULL (an exception pending, or a bad call). */
static pktinfo_socket *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  return unwrap(env, argv[0]);
}

/* A counter of the socket as a JavaScript number. */
static napi_value counter_value(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

/* pktinfoOpen(address, port, recvBuffer, shedAfterMs, onDatagram) */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) {
    napi_throw_type_error(env, "EINVAL", "pktinfoOpen(address, port, recvBuffer, shedAfterMs, onDatagram)");
    return NULL;
  }
  struct sockaddr_in local;
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  uint32_t port = 0;
  if (!xenboot_parse_ipv4(env, argv[0], &local.sin_addr) || napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535) {
    napi_throw_type_error(env, "EINVAL", "pktinfoOpen: the address must be IPv4 text and the port 0-65535");
    return NULL;
  }
  local.sin_port = htons((uint16_t)port);
  void *recv_data = NULL;
  size_t recv_length = 0, byte_offset;
  napi_typedarray_type array_type;
  napi_value array_buffer;
  napi_valuetype callback_type;
  double shed_after_ms = 0;
  if (napi_get_typedarray_info(env, argv[2], &array_type, &recv_length, &recv_data, &array_buffer, &byte_offset) != napi_ok ||
      array_type != napi_uint8_array || recv_length == 0 || napi_get_value_double(env, argv[3], &shed_after_ms) != napi_ok ||
      !(shed_after_ms >= 0) || napi_typeof(env, argv[4], &callback_type) != napi_ok || callback_type != napi_function) {
    napi_throw_type_error(env, "EINVAL", "pktinfoOpen: recvBuffer must be a non-empty Buffer, shedAfterMs a number >= 0 and onDatagram a function");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return xenboot_throw_errno(env, "socket", errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 || setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    int err = errno;
    close(fd);
    return xenboot_throw_errno(env, "setsockopt", err);
  }
  /* A deep queue, so the age of a DISCOVER decides what is dropped, not the queue's tail (net.core.rmem_max caps SO_RCVBUF). */
  int rcvbuf = PKTINFO_RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    int err = errno;
    close(fd);
    return xenboot_throw_errno(env, "bind", err);
  }
  pktinfo_socket *sock = calloc(1, sizeof *sock);
  if (sock == NULL) {
    close(fd);
    return xenboot_throw_errno(env, "calloc", ENOMEM);
  }
  sock->env = env;
  sock->fd = fd;
  sock->bpf.config_fd = sock->bpf.counter_fd = -1;
  sock->recv_buffer = recv_data;
  sock->recv_length = recv_length;
  sock->shed_after_ns = (int64_t)(shed_after_ms * 1e6);
  sock->slots = malloc((size_t)RING_SLOTS * SLOT_BYTES);
  for (int i = 0; i < RING_SLOTS; i++) sock->free_slots[i] = RING_SLOTS - 1 - i;
  sock->free_count = RING_SLOTS;
  uv_loop_t *loop = NULL;
  if (sock->slots == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init_socket(loop, &sock->poll, fd) != 0) {
    close(fd);
    free(sock->slots);
    free(sock);
    napi_throw_error(env, "EINVAL", "pktinfo: cannot poll the socket");
    return NULL;
  }
  uv_idle_init(loop, &sock->idle);
  sock->idle.data = sock;
  sock->open_handles = 2;
  sock->poll.data = sock;
  napi_value resource_name, resource, handle;
  napi_create_string_utf8(env, "XenbootPktinfoSocket", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_reference(env, argv[4], 1, &sock->callback);
  napi_create_reference(env, argv[2], 1, &sock->recv_buffer_ref);
  napi_create_object(env, &resource);
  napi_async_init(env, resource, resource_name, &sock->async_context);
  if (napi_create_external(env, sock, finalize, NULL, &handle) != napi_ok) {
    sock->finalized = 1;
    begin_close(sock);
    napi_throw_error(env, "EINVAL", "pktinfo: cannot create the handle");
    return NULL;
  }
  int err = uv_poll_start(&sock->poll, UV_READABLE, on_poll);
  if (err != 0) {
    begin_close(sock);
    napi_throw_error(env, uv_err_name(err), "pktinfo: uv_poll_start failed");
    return NULL;
  }
  return handle;
}

static napi_value js_local_port(napi_env env, napi_callback_info info) {
  napi_value result;
  pktinfo_socket *sock = handle_arg(env, info);
  if (sock == NULL) return NULL;
  struct sockaddr_in local;
  socklen_t length = sizeof local;
  if (sock->closing || getsockname(sock->fd, (struct sockaddr *)&local, &length) != 0) return xenboot_throw_errno(env, "getsockname", sock->closing ? EBADF : errno);
  napi_create_uint32(env, ntohs(local.sin_port), &result);
  return result;
}

/* pktinfoShed(handle) -> how many DISCOVERs were dropped for waiting too long. */
static napi_value js_shed(napi_env env, napi_callback_info info) {
  pktinfo_socket *sock = handle_arg(env, info);
  return sock == NULL ? NULL : counter_value(env, sock->shed);
}

/* pktinfoSend(handle, buf, length, ip, port, ifindex, sourceIp) -> 0 | -errno; ifindex 0 and sourceIp 0: the kernel's choice. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 7) {
    napi_throw_type_error(env, "EINVAL", "pktinfoSend(handle, buf, length, ip, port, ifindex, sourceIp)");
    return NULL;
  }
  pktinfo_socket *sock = unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  void *data = NULL;
  size_t total = 0, byte_offset;
  napi_typedarray_type array_type;
  napi_value array_buffer;
  uint32_t length = 0, ip = 0, port = 0, ifindex = 0, source = 0;
  if (napi_get_typedarray_info(env, argv[1], &array_type, &total, &data, &array_buffer, &byte_offset) != napi_ok ||
      array_type != napi_uint8_array || napi_get_value_uint32(env, argv[2], &length) != napi_ok || length > total ||
      napi_get_value_uint32(env, argv[3], &ip) != napi_ok || napi_get_value_uint32(env, argv[4], &port) != napi_ok || port == 0 ||
      port > 65535 || napi_get_value_uint32(env, argv[5], &ifindex) != napi_ok || napi_get_value_uint32(env, argv[6], &source) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "pktinfoSend: a Buffer, its length, an address, a port 1-65535, an interface index and a source address");
    return NULL;
  }
  if (sock->closing) {
    napi_create_int32(env, -EBADF, &result);
    return result;
  }
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(ip);
  to.sin_port = htons((uint16_t)port);
  struct iovec iov = {.iov_base = data, .iov_len = length};
  union {
    struct cmsghdr align;
    unsigned char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (ifindex != 0 || source != 0) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pktinfo;
    memset(&pktinfo, 0, sizeof pktinfo);
    pktinfo.ipi_ifindex = (int)ifindex;
    pktinfo.ipi_spec_dst.s_addr = htonl(source);
    memcpy(CMSG_DATA(c), &pktinfo, sizeof pktinfo);
  }
  ssize_t sent;
  do {
    sent = sendmsg(sock->fd, &msg, MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  napi_create_int32(env, sent < 0 ? -errno : 0, &result);
  return result;
}

/* pktinfoHoldDiscovers(handle, hold): while held, DISCOVERs wait in the ring (and are shed there); others are delivered. */
static napi_value js_hold_discovers(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool hold = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_bool(env, argv[1], &hold) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "pktinfoHoldDiscovers(handle, hold)");
    return NULL;
  }
  pktinfo_socket *sock = unwrap(env, argv[0]);
  if (sock == NULL || sock->closing) return NULL;
  sock->hold_discovers = hold ? 1 : 0;
  /* Released with DISCOVERs waiting: the idle handle brings the turns that deliver them. */
  if (!hold && sock->discover_count > 0 && !sock->idle_active) {
    uv_idle_start(&sock->idle, on_idle);
    sock->idle_active = 1;
  }
  return NULL;
}

/* Removes the kernel filter (every datagram reaches the user-space filter again), noting why. */
static void detach_kernel_filter(pktinfo_socket *sock, const char *why, int error) {
  int unused = 0;
  setsockopt(sock->fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused);
  /* Its drops so far stay counted. */
  sock->peer_drops += peer_bpf_dropped(&sock->bpf);
  peer_bpf_close(&sock->bpf);
  snprintf(sock->bpf_error, sizeof sock->bpf_error, "%s%s%s", why, error != 0 ? ": " : "", error != 0 ? strerror(error) : "");
}

/*
 * Makes the kernel filter say what the user-space one says: attached at the first owner (once: a failed
 * load is not retried), updated at every change. If an update fails, the filter is removed rather than
 * left stale (it would keep dropping a peer's clients after a takeover).
 */
static void sync_kernel_filter(pktinfo_socket *sock) {
  if (sock->closing) return;
  int count = sock->owner_active ? sock->owner_address_count : 0;
  if (count > PEER_BPF_ADDRESSES) {
    if (sock->bpf.config_fd >= 0) detach_kernel_filter(sock, "more addresses than the kernel filter holds", 0);
    else snprintf(sock->bpf_error, sizeof sock->bpf_error, "more addresses than the kernel filter holds");
    return;
  }
  if (sock->bpf.config_fd < 0) {
    if (sock->bpf_tried || !sock->owner_active) return;
    sock->bpf_tried = 1;
    if (peer_bpf_attach(sock->fd, mixing_table, &sock->bpf, sock->bpf_error, sizeof sock->bpf_error) != 0) return;
    sock->bpf_error[0] = '\0';
  }
  int updated = peer_bpf_update(sock->bpf.config_fd, mixing_table, sock->owner_active ? sock->owner_buckets : NULL, sock->owner_addresses, count);
  if (updated != 0) detach_kernel_filter(sock, "bpf(BPF_MAP_UPDATE_ELEM)", -updated);
}

/* pktinfoSetOwner(handle, buckets | null, addresses): the ownership filter (null: none, every datagram taken). */
static napi_value js_set_owner(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, "EINVAL", "pktinfoSetOwner(handle, buckets, addresses)");
    return NULL;
  }
  pktinfo_socket *sock = unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  napi_valuetype type;
  napi_typeof(env, argv[1], &type);
  if (type == napi_null || type == napi_undefined) {
    sock->owner_active = 0;
    sync_kernel_filter(sock);
    return NULL;
  }
  void *data = NULL;
  size_t length = 0, byte_offset;
  napi_typedarray_type array_type;
  napi_value array_buffer;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_get_typedarray_info(env, argv[1], &array_type, &length, &data, &array_buffer, &byte_offset) != napi_ok || array_type != napi_uint8_array ||
      length != 32 || napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &count) != napi_ok ||
      count > OWNER_ADDRESSES) {
    napi_throw_type_error(env, "EINVAL", "pktinfoSetOwner: buckets must be a 32-byte Buffer and addresses an array of at most 32 numbers");
    return NULL;
  }
  uint32_t addresses[OWNER_ADDRESSES];
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[2], i, &element) != napi_ok || napi_get_value_uint32(env, element, &addresses[i]) != napi_ok) {
      napi_throw_type_error(env, "EINVAL", "pktinfoSetOwner: addresses must be 32-bit numbers");
      return NULL;
    }
  }
  memcpy(sock->owner_buckets, data, 32);
  memcpy(sock->owner_addresses, addresses, sizeof(uint32_t) * count);
  sock->owner_address_count = (int)count;
  sock->owner_active = 1;
  sync_kernel_filter(sock);
  return NULL;
}

/* pktinfoKernelFilter(handle) -> '' while the kernel filter is attached, else why not ('not requested' before an owner is set). */
static napi_value js_kernel_filter(napi_env env, napi_callback_info info) {
  pktinfo_socket *sock = handle_arg(env, info);
  if (sock == NULL) return NULL;
  napi_value result;
  const char *text = sock->bpf.config_fd >= 0 ? "" : sock->bpf_error[0] != '\0' ? sock->bpf_error : "not requested";
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

/* pktinfoKernelPeerDrops(handle) -> of those, the ones the kernel filter dropped (while attached). */
static napi_value js_kernel_peer_drops(napi_env env, napi_callback_info info) {
  pktinfo_socket *sock = handle_arg(env, info);
  return sock == NULL ? NULL : counter_value(env, peer_bpf_dropped(&sock->bpf));
}

/* pktinfoPeerDrops(handle) -> requests the ownership filter dropped, here and in the kernel. */
static napi_value js_peer_drops(napi_env env, napi_callback_info info) {
  pktinfo_socket *sock = handle_arg(env, info);
  return sock == NULL ? NULL : counter_value(env, sock->peer_drops + peer_bpf_dropped(&sock->bpf));
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  pktinfo_socket *sock = handle_arg(env, info);
  if (sock != NULL) begin_close(sock);
  return NULL;
}

/* interfaceIndex(name) -> the interface's index, or 0 when there is no such interface (if_nametoindex). */
static napi_value js_interface_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  char name[IF_NAMESIZE + 1];
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "interfaceIndex(name)");
    return NULL;
  }
  napi_create_uint32(env, length >= IF_NAMESIZE ? 0 : if_nametoindex(name), &result);
  return result;
}

void xenboot_register_pktinfo(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"pktinfoOpen", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoLocalPort", NULL, js_local_port, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoShed", NULL, js_shed, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoSend", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoClose", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoHoldDiscovers", NULL, js_hold_discovers, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoSetOwner", NULL, js_set_owner, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoPeerDrops", NULL, js_peer_drops, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoKernelFilter", NULL, js_kernel_filter, NULL, NULL, NULL, napi_default, NULL},
      {"pktinfoKernelPeerDrops", NULL, js_kernel_peer_drops, NULL, NULL, NULL, napi_default, NULL},
      {"interfaceIndex", NULL, js_interface_index, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
