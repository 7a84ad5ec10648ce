/*
 * The two-instance mode's ownership filter as an eBPF socket filter (SO_ATTACH_BPF): the kernel runs it
 * as it queues each datagram to the DHCP socket, and a request that belongs to another instance is
 * dropped there, before the instance is woken or copies it. It is a conservative copy of the rule in
 * src/dhcp/ha/ownership.ts (`isForPeer`, also in pktinfo_socket.c): it drops only what that rule drops,
 * and keeps whatever it cannot judge (more than OPTION_STEPS options before the end, a relayed or
 * unusual request it cannot read), which the filter in pktinfo_socket.c then judges as before.
 *
 * What it reads: a socket filter on a UDP socket sees the datagram from its UDP header (offset 0), so the
 * BOOTP message starts at 8; the IP header's destination address is read through SKF_NET_OFF. The RFC
 * 3074 mixing table, the bucket mask and the instance's addresses are in a one-entry array map, updated
 * in place when who answers what changes (a takeover, a handback) without reloading the program; a
 * second map counts what it dropped (`xenboot_dhcp_ha_dropped_total{reason="peer"}` adds it).
 * A load that fails (no CAP_BPF, a kernel without eBPF) is reported and leaves the user-space filter alone
 * in charge.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "peer_bpf.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

/* The map value: the mixing table, the bucket mask, the addresses. */
#define VALUE_TABLE 0
#define VALUE_MASK 256
#define VALUE_ADDRESSES 288
#define VALUE_SIZE (VALUE_ADDRESSES + 4 * PEER_BPF_ADDRESSES)

/* The BOOTP message inside the datagram (after the 8-byte UDP header); RFC 2131 §2 and §3. */
#define AT 8
#define OPTIONS (AT + 240)
/* Options read before the filter gives up and keeps the datagram. */
#define OPTION_STEPS 16
/* A kept datagram's length: all of it (sk_filter trims to min(this, length)). */
#define KEEP_ALL 0xffff

/* Stack slots (offsets from r10). */
#define S_KEY (-4)
#define S_LENGTH (-8)
#define S_TYPE (-12)
#define S_OURS54 (-16)
#define S_SEEN54 (-20)
#define S_SIZE (-24)

#define MAX_INSNS 4096
#define MAX_LABELS 256

typedef struct {
  struct bpf_insn insns[MAX_INSNS];
  int count;
  int label_at[MAX_LABELS];
  int labels;
  struct {
    int insn, label;
  } fixups[MAX_INSNS];
  int fixup_count;
  int overflow;
} program;

static void put(program *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  if (p->count >= MAX_INSNS) {
    p->overflow = 1;
    return;
  }
  struct bpf_insn insn;
  memset(&insn, 0, sizeof insn);
  insn.code = code;
  insn.dst_reg = dst;
  insn.src_reg = src;
  insn.off = off;
  insn.imm = imm;
  p->insns[p->count++] = insn;
}

static int new_label(program *p) {
  if (p->labels >= MAX_LABELS) {
    p->overflow = 1;
    return 0;
  }
  p->label_at[p->labels] = -1;
  return p->labels++;
}

static void place(program *p, int label) { p->label_at[label] = p->count; }

/* A jump to `label`: `op` is BPF_JEQ etc. with BPF_K (compare with imm) or BPF_X (with src). */
static void jump(program *p, uint8_t op, uint8_t dst, uint8_t src, int32_t imm, int label) {
  if (p->fixup_count < MAX_INSNS) {
    p->fixups[p->fixup_count].insn = p->count;
    p->fixups[p->fixup_count].label = label;
    p->fixup_count++;
  }
  put(p, BPF_JMP | op, dst, src, 0, imm);
}

static int resolve(program *p) {
  for (int i = 0; i < p->fixup_count; i++) {
    int target = p->label_at[p->fixups[i].label];
    if (target < 0) return -1;
    p->insns[p->fixups[i].insn].off = (int16_t)(target - p->fixups[i].insn - 1);
  }
  return p->overflow ? -1 : 0;
}

/* Shorthands. */
#define MOV_K(p, dst, imm) put(p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define MOV_X(p, dst, src) put(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define ALU_K(p, op, dst, imm) put(p, BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define ALU_X(p, op, dst, src) put(p, BPF_ALU64 | (op) | BPF_X, dst, src, 0, 0)
#define LOAD(p, size, dst, src, off) put(p, BPF_LDX | BPF_MEM | (size), dst, src, off, 0)
#define STORE_X(p, size, dst, off, src) put(p, BPF_STX | BPF_MEM | (size), dst, src, off, 0)
#define STORE_K(p, size, dst, off, imm) put(p, BPF_ST | BPF_MEM | (size), dst, 0, off, imm)
/* Packet loads (r6 is the socket buffer; r0 gets the value, in host order; r1-r5 are clobbered). */
#define LD_ABS(p, size, offset) put(p, BPF_LD | BPF_ABS | (size), 0, 0, 0, offset)
#define LD_IND(p, size, reg, offset) put(p, BPF_LD | BPF_IND | (size), 0, reg, 0, offset)

