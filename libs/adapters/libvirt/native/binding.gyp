# The libvirt adapter's addon: one C file, plain N-API (no node-addon-api), linked with libvirt from libvirt-dev.
# Built by scripts/build-native.js (npm install hook) with `node-gyp --nodedir=/usr rebuild`: never downloads.
{
  "targets": [
    {
      "target_name": "reservoir_libvirt",
      "sources": ["reservoir_libvirt.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-pthread", "<!@(pkg-config --cflags libvirt)"],
      "libraries": ["<!@(pkg-config --libs libvirt)", "-pthread"]
    }
  ]
}
