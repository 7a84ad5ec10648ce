{
  "targets": [
    {
      "target_name": "xenboot_udp",
      "sources": ["addon.c", "napi_helpers.c", "socket_io.c", "ack_answer.c", "page_cache.c", "ack_thread.c", "pktinfo_socket.c", "peer_bpf.c"],
      "libraries": ["-lpthread"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
