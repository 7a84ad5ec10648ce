/*
 * xenboot_udp: a minimal UDP socket for TFTP transfers, as a Node-API addon. This file is its
 * JavaScript interface and a socket's life on the event loop; the other parts are named for what they
 * do: socket_io.c (a datagram in or out, the pending error), ack_answer.c (an in-order ACK answered from
 * the window), page_cache.c (the read that never waits for the disk), ack_thread.c (answering off the
 * event loop).
 *
 * node:dgram costs several microseconds per datagram that a lock-step TFTP transfer cannot afford: a
 * 64 KiB allocation and a new Buffer per receive, an rinfo object with a formatted address, a SendWrap
 * per send, and an extra recvmsg() that returns EAGAIN. This socket does one thing: it is bound to a
 * local address with an ephemeral port (the transfer ID, RFC 1350 section 4), optionally connected to
 * the client, and
 *   - receives into one Buffer that JavaScript handed over at open and reuses for every datagram,
 *     calling back with (length, source address as a 32-bit number, source port): no allocation;
 *   - sends straight from JavaScript's Buffer with send()/sendto() and MSG_DONTWAIT, returning 0 or
 *     -errno at once (EAGAIN tells the caller to queue and wait for the writable event).
 *
 * It is driven by a libuv poll handle on the process's event loop. Readiness is level-triggered, so
 * one datagram is read per readable event and the rest come on the next loop iteration.
 *
 * accelerate() hands the socket a transfer's window state (`Window` in src/tftp/transfer/window.ts, a
 * Float64Array shared with JavaScript, laid out as window_layout.h says) and its ring of ready DATA packets. From then on an in-order ACK from the
 * client is answered here, without entering JavaScript: the window slides and the loaded blocks it now
 * covers are sent, exactly as ReadTransfer.handleAck and pump() would do it, and the next chunk of a
 * file is read from the page cache when the ring has room (ack_answer.c). Anything else (the
 * final ACK, ERROR, a datagram from another port, pages not cached, a send the kernel refuses) goes to
 * JavaScript as before, or as a resume event (kind 3).
 *
 * engage() moves an accelerated socket off the event loop onto the ACK thread (ack_thread.c), which
 * answers its ACKs without waking Node at all; reclaim() takes it back so JavaScript may look at the
 * window. The thread hands it back by itself with whatever it does not answer.
 *
 * Exports: open(localIp, remoteIp, remotePort, connect, recvBuffer, onEvent) -> handle,
 * localPort(handle), send(handle, buf, offset, length), sendTo(handle, buf, offset, length, ip, port),
 * watchWritable(handle, on), accelerate(handle, window, ring, layout) with layout = { stride, ringSlots,
 * blksize, size, lastBlock, windowsize, chunkBlocks, fd, clockNow }, engage(handle) -> boolean,
 * reclaim(handle), close(handle), readCached(fd, targets, position). onEvent(kind, a, b, c): kind 0 = datagram
 * (a = length, b = source address, c = source port), 1 = receive error (a = -errno), 2 = writable,
 * 3 = resume (the accelerated window needs JavaScript: read ahead, or send what the kernel refused).
 *
 * The same addon carries the DHCP server's socket (pktinfo_socket.c, exports pktinfo*), which shares
 * nothing with the transfer sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi_helpers.h"
#include "page_cache.h"
#include "pktinfo_socket.h"
#include "udp_socket.h"

#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, "EINVAL", "xenboot_udp: " #call " failed"); \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

static void free_if_done(udp_socket *sock) {
  if (!sock->closed || !sock->finalized) return;
  pthread_mutex_destroy(&sock->lock);
  free(sock);
}

static void on_closed(uv_handle_t *handle) {
  udp_socket *sock = (udp_socket *)handle->data;
  close(sock->fd);
  sock->fd = -1;
  sock->closed = 1;
  free_if_done(sock);
}

/* Stops polling and releases the JavaScript references; the fd is closed once libuv lets go of it. */
static void begin_close(udp_socket *sock) {
  if (sock->closing) return;
  xenboot_forget(sock);
  sock->closing = 1;
  uv_poll_stop(&sock->poll);
  if (sock->callback != NULL) napi_delete_reference(sock->env, sock->callback);
  if (sock->recv_buffer_ref != NULL) napi_delete_reference(sock->env, sock->recv_buffer_ref);
  if (sock->async_context != NULL) napi_async_destroy(sock->env, sock->async_context);
  if (sock->window.window_ref != NULL) napi_delete_reference(sock->env, sock->window.window_ref);
  if (sock->window.ring_ref != NULL) napi_delete_reference(sock->env, sock->window.ring_ref);
  sock->window.on = 0;
  sock->window.window_ref = NULL;
  sock->window.ring_ref = NULL;
  sock->callback = NULL;
  sock->recv_buffer_ref = NULL;
  sock->async_context = NULL;
  uv_close((uv_handle_t *)&sock->poll, on_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_socket *sock = (udp_socket *)data;
  sock->finalized = 1;
  begin_close(sock);
  free_if_done(sock);
}

/* Calls onEvent(kind, a, b, c) as a top-level callback, so promise jobs and nextTicks run after it. */
void xenboot_emit(udp_socket *sock, int kind, double a, double b, double c) {
  napi_env env = sock->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argv[4], result;
  if (napi_get_reference_value(env, sock->callback, &callback) == napi_ok && callback != NULL) {
    napi_get_global(env, &receiver); /* napi_make_callback wants an object */
    napi_create_int32(env, kind, &argv[0]);
    napi_create_double(env, a, &argv[1]);
    napi_create_double(env, b, &argv[2]);
    napi_create_double(env, c, &argv[3]);
    if (napi_make_callback(env, sock->async_context, receiver, callback, 4, argv, &result) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  udp_socket *sock = (udp_socket *)handle->data;
  if (sock->closing) return;
  if (status < 0) {
    /*
     * libuv reports POLLERR without POLLPRI as UV_EBADF and stops polling (uv__poll_io in
     * src/unix/poll.c). On this socket that is a pending error with no datagram queued: an ICMP port
     * unreachable from a client that went away, say after the OACK. Read it as a receive would
     * (SO_ERROR, which also clears it), poll again, and report it as the receive error it is.
     */
    int err = xenboot_pending_error(sock);
    if (err != 0) {
      xenboot_restart_poll(sock);
      xenboot_emit(sock, EVENT_RECV_ERROR, -err, 0, 0);
      return;
    }
    xenboot_emit(sock, EVENT_RECV_ERROR, status, 0, 0);
    return;
  }
  if (events & UV_READABLE) {
    struct sockaddr_in from;
    ssize_t n = xenboot_receive(sock, &from);
    ack_answer answer = n >= 0 ? xenboot_answer_datagram(sock, n, &from) : ACK_FOR_JAVASCRIPT;
    if (answer == ACK_ANSWERED_RESUME) {
      xenboot_emit(sock, EVENT_RESUME, 0, 0, 0);
    } else if (answer == ACK_ANSWERED) {
      /* answered from the window */
    } else if (n >= 0) {
      xenboot_emit(sock, EVENT_DATAGRAM, (double)n, (double)ntohl(from.sin_addr.s_addr), (double)ntohs(from.sin_port));
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      /* On a connected socket, ECONNREFUSED reports an ICMP port unreachable: the client is gone. */
      xenboot_emit(sock, EVENT_RECV_ERROR, -errno, 0, 0);
    }
  }
  if ((events & UV_WRITABLE) && !sock->closing && sock->watching_writable) xenboot_emit(sock, EVENT_WRITABLE, 0, 0, 0);
}

static udp_socket *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "EINVAL", "xenboot_udp: not a socket handle");
    return NULL;
  }
  return (udp_socket *)data;
}

