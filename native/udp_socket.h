/*
 * What the parts of the xenboot_udp addon share: the socket, its accelerated window, and the ACK
 * thread's hooks. addon.c is the JavaScript interface, socket_io.c moves datagrams, ack_answer.c
 * answers ACKs from a window, page_cache.c reads ahead, ack_thread.c runs the answer off the event loop.
 */
#ifndef XENBOOT_UDP_SOCKET_H
#define XENBOOT_UDP_SOCKET_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "window_layout.h"

/* A transfer's window, once accelerate() has been called. */
typedef struct {
  int on;
  double *w;
  unsigned char *ring;
  napi_ref window_ref;
  napi_ref ring_ref;
  double stride, ring_slots, blksize, size, last_block, windowsize;
  /* Blocks per read-ahead chunk, and the file to read them from the page cache (-1: JavaScript reads). */
  double chunk_blocks;
  int fd;
  /* JavaScript clock time minus uv_hrtime() in milliseconds, to write W_PROGRESS_AT in its clock. */
  double clock_offset;
} accelerated_window;

typedef struct ack_engine ack_engine;

typedef struct udp_socket {
  uv_poll_t poll;
  napi_env env;
  int fd;
  int connected;
  int watching_writable;
  int closing;     /* close() was called or the handle was finalized */
  int closed;      /* libuv has finished closing the poll handle */
  int finalized;   /* the JavaScript handle was collected */
  struct sockaddr_in remote;
  napi_ref callback;
  napi_ref recv_buffer_ref;
  unsigned char *recv_buffer;
  size_t recv_length;
  napi_async_context async_context;
  accelerated_window window;

  /*
   * The ACK thread's side, guarded by `lock` (see ack_thread.c for the lock order). While `engaged`, the
   * thread owns the socket's receives, the window and the ring, and the event loop does not poll the
   * socket. The thread hands the socket back (`handed_back`) with what it could not deal with.
   */
  pthread_mutex_t lock;
  ack_engine *engine;
  int engaged;
  int handed_back;
  /* Its entry in the engine's slot table (table lock), and in its hand-back queue (queue lock). */
  int has_slot;
  uint32_t slot;
  uint32_t generation;
  int queued;
  struct udp_socket *next_handed_back;
  /* What the thread hands back: a datagram left in recv_buffer, a receive error, a resume request. */
  int pending_datagram;
  ssize_t pending_length;
  struct sockaddr_in pending_from;
  int pending_error;
  int pending_resume;
} udp_socket;

/* socket_io.c. One datagram to `to`, or to the client when `to` is NULL; never waits. Returns 0 or errno. */
int xenboot_send_datagram(udp_socket *sock, const unsigned char *data, size_t length, const struct sockaddr_in *to);

/* What xenboot_answer_ack did with an ACK. */
typedef enum {
  ACK_FOR_JAVASCRIPT = 0, /* not answered: JavaScript must see the datagram */
  ACK_ANSWERED = 1,       /* answered (or ignored as a duplicate or stale) from the window */
  ACK_ANSWERED_RESUME = 2 /* answered, and JavaScript must resume: read ahead, or send what the kernel refused */
} ack_answer;

/* Answers an ACK for 16-bit block `wire` from the socket's accelerated window (ack_answer.c). */
ack_answer xenboot_answer_ack(udp_socket *sock, unsigned wire);

/* socket_io.c. One datagram into the socket's receive buffer, never waiting: its length, or -1 with errno set. */
ssize_t xenboot_receive(udp_socket *sock, struct sockaddr_in *from);

/* socket_io.c. Reads and clears the socket's pending error (SO_ERROR): 0, or an errno such as ECONNREFUSED. */
int xenboot_pending_error(udp_socket *sock);

/* Answers a received datagram from the window if it is an ACK from the client it may answer. */
ack_answer xenboot_answer_datagram(udp_socket *sock, ssize_t length, const struct sockaddr_in *from);

/*
 * The ACK thread (ack_thread.c), one per Node environment, started on the first engage. Every function
 * here runs on the event-loop thread.
 */
/* Hands the socket to the thread if its window can be served there; returns 1 if it did. */
int xenboot_engage(udp_socket *sock);
/* Takes the socket back from the thread (no-op when not engaged); afterwards the window is JavaScript's. */
void xenboot_reclaim(udp_socket *sock);
/* Before closing: the thread forgets the socket, and nothing it handed back is delivered. */
void xenboot_forget(udp_socket *sock);

/* Defined in addon.c, used by the thread's hand-back on the event loop. */
void xenboot_emit(udp_socket *sock, int kind, double a, double b, double c);
int xenboot_restart_poll(udp_socket *sock);

enum { EVENT_DATAGRAM = 0, EVENT_RECV_ERROR = 1, EVENT_WRITABLE = 2, EVENT_RESUME = 3 };

#endif
