/*
 * tftp-get: one lock-step TFTP read as a PXE client does it, for the storm benchmark's big boot files.
 *
 *   tftp-get LOCAL_IP SERVER_IP PORT FILE BLKSIZE [TIMEOUT_MS RETRIES [recv|poll]]
 *
 * The same protocol as bench/storm/tftp-client.ts (RRQ octet with tsize 0 and blksize, ACK 0 after the
 * OACK, an ACK per DATA block, the last packet sent again on a timeout that doubles per retry, replies
 * accepted only from SERVER_IP and, after the first, from the same port: RFC 1350, 2347, 2348, 2349),
 * but as its own process blocked on its socket, like a real machine: its cost per packet does not depend
 * on how the server's replies bunch up, which a shared event loop's does. The payload is counted, not kept.
 *
 * How it waits is the last argument. `recv` (the default) blocks in recv() with SO_RCVTIMEO as the
 * timeout, and once the first reply names the server's transfer port it connects the socket to it, so
 * the kernel drops datagrams from anywhere else and each block costs one recv() and one send(). `poll`
 * waits in poll() and then calls recvfrom(), as this program did first: two system calls per block, and
 * a woken poll() takes the socket's wait-queue lock again to unregister, which the server that woke it
 * may still hold on the other core. A real PXE ROM pays neither; `recv` is the cheaper stand-in.
 * Prints one JSON line: {"found":true,"bytes":N,"tsize":N,"retransmits":N} or
 * {"found":false,"bytes":N,"retransmits":N,"error":"..."}; exit status 0 unless the arguments are bad.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_PACKET (65464 + 4)

static unsigned long long bytes = 0, tsize = 0;
static int have_tsize = 0;
static unsigned retransmits = 0;

/* Sends to the server: on the connected socket once there is one, else to `to`. */
static void send_to_server(int fd, int connected, const void *data, size_t length, const struct sockaddr_in *to) {
  if (connected) send(fd, data, length, 0);
  else sendto(fd, data, length, 0, (const struct sockaddr *)to, sizeof *to);
}

static void report(int found, const char *error) {
  printf("{\"found\":%s,\"bytes\":%llu", found ? "true" : "false", bytes);
  if (have_tsize) printf(",\"tsize\":%llu", tsize);
  printf(",\"retransmits\":%u", retransmits);
  if (error != NULL) {
    printf(",\"error\":\"");
    for (const char *c = error; *c; c += 1) putchar(*c == '"' || *c == '\\' || (unsigned char)*c < 0x20 ? '?' : *c);
    putchar('"');
  }
  printf("}\n");
}

