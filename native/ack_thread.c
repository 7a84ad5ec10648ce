/*
 * The ACK thread: answers accelerated transfers' in-order ACKs off the event loop.
 *
 * On the event loop every datagram costs a loop iteration (timers, idle metrics, immediates, microtask
 * checks) and, in lock-step, a wake-up of the whole Node thread: a few microseconds per packet that a C
 * server does not pay. So a socket whose window can be served without JavaScript is engaged: the event
 * loop stops polling it and this thread, blocked in its own epoll, receives the client's ACKs and sends
 * the next DATA blocks from the ring, as tftpd-hpa's per-transfer loop would.
 *
 * Ownership is all or nothing: while a socket is engaged the thread alone touches its window state, its
 * ring and its receive buffer, and JavaScript does not. The thread hands a
 * socket back (it leaves the epoll set and joins the hand-back queue; a uv_async wakes the event loop)
 * with anything it should not decide: a datagram that is not an in-order ACK (the final ACK, an ERROR,
 * a stranger), a receive error, or a window that needs JavaScript (room to read ahead, a refused send).
 * The event loop then polls the socket again, delivers what was handed back, and JavaScript re-engages
 * the socket when it is done. JavaScript that must look at the window at another time (its retransmit
 * timer, a read completing, a cancel) reclaims the socket first, synchronously.
 *
 * Epoll events carry a slot number and a generation, never a pointer: a socket that is reclaimed and
 * closed while the thread holds an event for it is recognised as gone.
 *
 * Locks, always taken in this order: the engine's table lock (the slot table; only the event loop
 * changes it, the thread looks sockets up in it), then a socket's own lock (its ownership, what it
 * handed back, and, while engaged, its window), then the hand-back queue's lock. The thread holds the
 * table lock only to look a socket up, and a socket's lock while it serves that socket; so the event
 * loop, which engages and reclaims sockets thousands of times a second in a storm, waits at most for
 * one datagram of the same socket, never for the thread's whole batch.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_socket.h"

#define EVENTS_PER_WAIT 64
/* The epoll key of the eventfd that tells the thread to stop. */
#define STOP_KEY UINT64_MAX
/* Hand-backs delivered per uv_async callback before yielding to the rest of the event loop. */
#define HANDBACKS_PER_CALLBACK 1024

struct ack_engine {
  pthread_t thread;
  int running;
  int failed; /* the thread could not be started: sockets stay on the event loop */
  volatile int stopping;
  int epoll_fd;
  int stop_fd;
  uv_async_t async;
  /* Table lock: sockets holding a slot, by slot; generation[i] counts the sockets slot i has held. */
  pthread_mutex_t table_lock;
  udp_socket **slots;
  uint32_t *generations;
  uint32_t capacity;
  uint32_t *free_slots;
  uint32_t free_count;
  /* Queue lock: sockets handed back, not yet delivered on the event loop (LIFO through next_handed_back). */
  pthread_mutex_t queue_lock;
  udp_socket *handed_back;
};

static uint64_t key_of(const udp_socket *sock) { return ((uint64_t)sock->generation << 32) | sock->slot; }

/* Event loop, table and socket locks held: frees the socket's slot, if it holds one. */
static void release_slot(ack_engine *engine, udp_socket *sock) {
  if (!sock->has_slot) return;
  engine->slots[sock->slot] = NULL;
  engine->generations[sock->slot] += 1;
  engine->free_slots[engine->free_count++] = sock->slot;
  sock->has_slot = 0;
}

/* Socket lock held: the thread stops serving the socket (its slot is released by the event loop). */
static void stop_serving(ack_engine *engine, udp_socket *sock) {
  epoll_ctl(engine->epoll_fd, EPOLL_CTL_DEL, sock->fd, NULL);
  sock->engaged = 0;
}

/* On the thread, socket lock held: gives the socket back with what is pending. */
static void hand_back(ack_engine *engine, udp_socket *sock) {
  stop_serving(engine, sock);
  sock->handed_back = 1;
  pthread_mutex_lock(&engine->queue_lock);
  sock->next_handed_back = engine->handed_back;
  engine->handed_back = sock;
  sock->queued = 1;
  pthread_mutex_unlock(&engine->queue_lock);
}

/* On the thread, socket lock held: one datagram from an engaged socket. Returns 1 if it handed the socket back. */
static int serve(ack_engine *engine, udp_socket *sock) {
  struct sockaddr_in from;
  ssize_t n = xenboot_receive(sock, &from);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    sock->pending_error = -errno;
    hand_back(engine, sock);
    return 1;
  }
  ack_answer answer = xenboot_answer_datagram(sock, n, &from);
  if (answer == ACK_ANSWERED) return 0;
  if (answer == ACK_ANSWERED_RESUME) {
    sock->pending_resume = 1;
    hand_back(engine, sock);
    return 1;
  }
  sock->pending_datagram = 1;
  sock->pending_length = n;
  sock->pending_from = from;
  hand_back(engine, sock);
  return 1;
}

