/*
 * readCached(fd, targets, position): a scatter read that never waits for the disk.
 *
 * preadv2() with RWF_NOWAIT (Linux 4.14) copies what the page cache holds and returns EAGAIN instead of
 * blocking on I/O. Boot files are read again and again during a storm and sit in the page cache, so a
 * transfer can load its next chunk on the event loop in a few microseconds, without the round trip
 * through libuv's thread pool (two thread wake-ups and a promise per chunk). What is not cached is left
 * to the ordinary asynchronous read: the event loop never blocks on a disk.
 *
 * Returns the bytes read into targets[0], targets[1], … in order (fewer than asked: the end of the file,
 * or a part not in the cache), or -errno (-EAGAIN: none of it is cached; -EOPNOTSUPP: the file system
 * cannot tell).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <limits.h>
#include <sys/uio.h>

#include "exports.h"

#define BATCH 64

napi_value xenboot_read_cached(napi_env env, napi_callback_info info) {
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
  struct iovec iov[BATCH];
  double total = 0;
  uint32_t index = 0;
  int status = 0;
  while (index < count) {
    size_t asked = 0;
    int used = 0;
    for (; used < BATCH && index + used < count; used += 1) {
      napi_value element, array_buffer;
      napi_typedarray_type type;
      size_t length = 0, byte_offset;
      void *data = NULL;
      if (napi_get_element(env, argv[1], index + used, &element) != napi_ok ||
          napi_get_typedarray_info(env, element, &type, &length, &data, &array_buffer, &byte_offset) != napi_ok ||
          type != napi_uint8_array) {
        napi_throw_type_error(env, "EINVAL", "readCached: every target must be a Buffer");
        return NULL;
      }
      iov[used].iov_base = data;
      iov[used].iov_len = length;
      asked += length;
    }
    ssize_t n;
    do {
      n = preadv2(fd, iov, used, (off_t)(position + total), RWF_NOWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (total == 0) status = -errno;
      break;
    }
    total += (double)n;
    if ((size_t)n < asked) break; /* end of file, or the rest is not cached */
    index += used;
  }
  if (status != 0) napi_create_int32(env, status, &result);
  else napi_create_double(env, total, &result);
  return result;
}