/* Reads up to `capacity` arguments (unset ones are undefined) and unwraps the handle in argv[0]. */
static udp_socket *handle_args(napi_env env, napi_callback_info info, size_t capacity, napi_value *argv, size_t *argc) {
  *argc = capacity;
  if (napi_get_cb_info(env, info, argc, argv, NULL, NULL) != napi_ok || *argc < 1) {
    napi_throw_type_error(env, "EINVAL", "xenboot_udp: a socket handle is required");
    return NULL;
  }
  return unwrap(env, argv[0]);
}

int xenboot_restart_poll(udp_socket *sock) {
  int events = UV_READABLE | (sock->watching_writable ? UV_WRITABLE : 0);
  return uv_poll_start(&sock->poll, events, on_poll);
}

/* open(localIp, remoteIp, remotePort, connect, recvBuffer, onEvent) */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, "EINVAL", "open(localIp, remoteIp, remotePort, connect, recvBuffer, onEvent)");
    return NULL;
  }
  struct sockaddr_in local, remote;
  memset(&local, 0, sizeof local);
  memset(&remote, 0, sizeof remote);
  local.sin_family = remote.sin_family = AF_INET;
  uint32_t port = 0;
  bool connect_to_remote = false;
  if (!xenboot_parse_ipv4(env, argv[0], &local.sin_addr) || !xenboot_parse_ipv4(env, argv[1], &remote.sin_addr) ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok || port == 0 || port > 65535 ||
      napi_get_value_bool(env, argv[3], &connect_to_remote) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "open: addresses must be IPv4 text and the port 1-65535");
    return NULL;
  }
  remote.sin_port = htons((uint16_t)port);
  void *recv_data = NULL;
  size_t recv_length = 0;
  napi_typedarray_type array_type;
  napi_value array_buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, argv[4], &array_type, &recv_length, &recv_data, &array_buffer, &byte_offset) != napi_ok ||
      array_type != napi_uint8_array || recv_length == 0) {
    napi_throw_type_error(env, "EINVAL", "open: recvBuffer must be a non-empty Buffer");
    return NULL;
  }
  napi_valuetype callback_type;
  if (napi_typeof(env, argv[5], &callback_type) != napi_ok || callback_type != napi_function) {
    napi_throw_type_error(env, "EINVAL", "open: onEvent must be a function");
    return NULL;
  }

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return xenboot_throw_errno(env, "socket", errno);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    int err = errno;
    close(fd);
    return xenboot_throw_errno(env, "bind", err);
  }
  if (connect_to_remote && connect(fd, (struct sockaddr *)&remote, sizeof remote) != 0) {
    int err = errno;
    close(fd);
    return xenboot_throw_errno(env, "connect", err);
  }

  udp_socket *sock = calloc(1, sizeof *sock);
  if (sock == NULL) {
    close(fd);
    return xenboot_throw_errno(env, "calloc", ENOMEM);
  }
  pthread_mutex_init(&sock->lock, NULL);
  sock->env = env;
  sock->fd = fd;
  sock->connected = connect_to_remote;
  sock->remote = remote;
  sock->recv_buffer = recv_data;
  sock->recv_length = recv_length;
  uv_loop_t *loop = NULL;
  napi_value resource_name;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init_socket(loop, &sock->poll, fd) != 0) {
    close(fd);
    free(sock);
    napi_throw_error(env, "EINVAL", "xenboot_udp: cannot poll the socket");
    return NULL;
  }
  sock->poll.data = sock;
  napi_create_string_utf8(env, "XenbootUdpSocket", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_reference(env, argv[5], 1, &sock->callback);
  napi_create_reference(env, argv[4], 1, &sock->recv_buffer_ref);
  napi_value resource;
  napi_create_object(env, &resource);
  napi_async_init(env, resource, resource_name, &sock->async_context);
  napi_value handle;
  if (napi_create_external(env, sock, finalize, NULL, &handle) != napi_ok) {
    sock->finalized = 1;
    begin_close(sock);
    napi_throw_error(env, "EINVAL", "xenboot_udp: cannot create the handle");
    return NULL;
  }
  int err = xenboot_restart_poll(sock);
  if (err != 0) {
    begin_close(sock);
    napi_throw_error(env, uv_err_name(err), "xenboot_udp: uv_poll_start failed");
    return NULL;
  }
  return handle;
}

