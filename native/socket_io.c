/*
 * A transfer socket's datagram I/O, shared by the event loop (addon.c) and the ACK thread
 * (ack_thread.c): one datagram out or in, never waiting, and the socket's pending error.
 */
#include <errno.h>
#include <sys/socket.h>

#include "udp_socket.h"

int xenboot_send_datagram(udp_socket *sock, const unsigned char *data, size_t length, const struct sockaddr_in *to) {
  if (to == NULL && !sock->connected) to = &sock->remote;
  ssize_t sent;
  do {
    if (to != NULL) sent = sendto(sock->fd, data, length, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to);
    else sent = send(sock->fd, data, length, MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent < 0 ? (errno == EWOULDBLOCK ? EAGAIN : errno) : 0;
}

ssize_t xenboot_receive(udp_socket *sock, struct sockaddr_in *from) {
  socklen_t from_length = sizeof *from;
  ssize_t n;
  do {
    n = recvfrom(sock->fd, sock->recv_buffer, sock->recv_length, MSG_DONTWAIT, (struct sockaddr *)from, &from_length);
  } while (n < 0 && errno == EINTR);
  return n;
}

int xenboot_pending_error(udp_socket *sock) {
  int err = 0;
  socklen_t length = sizeof err;
  if (getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) return 0;
  return err;
}
