// Drives the per-OS socket functions (native/platform_*.cc) directly, with
// no Node, so sanitizers see only our code: 1M rounds of every function on a
// real loopback connection, plus bad descriptors of every kind and a reset.
// Built and run by test/native/sanitize.sh.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../native/tcp_keepalive.h"

static int failures = 0;
#define CHECK(cond, what)                                  \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAILED: %s (line %d)\n", what, __LINE__); \
      failures++;                                          \
    }                                                      \
  } while (0)

int main(int argc, char** argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 1000000;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  bind(listener, (struct sockaddr*)&sa, sizeof sa);
  listen(listener, 1);
  getsockname(listener, (struct sockaddr*)&sa, &len);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(client, (struct sockaddr*)&sa, sizeof sa) == 0, "connect");
  int accepted = accept(listener, NULL, NULL);

  for (long i = 0; i < rounds; i++) {
    const char* kind = NULL;
    int failed = 0;
    CHECK(tk_check_tcp(client, &kind) == 0, "check");
    tk_settings req;
    memset(&req, 0, sizeof req);
    req.mask = TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT | TK_F_USER_TIMEOUT;
    req.enabled = 1;
    req.idle_ms = 1500 + (i % 7) * 1000;
    req.interval_ms = 1000;
    req.count = 1 + (int)(i % 127);
    req.user_timeout_ms = i % 100000;
    CHECK(tk_apply(client, &req, &failed) == 0, "apply");
    tk_settings got;
    CHECK(tk_read(client, &got, &failed) == 0, "read");
    CHECK(got.idle_ms == (req.idle_ms + 999) / 1000 * 1000 && got.count == req.count, "read back");
    int pending = -1;
    CHECK(tk_socket_error(client, &pending) == 0 && pending == 0, "SO_ERROR");
    tk_tcp_info info;
    CHECK(tk_get_tcp_info(client, &info) == 0 && (info.present & 1), "TCP_INFO");
    int has_error = -1;
    int64_t readable = -1;
    CHECK(tk_pending(client, &has_error, &readable) == 0 && has_error == 0 && readable == 0, "pending");
  }

  // Every kind of bad descriptor: errors, never a crash.
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  int unix_sock = socket(AF_UNIX, SOCK_STREAM, 0);
  int fds[2];
  CHECK(pipe(fds) == 0, "pipe");
  int file = open("/dev/null", O_RDONLY);
  const char* kind = NULL;
  CHECK(tk_check_tcp(udp, &kind) == TK_ERR_NOT_TCP && kind && strcmp(kind, "UDP") == 0, "UDP refused");
  CHECK(tk_check_tcp(unix_sock, &kind) == TK_ERR_NOT_TCP, "UNIX refused");
  CHECK(tk_check_tcp(fds[0], &kind) == ENOTSOCK, "pipe refused");
  CHECK(tk_check_tcp(file, &kind) == ENOTSOCK, "file refused");
  CHECK(tk_check_tcp(987654, &kind) == EBADF, "closed fd refused");
  int has_error = 0;
  int64_t readable = 0;
  CHECK(tk_pending(987654, &has_error, &readable) == EBADF, "pending on a closed fd refused");
  // sock_diag: the kernel's listing parsed under the sanitizers, with room
  // for all, for one and for none of the matches.
  {
    struct sockaddr_in mine;
    socklen_t mine_len = sizeof mine;
    getsockname(client, (struct sockaddr*)&mine, &mine_len);
    tk_diag_entry entries[4];
    for (long i = 0; i < rounds / 1000 + 1; i++) {
      int count = -1;
      CHECK(tk_diag_tcp(ntohs(mine.sin_port), 0, entries, 4, &count) == 0 && count == 1, "diag: the client's connection");
      CHECK(entries[0].remote_port == ntohs(sa.sin_port) && (entries[0].info.present & 1), "diag: its ports and TCP_INFO");
      CHECK(tk_diag_tcp(0, 0, entries, 1, &count) == 0 && count >= 3, "diag: everything, room for one");
      CHECK(tk_diag_tcp(0, 0, entries, 0, &count) == 0 && count >= 3, "diag: everything, room for none");
    }
  }

  // Data and a reset waiting: seen without being consumed, twice alike.
  {
    CHECK(write(accepted, "hello", 5) == 5, "write");
    struct linger lg = {1, 0};
    setsockopt(accepted, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(accepted);
    accepted = -1;
    usleep(20000);
    CHECK(tk_pending(client, &has_error, &readable) == 0 && has_error == 1 && readable == 5, "reset seen, data counted");
    CHECK(tk_pending(client, &has_error, &readable) == 0 && has_error == 1, "looking consumed nothing");
    int pending = 0;
    CHECK(tk_socket_error(client, &pending) == 0 && pending == ECONNRESET, "SO_ERROR is still there to read");
  }
  tk_settings bad;
  memset(&bad, 0, sizeof bad);
  int failed = 0;
  bad.mask = TK_F_IDLE;
  bad.idle_ms = 0;  // would round to 0
  CHECK(tk_apply(client, &bad, &failed) == EINVAL && failed == TK_OP_SET_IDLE, "idle 0 refused");
  bad.idle_ms = 40000000;  // 40000 s > 32767
  CHECK(tk_apply(client, &bad, &failed) == EINVAL, "idle too large refused by the kernel");
  bad.mask = TK_F_USER_TIMEOUT;
  bad.user_timeout_ms = -1;
  CHECK(tk_apply(client, &bad, &failed) == EINVAL, "negative user timeout refused");

  close(udp);
  close(unix_sock);
  close(fds[0]);
  close(fds[1]);
  close(file);
  close(client);
  if (accepted >= 0) close(accepted);
  close(listener);
  printf("%ld rounds of check/apply/read/SO_ERROR/TCP_INFO/sock_diag, bad descriptors: %d failures\n", rounds, failures);
  printf("%d passed, %d failed\n", failures == 0 ? 1 : 0, failures == 0 ? 0 : 1);
  return failures == 0 ? 0 : 1;
}