static napi_value js_local_port(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[1], result;
  udp_socket *sock = handle_args(env, info, 1, argv, &argc);
  if (sock == NULL) return NULL;
  struct sockaddr_in local;
  socklen_t length = sizeof local;
  if (sock->closing || getsockname(sock->fd, (struct sockaddr *)&local, &length) != 0) return xenboot_throw_errno(env, "getsockname", sock->closing ? EBADF : errno);
  napi_create_uint32(env, ntohs(local.sin_port), &result);
  return result;
}

/* Sends buf[offset, offset + length) to `to` (NULL: the connected peer). Returns 0 or -errno. */
static napi_value send_common(napi_env env, napi_value *argv, const struct sockaddr_in *to) {
  napi_value result;
  udp_socket *sock = unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  void *data = NULL;
  size_t total = 0, byte_offset;
  napi_typedarray_type array_type;
  napi_value array_buffer;
  uint32_t offset = 0, length = 0;
  if (napi_get_typedarray_info(env, argv[1], &array_type, &total, &data, &array_buffer, &byte_offset) != napi_ok ||
      array_type != napi_uint8_array || napi_get_value_uint32(env, argv[2], &offset) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &length) != napi_ok || (size_t)offset + length > total) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "send: offset and length must lie inside the Buffer");
    return NULL;
  }
  int status = sock->closing ? -EBADF : -xenboot_send_datagram(sock, (const unsigned char *)data + offset, length, to);
  napi_create_int32(env, status, &result);
  return result;
}

