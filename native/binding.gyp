{
  "targets": [
    {
      "target_name": "xenboot_udp",
      "sources": ["udp_socket.c", "page_cache_read.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
