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
 * rate rises. So the receive queue is made deep (SO_RCVBUFFORCE while still root, else SO_RCVBUF), every
 * datagram carries its kernel arrival time (SO_TIMESTAMPNS), and a DISCOVER that has already waited
 * longer than `shedAfterMs` is dropped here, after a look at option 53 and before JavaScript sees it;
 * REQUESTs and every other message are always delivered. The queue then settles at that delay and the
 * server keeps answering at its best rate. Dropped DISCOVERs are counted (pktinfoShed).
 *
 * Exports (registered by addon.c): pktinfoOpen(address, port, recvBuffer, shedAfterMs, onDatagram) ->
 * handle (shedAfterMs 0: never shed), pktinfoLocalPort(handle), pktinfoShed(handle) -> DISCOVERs dropped,
 * pktinfoSend(handle, buf, length, ip, port, ifindex, sourceIp) -> 0 | -errno, pktinfoClose(handle),
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pktinfo_socket.h"

/* Datagrams delivered per readable event: enough to drain a burst, few enough to let timers and sends run. */
#define PKTINFO_BATCH 64
/* Datagrams read per readable event, counting those shed without delivery. */
#define PKTINFO_READ_LIMIT 1024
/* The receive queue asked for: some seconds of DHCP at 10,000 messages/s (the kernel counts ~1 KiB each). */
#define PKTINFO_RCVBUF (8 * 1024 * 1024)

/* RFC 2131 §3 and RFC 2132 §9.6: the magic cookie at 236, options from 240, option 53 = message type. */
#define DHCP_OPTIONS_AT 240
#define DHCPDISCOVER 1

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
} pktinfo_socket;

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

static int64_t realtime_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char message[160];
  const char *name = uv_err_name(uv_translate_sys_error(err));
  snprintf(message, sizeof message, "%s %s: %s", syscall, name, strerror(err));
  napi_value code, msg, error;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

static void free_if_done(pktinfo_socket *sock) {
  if (sock->closed && sock->finalized) free(sock);
}

static void on_closed(uv_handle_t *handle) {
  pktinfo_socket *sock = (pktinfo_socket *)handle->data;
  close(sock->fd);
  sock->fd = -1;
  sock->closed = 1;
  free_if_done(sock);
}

static void begin_close(pktinfo_socket *sock) {
  if (sock->closing) return;
  sock->closing = 1;
  uv_poll_stop(&sock->poll);
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

static void on_poll(uv_poll_t *handle, int status, int events) {
  pktinfo_socket *sock = (pktinfo_socket *)handle->data;
  if (sock->closing || status < 0 || !(events & UV_READABLE)) return;
  int64_t now = 0;
  for (int delivered = 0, read = 0; delivered < PKTINFO_BATCH && read < PKTINFO_READ_LIMIT && !sock->closing; read++) {
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
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        double values[6] = {-errno, 0, 0, 0, 0, 0};
        emit(sock, values);
      }
      return;
    }
    /* A datagram longer than the buffer is not a DHCP message xenboot takes (the codec's limit): dropped. */
    if (msg.msg_flags & MSG_TRUNC) continue;
    double ifindex = 0, destination = 0, local = 0;
    int64_t arrived = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof info);
        ifindex = info.ipi_ifindex;
        destination = ntohl(info.ipi_addr.s_addr);
        local = ntohl(info.ipi_spec_dst.s_addr);
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        struct timespec stamp;
        memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        arrived = (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
      }
    }
    if (sock->shed_after_ns > 0 && arrived > 0) {
      /* One clock read per batch: JavaScript runs between deliveries, so read it again after each. */
      if (now == 0) now = realtime_ns();
      if (now - arrived > sock->shed_after_ns && dhcp_request_type(sock->recv_buffer, (size_t)n) == DHCPDISCOVER) {
        sock->shed += 1;
        continue;
      }
    }
    double values[6] = {(double)n, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port), ifindex, destination, local};
    emit(sock, values);
    delivered++;
    now = 0;
  }
}

static pktinfo_socket *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "EINVAL", "pktinfo: not a socket handle");
    return NULL;
  }
  return (pktinfo_socket *)data;
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
  char text[64];
  size_t text_length = 0;
  uint32_t port = 0;
  if (napi_get_value_string_utf8(env, argv[0], text, sizeof text, &text_length) != napi_ok || inet_pton(AF_INET, text, &local.sin_addr) != 1 ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535) {
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
  if (fd < 0) return throw_errno(env, "socket", errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 || setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt", err);
  }
  /* A deep queue, so the age of a DISCOVER decides what is dropped, not the queue's tail (net.core.rmem_max caps SO_RCVBUF). */
  int rcvbuf = PKTINFO_RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  pktinfo_socket *sock = calloc(1, sizeof *sock);
  if (sock == NULL) {
    close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  sock->env = env;
  sock->fd = fd;
  sock->recv_buffer = recv_data;
  sock->recv_length = recv_length;
  sock->shed_after_ns = (int64_t)(shed_after_ms * 1e6);
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init_socket(loop, &sock->poll, fd) != 0) {
    close(fd);
    free(sock);
    napi_throw_error(env, "EINVAL", "pktinfo: cannot poll the socket");
    return NULL;
  }
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
  size_t argc = 1;
  napi_value argv[1], result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  pktinfo_socket *sock = unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  struct sockaddr_in local;
  socklen_t length = sizeof local;
  if (sock->closing || getsockname(sock->fd, (struct sockaddr *)&local, &length) != 0) return throw_errno(env, "getsockname", sock->closing ? EBADF : errno);
  napi_create_uint32(env, ntohs(local.sin_port), &result);
  return result;
}

/* pktinfoShed(handle) -> how many DISCOVERs were dropped for waiting too long. */
static napi_value js_shed(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  pktinfo_socket *sock = unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  napi_create_double(env, sock->shed, &result);
  return result;
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

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  pktinfo_socket *sock = unwrap(env, argv[0]);
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
      {"interfaceIndex", NULL, js_interface_index, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
