/*
 * Reading a file from the page cache without ever waiting for the disk.
 *
 * preadv2() with RWF_NOWAIT (Linux 4.14) copies what the page cache holds and returns EAGAIN instead of
 * blocking on I/O. Boot files are read again and again during a storm and sit in the page cache, so a
 * transfer can load its next chunk in a few microseconds, on the event loop (readCached, for
 * JavaScript) or on the ACK thread (ack_answer.c), without the round trip through libuv's thread pool.
 * What is not cached is left to the ordinary asynchronous read: nothing here blocks on a disk.
 *
 * This is the addon's one preadv2 loop; both callers describe their targets through a slot function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>

#include "page_cache.h"

/* iovecs per preadv2 call (well under IOV_MAX). */
#define IOV_BATCH 64

double xenboot_read_cached(int fd, double position, size_t count, xenboot_slot slot, void *context, int *error) {
  struct iovec iov[IOV_BATCH];
  double total = 0;
  size_t index = 0;
  *error = 0;
  while (index < count) {
    size_t asked = 0;
    int used = 0;
    for (; used < IOV_BATCH && index + (size_t)used < count; used += 1) {
      if (!slot(context, index + (size_t)used, &iov[used])) {
        *error = EINVAL;
        return total;
      }
      asked += iov[used].iov_len;
    }
    ssize_t n;
    do {
      n = preadv2(fd, iov, used, (off_t)(position + total), RWF_NOWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (total == 0) *error = errno;
      break;
    }
    total += (double)n;
    if ((size_t)n < asked) break; /* end of file, or the rest is not cached */
    index += (size_t)used;
  }
  return total;
}
