{
  "targets": [
    {
      "target_name": "tcp_keepalive",
      "sources": ["native/addon.cc"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2"],
      "conditions": [
        ["OS=='linux'", {"sources": ["native/platform_linux.cc"]}],
        ["OS=='freebsd'", {"sources": ["native/platform_freebsd.cc"]}],
        ["OS=='linux' or OS=='freebsd'", {
          "cflags_cc": ["-fvisibility=hidden", "-fvisibility-inlines-hidden"],
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/exports.map"]
        }],
        ["OS=='mac'", {
          "sources": ["native/platform_darwin.cc"],
          "xcode_settings": {
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CFLAGS": ["-Wall", "-Wextra"]
          }
        }],
        ["OS=='win'", {
          "sources": ["native/platform_win.cc"],
          "libraries": ["-lws2_32"]
        }]
      ]
    }
  ]
}
