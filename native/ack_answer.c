/*
 * The ACK answer: an in-order ACK of an accelerated transfer answered from its shared window, without
 * JavaScript. Called on the event loop (addon.c) or on the ACK thread (ack_thread.c), by whichever owns
 * the socket.
 *
 * ReadTransfer (src/tftp/transfer/transfer.ts) owns the window algorithm. This file keeps a copy of
 * the one rule that is on every packet's path, because the point of the addon is that a lock-step or
 * loss-free windowed transfer costs no JavaScript per packet (and, on the ACK thread, no event-loop
 * wake-up): an ACK for the highest block sent slides the window (handleAck's in-order case), the blocks
 * it now covers are sent from the ring (pump) and the next chunk is read from the page cache when the
 * ring has room (prefetch, page_cache.c). Every other case (duplicate in a window, gap, final ACK,
 * timeouts, ERRORs) goes to JavaScript, which decides. test/native/window-rules.test.ts drives a
 * transfer with and without this copy through the same ACK sequences and compares what is sent.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "page_cache.h"
#include "udp_socket.h"

ack_answer xenboot_answer_datagram(udp_socket *sock, ssize_t length, const struct sockaddr_in *from) {
  int from_client = sock->connected || (from->sin_addr.s_addr == sock->remote.sin_addr.s_addr && from->sin_port == sock->remote.sin_port);
  if (length < 4 || !sock->window.on || sock->recv_buffer[0] != 0 || sock->recv_buffer[1] != 4 || !from_client) return ACK_FOR_JAVASCRIPT;
  return xenboot_answer_ack(sock, ((unsigned)sock->recv_buffer[2] << 8) | sock->recv_buffer[3]);
}

/* Ring slots of a chunk, for xenboot_read_cached: target i is block first + i's payload. */
typedef struct {
  accelerated_window *win;
  double first;
} chunk_slots;

static int chunk_slot(void *context, size_t index, struct iovec *out) {
  chunk_slots *chunk = context;
  accelerated_window *win = chunk->win;
  uint64_t block = (uint64_t)chunk->first + index;
  out->iov_base = win->ring + (size_t)((block - 1) % (uint64_t)win->ring_slots) * (size_t)win->stride + 4;
  out->iov_len = (size_t)win->blksize;
  return 1;
}

/*
 * Reads the next chunk of a file transfer into the ring, from the page cache only, once the ring has
 * room for it: prefetch() in transfer.ts, for the case it handles synchronously. Returns 0 when
 * JavaScript must read (generated content, a read of its own in flight, pages not cached), 1 when the
 * window can go on.
 */
static int load_ahead(accelerated_window *win) {
  double *w = win->w;
  /* At most two chunks fit the ring: the one being sent and the one read next. */
  for (int chunk = 0; chunk < 2; chunk += 1) {
    if (w[W_WAKE_AT_BASE] > w[W_BASE]) return 1; /* no room yet, or nothing left to read */
    if (win->fd < 0 || w[W_READING] != 0) return 0;
    double first = w[W_LOADED];
    double count = fmin(win->chunk_blocks, win->last_block - first + 1);
    double position = (first - 1) * win->blksize;
    double expected = fmax(0, fmin(count * win->blksize, win->size - position));
    chunk_slots chunk = {win, first};
    int error;
    double total = expected > 0 ? xenboot_read_cached(win->fd, position, (size_t)count, chunk_slot, &chunk, &error) : 0;
    if (total < expected) return 0; /* not all cached: JavaScript reads it, asynchronously */
    double next = first + count;
    w[W_LOADED] = next;
    /* Where the ring will have room for the chunk after this one. */
    w[W_WAKE_AT_BASE] = next > win->last_block ? INFINITY : next + fmin(win->chunk_blocks, win->last_block - next + 1) - win->ring_slots;
  }
  return 1;
}

/*
 * RFC 1350 section 5 block numbers are 16 bits on the wire; the window counts them without wrapping.
 * A duplicate ACK is ignored in lock-step (never resent on: the Sorcerer's Apprentice, RFC 1123 section
 * 4.2.3.1) and goes to JavaScript in a window with blocks outstanding; an ACK for a block never sent is
 * ignored; an ACK for the highest block sent slides the window; an ACK inside the window (RFC 7440
 * section 4: the client saw a gap, or counts windows its own way) and the final ACK go to JavaScript,
 * which decides whether to go back and ends the transfer. All of these are rare: a lock-step or
 * loss-free windowed transfer only ever acknowledges the highest block sent.
 */
ack_answer xenboot_answer_ack(udp_socket *sock, unsigned wire) {
  accelerated_window *win = &sock->window;
  double *w = win->w;
  if (w[W_ACTIVE] != 1 || w[W_QUEUED] != 0) return ACK_FOR_JAVASCRIPT;
  double last_acked = w[W_BASE] - 1;
  unsigned ahead = (wire - (unsigned)((uint64_t)last_acked & 0xffff)) & 0xffff;
  /* A duplicate: ignored in lock-step; in a window JavaScript may go back once (ReadTransfer.handleDuplicateAck). */
  if (ahead == 0) return win->windowsize > 1 && w[W_BASE] <= w[W_HIGHEST] ? ACK_FOR_JAVASCRIPT : ACK_ANSWERED;
  double acked = last_acked + ahead;
  if (acked > w[W_HIGHEST]) return ACK_ANSWERED;
  if (acked >= win->last_block) return ACK_FOR_JAVASCRIPT;
  /* An ACK inside the window (a gap, or a client's own window boundary): whether to go back is JavaScript's. */
  if (acked < w[W_HIGHEST]) return ACK_FOR_JAVASCRIPT;
  double base = acked + 1;
  w[W_BASE] = base;
  w[W_NEXT] = base;
  w[W_ATTEMPTS] = 0;
  w[W_PROGRESS_AT] = (double)uv_hrtime() / 1e6 + win->clock_offset;
  ack_answer answer = load_ahead(win) ? ACK_ANSWERED : ACK_ANSWERED_RESUME;
  double window_end = base + win->windowsize - 1;
  if (window_end > win->last_block) window_end = win->last_block;
  double sendable = w[W_LOADED] - 1;
  if (sendable > window_end) sendable = window_end;
  for (double block = base; block <= sendable; block += 1) {
    unsigned char *packet = win->ring + (size_t)((uint64_t)(block - 1) % (uint64_t)win->ring_slots) * (size_t)win->stride;
    uint64_t wire_block = (uint64_t)block & 0xffff;
    packet[0] = 0;
    packet[1] = 3; /* DATA */
    packet[2] = (unsigned char)(wire_block >> 8);
    packet[3] = (unsigned char)(wire_block & 0xff);
    double payload = win->size - (block - 1) * win->blksize;
    if (payload > win->blksize) payload = win->blksize;
    if (payload < 0) payload = 0;
    int refused = xenboot_send_datagram(sock, packet, 4 + (size_t)payload, NULL);
    if (refused != 0) {
      /* The kernel refused it (full send buffer, or an ICMP error): JavaScript sends it and reports. */
      if (refused == EAGAIN) w[W_SEND_BUFFER_FULL] += 1;
      answer = ACK_ANSWERED_RESUME;
      break;
    }
    if (block <= w[W_HIGHEST]) w[W_RETRANSMITS] += 1;
    else w[W_HIGHEST] = block;
    w[W_NEXT] = block + 1;
  }
  return answer;
}