static void *run(void *data) {
  ack_engine *engine = data;
  struct epoll_event events[EVENTS_PER_WAIT];
  while (!engine->stopping) {
    int n = epoll_wait(engine->epoll_fd, events, EVENTS_PER_WAIT, -1);
    if (n < 0 && errno != EINTR) break;
    int wake_loop = 0;
    for (int i = 0; i < n; i += 1) {
      uint64_t key = events[i].data.u64;
      if (key == STOP_KEY) continue;
      uint32_t slot = (uint32_t)(key & 0xffffffffu);
      udp_socket *sock = NULL;
      pthread_mutex_lock(&engine->table_lock);
      if (slot < engine->capacity && engine->generations[slot] == (uint32_t)(key >> 32)) sock = engine->slots[slot];
      if (sock != NULL) pthread_mutex_lock(&sock->lock);
      pthread_mutex_unlock(&engine->table_lock);
      if (sock == NULL) continue;
      if (sock->engaged) wake_loop |= serve(engine, sock);
      pthread_mutex_unlock(&sock->lock);
    }
    if (wake_loop) uv_async_send(&engine->async);
  }
  return NULL;
}

/* On the event loop: delivers what the thread handed back, one socket at a time. */
static void on_handed_back(uv_async_t *async) {
  ack_engine *engine = async->data;
  for (int i = 0; i < HANDBACKS_PER_CALLBACK; i += 1) {
    pthread_mutex_lock(&engine->queue_lock);
    udp_socket *sock = engine->handed_back;
    if (sock != NULL) {
      engine->handed_back = sock->next_handed_back;
      sock->next_handed_back = NULL;
      sock->queued = 0;
    }
    pthread_mutex_unlock(&engine->queue_lock);
    if (sock == NULL) return;
    /* Popped sockets are alive: forget() takes a closing socket off the queue first. */
    int datagram, error, resume;
    ssize_t length;
    struct sockaddr_in from;
    pthread_mutex_lock(&engine->table_lock);
    pthread_mutex_lock(&sock->lock);
    release_slot(engine, sock);
    sock->handed_back = 0;
    datagram = sock->pending_datagram;
    length = sock->pending_length;
    from = sock->pending_from;
    error = sock->pending_error;
    resume = sock->pending_resume;
    sock->pending_datagram = sock->pending_error = sock->pending_resume = 0;
    pthread_mutex_unlock(&sock->lock);
    pthread_mutex_unlock(&engine->table_lock);
    if (sock->closing) continue;
    xenboot_restart_poll(sock);
    /* Each emit may close this socket (never free it: that waits for libuv's close callback). */
    if (datagram) xenboot_emit(sock, EVENT_DATAGRAM, (double)length, (double)ntohl(from.sin_addr.s_addr), (double)ntohs(from.sin_port));
    if (error && !sock->closing) xenboot_emit(sock, EVENT_RECV_ERROR, error, 0, 0);
    if (resume && !sock->closing) xenboot_emit(sock, EVENT_RESUME, 0, 0, 0);
  }
  uv_async_send(async); /* more to deliver: on the next loop iteration */
}

static void stop_engine(void *data) {
  ack_engine *engine = data;
  if (engine->running) {
    engine->stopping = 1;
    uint64_t one = 1;
    ssize_t ignored = write(engine->stop_fd, &one, sizeof one);
    (void)ignored;
    pthread_join(engine->thread, NULL);
    engine->running = 0;
  }
  engine->failed = 1;
  /* Sockets finalized later may still look at the engine, so it is never freed; its handle is closed. */
  uv_close((uv_handle_t *)&engine->async, NULL);
}