/* Parses the OACK's name/value pairs (RFC 2347 section 3) for blksize and tsize. */
static void parse_oack(const unsigned char *packet, size_t length, size_t *size) {
  size_t at = 2;
  while (at < length) {
    const char *name = (const char *)packet + at;
    size_t name_length = strnlen(name, length - at);
    if (at + name_length + 1 >= length) break;
    const char *value = name + name_length + 1;
    size_t value_length = strnlen(value, length - (at + name_length + 1));
    if (at + name_length + 1 + value_length >= length) break;
    if (strcasecmp(name, "blksize") == 0) *size = (size_t)strtoul(value, NULL, 10);
    if (strcasecmp(name, "tsize") == 0) {
      tsize = strtoull(value, NULL, 10);
      have_tsize = 1;
    }
    at += name_length + 1 + value_length + 1;
  }
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: tftp-get LOCAL_IP SERVER_IP PORT FILE BLKSIZE [TIMEOUT_MS RETRIES]\n");
    return 2;
  }
  struct sockaddr_in local = {.sin_family = AF_INET}, server = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, argv[1], &local.sin_addr) != 1 || inet_pton(AF_INET, argv[2], &server.sin_addr) != 1) {
    fprintf(stderr, "tftp-get: addresses must be IPv4\n");
    return 2;
  }
  server.sin_port = htons((unsigned short)atoi(argv[3]));
  const char *file = argv[4];
  unsigned blksize = (unsigned)atoi(argv[5]);
  int timeout_ms = argc > 6 ? atoi(argv[6]) : 1000;
  unsigned retries = argc > 7 ? (unsigned)atoi(argv[7]) : 6;
  const char *wait_mode = argc > 8 ? argv[8] : "recv";
  int wait_in_poll = strcmp(wait_mode, "poll") == 0;
  if (!wait_in_poll && strcmp(wait_mode, "recv") != 0) {
    fprintf(stderr, "tftp-get: the wait mode must be recv or poll\n");
    return 2;
  }

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    report(0, strerror(errno));
    return 0;
  }
  static unsigned char last[600], packet[MAX_PACKET];
  size_t last_length = (size_t)snprintf((char *)last + 2, sizeof last - 2, "%s%coctet%ctsize%c0%cblksize%c%u", file, 0, 0, 0, 0, 0, blksize) + 3;
  last[0] = 0;
  last[1] = 1; /* RRQ */
  struct sockaddr_in last_to = server;
  unsigned server_port = 0;
  unsigned long long expected = 1;
  size_t size = 512;
  unsigned tries = 0;
  int connected = 0;
  int armed_timeout_ms = -1; /* the SO_RCVTIMEO in force, in recv mode */
  send_to_server(fd, connected, last, last_length, &last_to);
  for (;;) {
    int wait_ms = timeout_ms << (tries < 10 ? tries : 10);
    struct sockaddr_in from;
    socklen_t from_length = sizeof from;
    ssize_t n;
    if (wait_in_poll) {
      struct pollfd waiting = {.fd = fd, .events = POLLIN};
      int ready = poll(&waiting, 1, wait_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        n = -1;
        errno = EAGAIN; /* timed out, as recv() reports it with SO_RCVTIMEO */
      } else {
        n = recvfrom(fd, packet, sizeof packet, 0, (struct sockaddr *)&from, &from_length);
      }
    } else {
      if (wait_ms != armed_timeout_ms) {
        struct timeval limit = {.tv_sec = wait_ms / 1000, .tv_usec = (wait_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        armed_timeout_ms = wait_ms;
      }
      n = connected ? recv(fd, packet, sizeof packet, 0) : recvfrom(fd, packet, sizeof packet, 0, (struct sockaddr *)&from, &from_length);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (tries >= retries) {
        char message[96];
        snprintf(message, sizeof message, "timeout after %u retransmissions (block %llu)", tries, expected);
        report(0, message);
        return 0;
      }
      tries += 1;
      retransmits += 1;
      send_to_server(fd, connected, last, last_length, &last_to);
      continue;
    }
    if (n < 4) continue;
    if (connected) {
      /* The kernel has checked the sender. */
    } else if (from.sin_addr.s_addr != server.sin_addr.s_addr) {
      continue;
    } else if (server_port == 0) {
      server_port = from.sin_port;
      struct sockaddr_in transfer = server;
      transfer.sin_port = (unsigned short)server_port;
      /* recv mode: from now on only the server's transfer port reaches this socket (RFC 1350 section 4). */
      if (!wait_in_poll && connect(fd, (struct sockaddr *)&transfer, sizeof transfer) == 0) connected = 1;
    } else if (from.sin_port != server_port) {
      continue;
    }
    unsigned opcode = ((unsigned)packet[0] << 8) | packet[1];
    unsigned block = ((unsigned)packet[2] << 8) | packet[3];
    struct sockaddr_in to = server;
    to.sin_port = (unsigned short)server_port;
    unsigned char ack[4] = {0, 4, 0, 0};
    if (opcode == 5) {
      char message[600];
      snprintf(message, sizeof message, "ERROR %u %.*s", block, (int)strnlen((const char *)packet + 4, (size_t)n - 4), (const char *)packet + 4);
      report(0, message);
      return 0;
    } else if (opcode == 6 && expected == 1 && bytes == 0) {
      parse_oack(packet, (size_t)n, &size);
    } else if (opcode == 3 && block == (expected & 0xffff)) {
      size_t length = (size_t)n - 4;
      bytes += length;
      expected += 1;
      ack[2] = packet[2];
      ack[3] = packet[3];
      if (length < size) {
        send_to_server(fd, connected, ack, sizeof ack, &to);
        report(1, NULL);
        return 0;
      }
    } else if (opcode == 3 && block == ((expected - 1) & 0xffff)) {
      /* Our ACK was lost: repeat it, without restarting the timer. */
      ack[2] = packet[2];
      ack[3] = packet[3];
      send_to_server(fd, connected, ack, sizeof ack, &to);
      continue;
    } else {
      continue;
    }
    memcpy(last, ack, sizeof ack);
    last_length = sizeof ack;
    last_to = to;
    tries = 0;
    send_to_server(fd, connected, last, last_length, &last_to);
  }
}
