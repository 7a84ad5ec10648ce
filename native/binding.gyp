{
  "targets": [
    {
      "target_name": "xenboot_udp",
      "sources": ["udp_socket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
