/* The page-cache read (page_cache.c), shared by readCached and the ACK answer's read-ahead. */
#ifndef XENBOOT_PAGE_CACHE_H
#define XENBOOT_PAGE_CACHE_H
#include <stddef.h>
#include <sys/uio.h>

/* Fills *out with target `index`; returns 0 when there is no such target (a bad argument). */
typedef int (*xenboot_slot)(void *context, size_t index, struct iovec *out);

/*
 * Scatter-reads from `fd` at `position` into targets 0 … count - 1 what the page cache holds, never
 * waiting for the disk. Returns the bytes read, fewer than asked at the end of the file or where the
 * cache stops; *error is 0, or the errno of a read that got nothing (EAGAIN: nothing cached,
 * EOPNOTSUPP: the file system cannot tell), or EINVAL when `slot` refused a target.
 */
double xenboot_read_cached(int fd, double position, size_t count, xenboot_slot slot, void *context, int *error);

#endif
