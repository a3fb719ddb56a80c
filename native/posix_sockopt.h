// Small helpers shared by the POSIX platform files (Linux, macOS, FreeBSD).
// Header-only and static so each platform file stays self-contained.
#ifndef TK_POSIX_SOCKOPT_H_
#define TK_POSIX_SOCKOPT_H_

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "tcp_keepalive.h"

static inline int tk_setint(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : errno;
}

static inline int tk_getint(int fd, int level, int name, int* value) {
  // Zeroed and length-checked: some stacks answer with fewer bytes.
  *value = 0;
  socklen_t len = sizeof *value;
  return getsockopt(fd, level, name, value, &len) == 0 ? 0 : errno;
}

// Milliseconds to whole seconds, rounded up so a request never becomes 0
// ("system default" on several stacks). EINVAL where an int cannot hold it.
static inline int tk_ms_to_s(int64_t ms, int* seconds) {
  if (ms <= 0) return EINVAL;
  int64_t s = (ms + 999) / 1000;
  if (s > INT_MAX) return EINVAL;
  *seconds = (int)s;
  return 0;
}

// Names the kind of a socket that is not TCP, for the error message. Only
// called on the error path, so its extra syscalls cost nothing normally.
static inline const char* tk_describe_socket(int fd) {
  int type = 0;
  if (tk_getint(fd, SOL_SOCKET, SO_TYPE, &type) != 0) return "unknown";
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr*)&ss, &len) != 0) return "unknown";
  if (ss.ss_family == AF_UNIX) return "UNIX-domain";
  if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
    if (type == SOCK_DGRAM) return "UDP";
    if (type == SOCK_RAW) return "raw IP";
    if (type == SOCK_STREAM) return "non-TCP stream (e.g. MPTCP/SCTP)";
  }
  return "non-IP";
}

// The BSD way (no SO_PROTOCOL everywhere): SO_TYPE must be SOCK_STREAM and
// the address family IPv4 or IPv6, which on these stacks means TCP.
static inline int tk_check_stream_inet(int fd, const char** kind) {
  int type = 0;
  int err = tk_getint(fd, SOL_SOCKET, SO_TYPE, &type);
  if (err != 0) return err;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr*)&ss, &len) != 0) return errno;
  if (type == SOCK_STREAM && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) return 0;
  *kind = tk_describe_socket(fd);
  return TK_ERR_NOT_TCP;
}

static inline int tk_posix_socket_error(int fd, int* pending) {
  return tk_getint(fd, SOL_SOCKET, SO_ERROR, pending);
}

#endif  // TK_POSIX_SOCKOPT_H_