/* send(handle, buf, offset, length) -> 0 | -errno: to the client. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "EINVAL", "send(handle, buf, offset, length)");
    return NULL;
  }
  return send_common(env, argv, NULL);
}

/* sendTo(handle, buf, offset, length, ip, port) -> 0 | -errno: to another address (ERROR 5 to a stranger). */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t ip = 0, port = 0;
  if (argc < 6 || napi_get_value_uint32(env, argv[4], &ip) != napi_ok || napi_get_value_uint32(env, argv[5], &port) != napi_ok ||
      port == 0 || port > 65535) {
    napi_throw_type_error(env, "EINVAL", "sendTo(handle, buf, offset, length, ip, port)");
    return NULL;
  }
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(ip);
  to.sin_port = htons((uint16_t)port);
  return send_common(env, argv, &to);
}

/* watchWritable(handle, on): while on, onEvent(2) fires whenever the socket can take a datagram. */
static napi_value js_watch_writable(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[2];
  udp_socket *sock = handle_args(env, info, 2, argv, &argc);
  if (sock == NULL) return NULL;
  bool on = false;
  if (argc < 2 || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "watchWritable(handle, on)");
    return NULL;
  }
  if (!sock->closing && sock->watching_writable != (int)on) {
    xenboot_reclaim(sock); /* writable events are the event loop's */
    sock->watching_writable = on;
    xenboot_restart_poll(sock);
  }
  return NULL;
}

/* The numbers of accelerate's layout object, by name, in the order js_accelerate reads them. */
static const char *const LAYOUT_FIELDS[] = {"stride", "ringSlots", "blksize", "size", "lastBlock", "windowsize", "clockNow", "chunkBlocks", "fd"};
#define LAYOUT_COUNT (sizeof LAYOUT_FIELDS / sizeof LAYOUT_FIELDS[0])

/* accelerate(handle, window, ring, { stride, ringSlots, blksize, size, lastBlock, windowsize, chunkBlocks, fd, clockNow }) */
static napi_value js_accelerate(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[4];
  udp_socket *sock = handle_args(env, info, 4, argv, &argc);
  if (sock == NULL) return NULL;
  accelerated_window win;
  memset(&win, 0, sizeof win);
  void *window_data = NULL, *ring_data = NULL;
  size_t window_length = 0, ring_length = 0, byte_offset;
  napi_typedarray_type window_type, ring_type;
  napi_value array_buffer;
  double numbers[LAYOUT_COUNT];
  napi_valuetype layout_type;
  int ok = argc == 4 && napi_typeof(env, argv[3], &layout_type) == napi_ok && layout_type == napi_object &&
           napi_get_typedarray_info(env, argv[1], &window_type, &window_length, &window_data, &array_buffer, &byte_offset) == napi_ok &&
           window_type == napi_float64_array && window_length >= W_FIELDS &&
           napi_get_typedarray_info(env, argv[2], &ring_type, &ring_length, &ring_data, &array_buffer, &byte_offset) == napi_ok &&
           ring_type == napi_uint8_array;
  for (size_t i = 0; ok && i < LAYOUT_COUNT; i += 1) {
    napi_value field;
    ok = napi_get_named_property(env, argv[3], LAYOUT_FIELDS[i], &field) == napi_ok && napi_get_value_double(env, field, &numbers[i]) == napi_ok;
  }
  if (ok) {
    win.stride = numbers[0];
    win.ring_slots = numbers[1];
    win.blksize = numbers[2];
    win.size = numbers[3];
    win.last_block = numbers[4];
    win.windowsize = numbers[5];
    win.chunk_blocks = numbers[7];
    win.fd = numbers[8] >= 0 && numbers[8] <= 0x7fffffff ? (int)numbers[8] : -1;
    /* Every slot must lie inside the ring, a packet inside its slot, a chunk inside the ring. */
    ok = win.ring_slots >= 1 && win.blksize >= 1 && win.stride >= win.blksize + 4 && win.windowsize >= 1 &&
         win.stride * win.ring_slots <= (double)ring_length && win.last_block >= 1 && win.size >= 0 &&
         win.chunk_blocks >= 1 && win.chunk_blocks <= win.ring_slots;
  }
  if (!ok) {
    napi_throw_type_error(env, "EINVAL", "accelerate(handle, Float64Array window, Buffer ring, { stride, ringSlots, blksize, size, lastBlock, windowsize, chunkBlocks, fd, clockNow }): bad arguments");
    return NULL;
  }
  if (sock->closing || sock->window.on) return NULL;
  win.w = window_data;
  win.ring = ring_data;
  win.clock_offset = numbers[6] - (double)uv_hrtime() / 1e6;
  napi_create_reference(env, argv[1], 1, &win.window_ref);
  napi_create_reference(env, argv[2], 1, &win.ring_ref);
  win.on = 1;
  sock->window = win;
  return NULL;
}

