/* N-API helpers shared by the addon's sockets: see napi_helpers.h. */
#include "napi_helpers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

napi_value xenboot_throw_errno(napi_env env, const char *syscall, int err) {
  char message[160];
  const char *name = uv_err_name(uv_translate_sys_error(err));
  snprintf(message, sizeof message, "%s %s: %s", syscall, name, strerror(err));
  napi_value code, msg, error, sys;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

int xenboot_parse_ipv4(napi_env env, napi_value value, struct in_addr *out) {
  char text[64];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, text, sizeof text, &length) != napi_ok) return 0;
  return inet_pton(AF_INET, text, out) == 1;
}