/* Creates the environment's engine and starts its thread; NULL (and failed) if that cannot be done. */
static ack_engine *engine_for(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  if (data != NULL) return data;
  ack_engine *engine = calloc(1, sizeof *engine);
  if (engine == NULL) return NULL;
  pthread_mutex_init(&engine->table_lock, NULL);
  pthread_mutex_init(&engine->queue_lock, NULL);
  engine->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  engine->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  uv_loop_t *loop = NULL;
  struct epoll_event stop_event = {.events = EPOLLIN, .data.u64 = STOP_KEY};
  if (engine->epoll_fd < 0 || engine->stop_fd < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      epoll_ctl(engine->epoll_fd, EPOLL_CTL_ADD, engine->stop_fd, &stop_event) != 0 || uv_async_init(loop, &engine->async, on_handed_back) != 0) {
    engine->failed = 1;
  } else {
    engine->async.data = engine;
    uv_unref((uv_handle_t *)&engine->async); /* never keeps the process alive */
    /* Signals stay with Node's own threads: the ACK thread starts with every signal blocked. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int created = pthread_create(&engine->thread, NULL, run, engine);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (created == 0) {
      engine->running = 1;
      napi_add_env_cleanup_hook(env, stop_engine, engine);
    } else {
      engine->failed = 1;
    }
  }
  /* Kept for the environment's lifetime (the async handle lives in its loop). */
  napi_set_instance_data(env, engine, NULL, NULL);
  return engine;
}

/* Grows the slot table so that one slot is free. Table lock held. */
static int reserve_slot(ack_engine *engine) {
  if (engine->free_count > 0) return 1;
  uint32_t capacity = engine->capacity == 0 ? 64 : engine->capacity * 2;
  udp_socket **slots = realloc(engine->slots, capacity * sizeof *slots);
  if (slots == NULL) return 0;
  engine->slots = slots;
  uint32_t *generations = realloc(engine->generations, capacity * sizeof *generations);
  if (generations == NULL) return 0;
  engine->generations = generations;
  uint32_t *free_slots = realloc(engine->free_slots, capacity * sizeof *free_slots);
  if (free_slots == NULL) return 0;
  engine->free_slots = free_slots;
  for (uint32_t i = engine->capacity; i < capacity; i += 1) {
    slots[i] = NULL;
    generations[i] = 0;
  }
  /* Lowest slots first. */
  for (uint32_t i = capacity; i > engine->capacity; i -= 1) free_slots[engine->free_count++] = i - 1;
  engine->capacity = capacity;
  return 1;
}

int xenboot_engage(udp_socket *sock) {
  accelerated_window *win = &sock->window;
  if (sock->closing || !win->on || sock->watching_writable) return 0;
  if (sock->engine == NULL) sock->engine = engine_for(sock->env);
  ack_engine *engine = sock->engine;
  if (engine == NULL || engine->failed || !engine->running) return 0;
  pthread_mutex_lock(&engine->table_lock);
  pthread_mutex_lock(&sock->lock);
  int engaged = sock->engaged;
  /* The window is the event loop's here: not engaged (or engaged and untouched by JavaScript). */
  if (!engaged && !sock->handed_back && win->w[W_ACTIVE] == 1 && win->w[W_QUEUED] == 0 && reserve_slot(engine)) {
    sock->slot = engine->free_slots[--engine->free_count];
    sock->generation = engine->generations[sock->slot];
    sock->has_slot = 1;
    engine->slots[sock->slot] = sock;
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = key_of(sock)};
    if (epoll_ctl(engine->epoll_fd, EPOLL_CTL_ADD, sock->fd, &event) == 0) {
      sock->engaged = engaged = 1;
      /* Under the socket's lock, so that the thread cannot hand it back before the loop lets go of it. */
      uv_poll_stop(&sock->poll);
    } else {
      release_slot(engine, sock);
    }
  }
  pthread_mutex_unlock(&sock->lock);
  pthread_mutex_unlock(&engine->table_lock);
  return engaged;
}

void xenboot_reclaim(udp_socket *sock) {
  ack_engine *engine = sock->engine;
  if (engine == NULL) return;
  pthread_mutex_lock(&engine->table_lock);
  pthread_mutex_lock(&sock->lock);
  int was_engaged = sock->engaged;
  if (was_engaged) {
    stop_serving(engine, sock);
    release_slot(engine, sock);
  }
  pthread_mutex_unlock(&sock->lock);
  pthread_mutex_unlock(&engine->table_lock);
  /* A socket handed back but not yet delivered starts polling when it is (on_handed_back). */
  if (was_engaged && !sock->closing) xenboot_restart_poll(sock);
}

void xenboot_forget(udp_socket *sock) {
  ack_engine *engine = sock->engine;
  if (engine == NULL) return;
  pthread_mutex_lock(&engine->table_lock);
  pthread_mutex_lock(&sock->lock);
  if (sock->engaged) stop_serving(engine, sock);
  release_slot(engine, sock);
  sock->handed_back = 0;
  pthread_mutex_lock(&engine->queue_lock);
  if (sock->queued) {
    for (udp_socket **link = &engine->handed_back; *link != NULL; link = &(*link)->next_handed_back) {
      if (*link == sock) {
        *link = sock->next_handed_back;
        break;
      }
    }
    sock->queued = 0;
  }
  pthread_mutex_unlock(&engine->queue_lock);
  pthread_mutex_unlock(&sock->lock);
  pthread_mutex_unlock(&engine->table_lock);
}
