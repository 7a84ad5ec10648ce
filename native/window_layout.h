/*
 * Fields of a transfer's shared window state (a Float64Array of doubles), in order: the layout of
 * `Window` in src/tftp/transfer/window.ts, whose WINDOW_LAYOUT lists the same names (W_SEND_BUFFER_FULL
 * is sendBufferFull). test/native/layout.test.ts reads this enum and fails when the two differ; change
 * both together, and bump XENBOOT_ADDON_VERSION (addon.c).
 */
#ifndef XENBOOT_WINDOW_LAYOUT_H
#define XENBOOT_WINDOW_LAYOUT_H

enum {
  W_BASE,
  W_NEXT,
  W_HIGHEST,
  W_LOADED,
  W_RETRANSMITS,
  W_PROGRESS_AT,
  W_ATTEMPTS,
  W_ACTIVE,
  W_WAKE_AT_BASE,
  W_QUEUED,
  W_READING,
  W_SEND_BUFFER_FULL,
  W_FIELDS
};

#endif
