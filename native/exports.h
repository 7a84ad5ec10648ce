/* Functions of the xenboot_udp addon defined outside udp_socket.c (which registers every export). */
#ifndef XENBOOT_EXPORTS_H
#define XENBOOT_EXPORTS_H
#include <node_api.h>

/* readCached(fd, targets, position): see page_cache_read.c. */
napi_value xenboot_read_cached(napi_env env, napi_callback_info info);

#endif