/*
 * engage(handle) -> whether the ACK thread now answers this socket's window. Only an accelerated,
 * active window with nothing queued in JavaScript is engaged; otherwise it stays on the event loop.
 */
static napi_value js_engage(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[1], result;
  udp_socket *sock = handle_args(env, info, 1, argv, &argc);
  if (sock == NULL) return NULL;
  napi_get_boolean(env, xenboot_engage(sock), &result);
  return result;
}

/* Unwraps the handle in the only argument and applies `operation` to it; returns undefined. */
static napi_value on_socket(napi_env env, napi_callback_info info, void (*operation)(udp_socket *)) {
  size_t argc;
  napi_value argv[1];
  udp_socket *sock = handle_args(env, info, 1, argv, &argc);
  if (sock != NULL) operation(sock);
  return NULL;
}

/* reclaim(handle): takes the socket back from the ACK thread; afterwards its window is JavaScript's. */
static napi_value js_reclaim(napi_env env, napi_callback_info info) { return on_socket(env, info, xenboot_reclaim); }

/* close(handle): idempotent; no event is delivered afterwards. */
static napi_value js_close(napi_env env, napi_callback_info info) { return on_socket(env, info, begin_close); }

/* readCached's targets: element i of a JavaScript array of Buffers. */
typedef struct {
  napi_env env;
  napi_value array;
} buffer_slots;

static int buffer_slot(void *context, size_t index, struct iovec *out) {
  buffer_slots *buffers = context;
  napi_value element, array_buffer;
  napi_typedarray_type type;
  size_t length = 0, byte_offset;
  void *data = NULL;
  if (napi_get_element(buffers->env, buffers->array, (uint32_t)index, &element) != napi_ok ||
      napi_get_typedarray_info(buffers->env, element, &type, &length, &data, &array_buffer, &byte_offset) != napi_ok ||
      type != napi_uint8_array)
    return 0;
  out->iov_base = data;
  out->iov_len = length;
  return 1;
}

/*
 * readCached(fd, targets, position) -> bytes read into targets[0], targets[1], … in order (fewer than
 * asked: the end of the file, or a part not in the cache), or -errno (-EAGAIN: none of it is cached;
 * -EOPNOTSUPP: the file system cannot tell). See page_cache.c.
 */
static napi_value js_read_cached(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t fd = -1;
  uint32_t count = 0;
  double position = 0;
  bool is_array = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &count) != napi_ok ||
      napi_get_value_double(env, argv[2], &position) != napi_ok || position < 0) {
    napi_throw_type_error(env, "EINVAL", "readCached(fd, Buffer[] targets, position)");
    return NULL;
  }
  buffer_slots buffers = {env, argv[1]};
  int error;
  double total = xenboot_read_cached(fd, position, count, buffer_slot, &buffers, &error);
  if (error == EINVAL) {
    napi_throw_type_error(env, "EINVAL", "readCached: every target must be a Buffer");
    return NULL;
  }
  if (error != 0) napi_create_int32(env, -error, &result);
  else napi_create_double(env, total, &result);
  return result;
}

/*
 * The interface version: bumped whenever an export or the window layout (window_layout.h) changes, so
 * that a stale build is refused by src/tftp/transfer/native/addon.ts (NATIVE_ADDON_VERSION) instead of
 * being called with arguments it does not know. 4: accelerate takes a layout object.
 */
#define XENBOOT_ADDON_VERSION 4

static napi_value init(napi_env env, napi_value exports) {
  napi_value version;
  napi_create_uint32(env, XENBOOT_ADDON_VERSION, &version);
  napi_set_named_property(env, exports, "version", version);
  napi_property_descriptor properties[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"localPort", NULL, js_local_port, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"watchWritable", NULL, js_watch_writable, NULL, NULL, NULL, napi_default, NULL},
      {"accelerate", NULL, js_accelerate, NULL, NULL, NULL, napi_default, NULL},
      {"engage", NULL, js_engage, NULL, NULL, NULL, napi_default, NULL},
      {"reclaim", NULL, js_reclaim, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"readCached", NULL, js_read_cached, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  xenboot_register_pktinfo(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