/* Jumps to `found` when r0 is one of the addresses in the map value (r7); clobbers r1. */
static void jump_if_ours(program *p, int found) {
  for (int k = 0; k < PEER_BPF_ADDRESSES; k++) {
    LOAD(p, BPF_W, 1, 7, VALUE_ADDRESSES + 4 * k);
    jump(p, BPF_JEQ | BPF_X, 0, 1, 0, found);
  }
}

/* r0 = the one value of map `map_fd` (its key, 0, is at S_KEY), or jumps to `missing` when there is none; clobbers r1-r5. */
static void lookup_or_jump(program *p, int map_fd, int missing) {
  put(p, BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd);
  put(p, 0, 0, 0, 0, 0);
  MOV_X(p, 2, 10);
  ALU_K(p, BPF_ADD, 2, S_KEY);
  put(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  jump(p, BPF_JEQ | BPF_K, 0, 0, 0, missing);
}

/* Registers: r6 the socket buffer, r7 the map value, r8 the hash (then an option's code), r9 the offset of the next option. */
static int build(program *p, int map_fd, int counter_fd) {
  int keep = new_label(p), drop = new_label(p), cookie = new_label(p), end = new_label(p);
  MOV_X(p, 6, 1);
  LOAD(p, BPF_W, 0, 6, offsetof(struct __sk_buff, len));
  STORE_X(p, BPF_W, 10, S_LENGTH, 0);
  jump(p, BPF_JLT | BPF_K, 0, 0, OPTIONS, keep);
  STORE_K(p, BPF_W, 10, S_KEY, 0);
  STORE_K(p, BPF_W, 10, S_TYPE, 0);
  STORE_K(p, BPF_W, 10, S_OURS54, 0);
  STORE_K(p, BPF_W, 10, S_SEEN54, 0);
  STORE_K(p, BPF_W, 10, S_SIZE, 0);
  /* r7 = the map's one value. */
  lookup_or_jump(p, map_fd, keep);
  MOV_X(p, 7, 0);
  /* op 1 (BOOTREQUEST), htype 1 (Ethernet), hlen 6: else not judged. */
  LD_ABS(p, BPF_B, AT + 0);
  jump(p, BPF_JNE | BPF_K, 0, 0, 1, keep);
  LD_ABS(p, BPF_B, AT + 1);
  jump(p, BPF_JNE | BPF_K, 0, 0, 1, keep);
  LD_ABS(p, BPF_B, AT + 2);
  jump(p, BPF_JNE | BPF_K, 0, 0, 6, keep);
  /* RFC 3074 §6: hash = length; for each byte of chaddr (28-33), last to first: hash = T[hash ^ byte]. */
  MOV_K(p, 8, 6);
  for (int i = 5; i >= 0; i--) {
    LD_ABS(p, BPF_B, AT + 28 + i);
    ALU_X(p, BPF_XOR, 8, 0);
    ALU_K(p, BPF_AND, 8, 0xff);
    MOV_X(p, 1, 7);
    ALU_X(p, BPF_ADD, 1, 8);
    LOAD(p, BPF_B, 8, 1, VALUE_TABLE);
  }
  /* This instance's bucket: keep. */
  MOV_X(p, 1, 8);
  ALU_K(p, BPF_RSH, 1, 3);
  MOV_X(p, 2, 7);
  ALU_X(p, BPF_ADD, 2, 1);
  LOAD(p, BPF_B, 2, 2, VALUE_MASK);
  MOV_X(p, 1, 8);
  ALU_K(p, BPF_AND, 1, 7);
  ALU_X(p, BPF_RSH, 2, 1);
  ALU_K(p, BPF_AND, 2, 1);
  jump(p, BPF_JNE | BPF_K, 2, 0, 0, keep);
  /* Sent by the client itself (giaddr 0) to one of this instance's addresses: keep. */
  LD_ABS(p, BPF_W, AT + 24);
  jump(p, BPF_JNE | BPF_K, 0, 0, 0, cookie);
  LD_ABS(p, BPF_W, SKF_NET_OFF + 16);
  jump_if_ours(p, keep);
  place(p, cookie);
  /* No magic cookie: not this instance's (the rule drops it). */
  LD_ABS(p, BPF_W, AT + 236);
  jump(p, BPF_JNE | BPF_K, 0, 0, 0x63825363, drop);
  /* The options, one step each: the first 53 and the first 54 of length 4; 52 (overload) keeps. */
  MOV_K(p, 9, OPTIONS);
  for (int step = 0; step < OPTION_STEPS; step++) {
    int not_pad = new_label(p), not53 = new_label(p), advance = new_label(p), next = new_label(p), ours = new_label(p);
    LOAD(p, BPF_W, 2, 10, S_LENGTH);
    jump(p, BPF_JGE | BPF_X, 9, 2, 0, end);
    LD_IND(p, BPF_B, 9, 0);
    jump(p, BPF_JNE | BPF_K, 0, 0, 0, not_pad);
    ALU_K(p, BPF_ADD, 9, 1);
    jump(p, BPF_JA, 0, 0, 0, next);
    place(p, not_pad);
    jump(p, BPF_JEQ | BPF_K, 0, 0, 255, end);
    MOV_X(p, 8, 0);
    /* A code without its length byte, or a value running past the end: the options end there. */
    MOV_X(p, 1, 9);
    ALU_K(p, BPF_ADD, 1, 1);
    LOAD(p, BPF_W, 2, 10, S_LENGTH);
    jump(p, BPF_JGE | BPF_X, 1, 2, 0, end);
    LD_IND(p, BPF_B, 9, 1);
    STORE_X(p, BPF_W, 10, S_SIZE, 0);
    MOV_X(p, 1, 9);
    ALU_K(p, BPF_ADD, 1, 2);
    ALU_X(p, BPF_ADD, 1, 0);
    LOAD(p, BPF_W, 2, 10, S_LENGTH);
    jump(p, BPF_JGT | BPF_X, 1, 2, 0, end);
    jump(p, BPF_JEQ | BPF_K, 8, 0, 52, keep);
    jump(p, BPF_JNE | BPF_K, 8, 0, 53, not53);
    LOAD(p, BPF_W, 1, 10, S_SIZE);
    jump(p, BPF_JEQ | BPF_K, 1, 0, 0, advance);
    LOAD(p, BPF_W, 1, 10, S_TYPE);
    jump(p, BPF_JNE | BPF_K, 1, 0, 0, advance);
    LD_IND(p, BPF_B, 9, 2);
    STORE_X(p, BPF_W, 10, S_TYPE, 0);
    jump(p, BPF_JA, 0, 0, 0, advance);
    place(p, not53);
    jump(p, BPF_JNE | BPF_K, 8, 0, 54, advance);
    LOAD(p, BPF_W, 1, 10, S_SIZE);
    jump(p, BPF_JNE | BPF_K, 1, 0, 4, advance);
    LOAD(p, BPF_W, 1, 10, S_SEEN54);
    jump(p, BPF_JNE | BPF_K, 1, 0, 0, advance);
    STORE_K(p, BPF_W, 10, S_SEEN54, 1);
    LD_IND(p, BPF_W, 9, 2);
    jump_if_ours(p, ours);
    jump(p, BPF_JA, 0, 0, 0, advance);
    place(p, ours);
    STORE_K(p, BPF_W, 10, S_OURS54, 1);
    place(p, advance);
    LOAD(p, BPF_W, 1, 10, S_SIZE);
    ALU_X(p, BPF_ADD, 9, 1);
    ALU_K(p, BPF_ADD, 9, 2);
    place(p, next);
  }
  /* More options than read: not judged here. */
  jump(p, BPF_JA, 0, 0, 0, keep);
  place(p, end);
  /* A REQUEST naming this instance in option 54 chose this instance's offer: keep; the rest is the peer's. */
  LOAD(p, BPF_W, 1, 10, S_TYPE);
  jump(p, BPF_JNE | BPF_K, 1, 0, 3, drop);
  LOAD(p, BPF_W, 1, 10, S_OURS54);
  jump(p, BPF_JNE | BPF_K, 1, 0, 0, keep);
  place(p, drop);
  /* Counted (the key at S_KEY is still 0), for the metrics. */
  int dropped = new_label(p);
  lookup_or_jump(p, counter_fd, dropped);
  MOV_K(p, 1, 1);
  put(p, BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD);
  place(p, dropped);
  MOV_K(p, 0, 0);
  put(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  place(p, keep);
  MOV_K(p, 0, KEEP_ALL);
  put(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return resolve(p);
}

static long bpf(int command, union bpf_attr *attr) { return syscall(__NR_bpf, command, attr, sizeof *attr); }

int peer_bpf_update(int map_fd, const unsigned char mixing_table[256], const unsigned char *buckets, const uint32_t *addresses, int count) {
  if (count < 0 || count > PEER_BPF_ADDRESSES) return -EINVAL;
  unsigned char value[VALUE_SIZE];
  memset(value, 0, sizeof value);
  memcpy(value + VALUE_TABLE, mixing_table, 256);
  if (buckets == NULL) memset(value + VALUE_MASK, 0xff, 32);
  else memcpy(value + VALUE_MASK, buckets, 32);
  /* Unused slots stay 0.0.0.0, which no datagram is sent to; an option 54 of 0.0.0.0 is then kept (and judged in user space). */
  memcpy(value + VALUE_ADDRESSES, addresses, sizeof(uint32_t) * (size_t)count);
  uint32_t key = 0;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = (uint32_t)map_fd;
  attr.key = (uint64_t)(uintptr_t)&key;
  attr.value = (uint64_t)(uintptr_t)value;
  attr.flags = BPF_ANY;
  return bpf(BPF_MAP_UPDATE_ELEM, &attr) == 0 ? 0 : -errno;
}

/* A one-entry array map of `value_size` bytes, or -1. */
static int create_map(uint32_t value_size) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = value_size;
  attr.max_entries = 1;
  return (int)bpf(BPF_MAP_CREATE, &attr);
}

double peer_bpf_dropped(const peer_bpf_maps *maps) {
  if (maps->counter_fd < 0) return 0;
  uint32_t key = 0;
  uint64_t count = 0;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = (uint32_t)maps->counter_fd;
  attr.key = (uint64_t)(uintptr_t)&key;
  attr.value = (uint64_t)(uintptr_t)&count;
  return bpf(BPF_MAP_LOOKUP_ELEM, &attr) == 0 ? (double)count : 0;
}

void peer_bpf_close(peer_bpf_maps *maps) {
  if (maps->config_fd >= 0) close(maps->config_fd);
  if (maps->counter_fd >= 0) close(maps->counter_fd);
  maps->config_fd = maps->counter_fd = -1;
}

int peer_bpf_attach(int fd, const unsigned char mixing_table[256], peer_bpf_maps *maps, char *error, size_t error_size) {
  union bpf_attr attr;
  maps->config_fd = create_map(VALUE_SIZE);
  maps->counter_fd = maps->config_fd < 0 ? -1 : create_map(sizeof(uint64_t));
  if (maps->config_fd < 0 || maps->counter_fd < 0) {
    snprintf(error, error_size, "bpf(BPF_MAP_CREATE): %s", strerror(errno));
    peer_bpf_close(maps);
    return -1;
  }
  int map_fd = maps->config_fd;
  /* Every client kept until told otherwise. */
  int updated = peer_bpf_update(map_fd, mixing_table, NULL, NULL, 0);
  static program p;
  memset(&p, 0, sizeof p);
  if (updated != 0 || build(&p, map_fd, maps->counter_fd) != 0) {
    snprintf(error, error_size, updated != 0 ? "bpf(BPF_MAP_UPDATE_ELEM): %s" : "the filter program did not assemble%s", updated != 0 ? strerror(-updated) : "");
    peer_bpf_close(maps);
    return -1;
  }
  static char log[65536];
  log[0] = '\0';
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = (uint64_t)(uintptr_t)p.insns;
  attr.insn_cnt = (uint32_t)p.count;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  int prog_fd = (int)bpf(BPF_PROG_LOAD, &attr);
  if (prog_fd < 0) {
    int load_errno = errno;
    /* Loaded again with the verifier's log, for the reason (without it a long log fails with ENOSPC). */
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof log;
    attr.log_level = 1;
    int again = (int)bpf(BPF_PROG_LOAD, &attr);
    if (again >= 0) close(again);
    /* The verifier's last line says why. */
    size_t length = strlen(log);
    while (length > 0 && log[length - 1] == '\n') log[--length] = '\0';
    const char *last = strrchr(log, '\n');
    snprintf(error, error_size, "bpf(BPF_PROG_LOAD): %s%s%s", strerror(load_errno), length > 0 ? ": " : "", last != NULL ? last + 1 : log);
    peer_bpf_close(maps);
    return -1;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof prog_fd) != 0) {
    snprintf(error, error_size, "setsockopt(SO_ATTACH_BPF): %s", strerror(errno));
    close(prog_fd);
    peer_bpf_close(maps);
    return -1;
  }
  /* The socket holds the program now. */
  close(prog_fd);
  return 0;
}
