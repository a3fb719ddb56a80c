/* The floor for the benchmark: the same syscalls tcp-keepalive makes, timed
 * in C loops with nothing around them. Built twice by the benchmark:
 *  - with -DFLOOR_ADDON as a plain N-API module, to time the loops inside the
 *    Node process (the fair floor: syscalls cost more in a large process);
 *  - as a small program (`floor N PORT`) that connects its own socket.
 * Each loop returns nanoseconds per operation. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}
static void set(int fd, int level, int name, int v) { setsockopt(fd, level, name, &v, sizeof v); }
static int get(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  getsockopt(fd, level, name, &v, &len);
  return v;
}
static volatile int sink;

/* setKeepAlive({idle, interval, count}): check + 4 set + 5 get = 10 syscalls */
static double set_keepalive(int fd, int n) {
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    sink += get(fd, SOL_SOCKET, SO_PROTOCOL);
    set(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 10 + (i & 1));
    set(fd, IPPROTO_TCP, TCP_KEEPINTVL, 5);
    set(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
    sink += get(fd, SOL_SOCKET, SO_KEEPALIVE) + get(fd, IPPROTO_TCP, TCP_KEEPIDLE) + get(fd, IPPROTO_TCP, TCP_KEEPINTVL) +
            get(fd, IPPROTO_TCP, TCP_KEEPCNT) + get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
  }
  return (now_ns() - t0) / n;
}
/* getKeepAlive: check + 5 get = 6 syscalls */
static double get_keepalive(int fd, int n) {
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    sink += get(fd, SOL_SOCKET, SO_PROTOCOL) + get(fd, SOL_SOCKET, SO_KEEPALIVE) + get(fd, IPPROTO_TCP, TCP_KEEPIDLE) +
            get(fd, IPPROTO_TCP, TCP_KEEPINTVL) + get(fd, IPPROTO_TCP, TCP_KEEPCNT) + get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
  }
  return (now_ns() - t0) / n;
}
/* getSocketError: check + SO_ERROR = 2 syscalls */
static double socket_error(int fd, int n) {
  double t0 = now_ns();
  for (int i = 0; i < n; i++) sink += get(fd, SOL_SOCKET, SO_PROTOCOL) + get(fd, SOL_SOCKET, SO_ERROR);
  return (now_ns() - t0) / n;
}
/* getTcpInfo: check + TCP_INFO = 2 syscalls */
static double tcp_info(int fd, int n) {
  unsigned char info[512];
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    socklen_t len = sizeof info;
    sink += get(fd, SOL_SOCKET, SO_PROTOCOL);
    getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len);
  }
  return (now_ns() - t0) / n;
}
/* Node's setKeepAlive(true, ms): libuv's 4 setsockopt */
static double node_set_keepalive(int fd, int n) {
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    set(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    set(fd, IPPROTO_TCP, TCP_KEEPIDLE, 10 + (i & 1));
    set(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
    set(fd, IPPROTO_TCP, TCP_KEEPCNT, 10);
  }
  return (now_ns() - t0) / n;
}
/* net-keepalive interval + probes: 2 setsockopt */
static double interval_and_count(int fd, int n) {
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    set(fd, IPPROTO_TCP, TCP_KEEPINTVL, 5 + (i & 1));
    set(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
  }
  return (now_ns() - t0) / n;
}

static const char* const kNames[] = {"setKeepAlive", "getKeepAlive", "getSocketError", "getTcpInfo", "nodeSetKeepAlive", "intervalAndCount"};
static double (*const kLoops[])(int, int) = {set_keepalive, get_keepalive, socket_error, tcp_info, node_set_keepalive, interval_and_count};
#define NLOOPS 6

#ifdef FLOOR_ADDON
#include <node_api.h>
/* floor(fd, n) → { setKeepAlive: ns, ... } measured in this process. */
static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, value;
  int fd = -1, n = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &n);
  napi_create_object(env, &result);
  for (int i = 0; i < NLOOPS; i++) {
    napi_create_double(env, kLoops[i](fd, n), &value);
    napi_set_named_property(env, result, kNames[i], value);
  }
  return result;
}
NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "floor", NAPI_AUTO_LENGTH, run, NULL, &fn);
  napi_set_named_property(env, exports, "floor", fn);
  return exports;
}
#else
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  int port = argc > 2 ? atoi(argv[2]) : 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&sa, sizeof sa) != 0) {
    perror("connect");
    return 1;
  }
  printf("{");
  for (int i = 0; i < NLOOPS; i++) printf("%s\"%s\":%.1f", i ? "," : "", kNames[i], kLoops[i](fd, n));
  printf("}\n");
  close(fd);
  return 0;
}
#endif
