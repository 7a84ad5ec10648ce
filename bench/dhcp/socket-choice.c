/*
 * The two ways one process can tell which interface a DHCP broadcast arrived on, measured against each
 * other (bench/dhcp/socket-choice.ts runs it in network namespaces):
 *   pktinfo       one socket on 0.0.0.0:PORT with IP_PKTINFO: recvmsg() hands over the interface index;
 *   bindtodevice  one socket per interface on 0.0.0.0:PORT with SO_BINDTODEVICE, all in one epoll set.
 * Receiver: `socket-choice recv pktinfo|bindtodevice PORT IDLE_MS IF…` receives until nothing has come for
 * IDLE_MS, then prints one JSON line: datagrams per interface, CPU microseconds (user + system) per
 * datagram, wall time. Sender: `socket-choice send PORT COUNT IF` sends COUNT 300-byte broadcasts out of IF.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_IFS 16

static double cpu_us(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static double wall_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

static int open_socket(int port, const char *device, int pktinfo) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int on = 1, rcvbuf = 8 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  if (pktinfo && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0) perror("IP_PKTINFO");
  if (device && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, strlen(device)) != 0) perror("SO_BINDTODEVICE");
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    perror("bind");
    exit(1);
  }
  return fd;
}

static int receive(int argc, char **argv) {
  int pktinfo = strcmp(argv[2], "pktinfo") == 0;
  int port = atoi(argv[3]), idle_ms = atoi(argv[4]), count = argc - 5;
  if (count < 1 || count > MAX_IFS) return 2;
  unsigned indexes[MAX_IFS];
  long received[MAX_IFS] = {0};
  int fds[MAX_IFS];
  int epoll = epoll_create1(0);
  for (int i = 0; i < count; i++) indexes[i] = if_nametoindex(argv[5 + i]);
  int sockets = pktinfo ? 1 : count;
  for (int i = 0; i < sockets; i++) {
    fds[i] = open_socket(port, pktinfo ? NULL : argv[5 + i], pktinfo);
    struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &event);
  }
  printf("{\"ready\":true}\n");
  fflush(stdout);
  unsigned char buffer[2048];
  union {
    struct cmsghdr align;
    unsigned char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
  } control;
  double cpu_start = 0, wall_start = 0, wall_last = 0;
  long total = 0;
  for (;;) {
    struct epoll_event events[MAX_IFS];
    int ready = epoll_wait(epoll, events, MAX_IFS, total == 0 ? 60000 : idle_ms);
    if (ready <= 0) break;
    for (int e = 0; e < ready; e++) {
      int which = (int)events[e].data.u32;
      for (;;) {
        struct iovec iov = {.iov_base = buffer, .iov_len = sizeof buffer};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (pktinfo) {
          msg.msg_control = control.bytes;
          msg.msg_controllen = sizeof control.bytes;
        }
        ssize_t n = recvmsg(fds[which], &msg, MSG_DONTWAIT);
        if (n < 0) break;
        if (total == 0) {
          cpu_start = cpu_us();
          wall_start = wall_ms();
        }
        total++;
        wall_last = wall_ms();
        int slot = which;
        if (pktinfo) {
          struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
          struct in_pktinfo info;
          slot = -1;
          if (c != NULL && c->cmsg_type == IP_PKTINFO) {
            memcpy(&info, CMSG_DATA(c), sizeof info);
            for (int i = 0; i < count; i++)
              if (indexes[i] == (unsigned)info.ipi_ifindex) slot = i;
          }
        }
        if (slot >= 0) received[slot]++;
      }
    }
  }
  double cpu = cpu_us() - cpu_start;
  printf("{\"mode\":\"%s\",\"datagrams\":%ld,\"perInterface\":[", argv[2], total);
  for (int i = 0; i < count; i++) printf("%s%ld", i ? "," : "", received[i]);
  printf("],\"cpuMicrosPerDatagram\":%.3f,\"wallMs\":%.1f}\n", total ? cpu / total : 0, wall_last - wall_start);
  return 0;
}

static int send_broadcasts(char **argv) {
  int port = atoi(argv[2]);
  long count = atol(argv[3]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0), on = 1;
  setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, argv[4], strlen(argv[4])) != 0) perror("SO_BINDTODEVICE");
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
  unsigned char datagram[300] = {1, 1, 6};
  long sent = 0;
  while (sent < count) {
    if (sendto(fd, datagram, sizeof datagram, 0, (struct sockaddr *)&to, sizeof to) == sizeof datagram) sent++;
    else if (errno != ENOBUFS && errno != EAGAIN) {
      perror("sendto");
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 6 && strcmp(argv[1], "recv") == 0) return receive(argc, argv);
  if (argc == 5 && strcmp(argv[1], "send") == 0) return send_broadcasts(argv);
  fprintf(stderr, "usage: socket-choice recv pktinfo|bindtodevice PORT IDLE_MS IF… | send PORT COUNT IF\n");
  return 2;
}
