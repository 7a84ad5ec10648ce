{
  "targets": [
    {
      "target_name": "xenboot_udp",
      "sources": ["udp_socket.c", "accelerated_window.c", "ack_thread.c", "page_cache_read.c"],
      "libraries": ["-lpthread"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
