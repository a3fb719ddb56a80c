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
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>

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

// poll() reports POLLERR whenever an error is pending without clearing it
// (SO_ERROR would), and FIONREAD counts what is readable, also after the
// connection closed: neither takes anything away from the socket's owner.
static inline int tk_posix_pending(int fd, int* has_error, int64_t* readable) {
  struct pollfd p;
  p.fd = fd;
  p.events = 0;  // POLLERR and POLLHUP are always reported
  p.revents = 0;
  if (poll(&p, 1, 0) < 0) return errno;
  if (p.revents & POLLNVAL) return EBADF;
  *has_error = (p.revents & POLLERR) ? 1 : 0;
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) != 0) return errno;
  *readable = n;
  return 0;
}

static inline int tk_set_seconds(int fd, int name, int64_t ms) {
  int s = 0;
  int err = tk_ms_to_s(ms, &s);
  return err ? err : tk_setint(fd, IPPROTO_TCP, name, s);
}

static inline void tk_put_info(tk_tcp_info* out, int field, double value) {
  out->values[field] = value;
  out->present |= 1u << field;
}

// The four keep-alive fields every POSIX stack has: SO_KEEPALIVE and, at
// IPPROTO_TCP, `idle_opt` (TCP_KEEPIDLE, or TCP_KEEPALIVE on macOS),
// TCP_KEEPINTVL and TCP_KEEPCNT, all times in whole seconds.
static inline int tk_posix_apply_keepalive(int fd, const tk_settings* req, int idle_opt, int* failed) {
  int err = 0;
  if (req->mask & TK_F_ENABLE) {
    *failed = TK_OP_SET_ENABLE;
    if ((err = tk_setint(fd, SOL_SOCKET, SO_KEEPALIVE, req->enabled ? 1 : 0))) return err;
  }
  if (req->mask & TK_F_IDLE) {
    *failed = TK_OP_SET_IDLE;
    if ((err = tk_set_seconds(fd, idle_opt, req->idle_ms))) return err;
  }
  if (req->mask & TK_F_INTERVAL) {
    *failed = TK_OP_SET_INTERVAL;
    if ((err = tk_set_seconds(fd, TCP_KEEPINTVL, req->interval_ms))) return err;
  }
  if (req->mask & TK_F_COUNT) {
    *failed = TK_OP_SET_COUNT;
    if ((err = tk_setint(fd, IPPROTO_TCP, TCP_KEEPCNT, req->count))) return err;
  }
  *failed = TK_OP_NONE;
  return 0;
}

static inline int tk_posix_read_keepalive(int fd, tk_settings* out, int idle_opt, int* failed) {
  int v = 0;
  int err = 0;
  out->mask = 0;
  *failed = TK_OP_GET_ENABLE;
  if ((err = tk_getint(fd, SOL_SOCKET, SO_KEEPALIVE, &v))) return err;
  out->enabled = v != 0;
  *failed = TK_OP_GET_IDLE;
  if ((err = tk_getint(fd, IPPROTO_TCP, idle_opt, &v))) return err;
  out->idle_ms = (int64_t)v * 1000;
  *failed = TK_OP_GET_INTERVAL;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v))) return err;
  out->interval_ms = (int64_t)v * 1000;
  *failed = TK_OP_GET_COUNT;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_KEEPCNT, &v))) return err;
  out->count = v;
  out->mask = TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT;
  *failed = TK_OP_NONE;
  return 0;
}

// The syscall of a step on a POSIX stack.
static inline const char* tk_posix_op_syscall(int op) {
  switch (op) {
    case TK_OP_SET_ENABLE:
    case TK_OP_SET_IDLE:
    case TK_OP_SET_INTERVAL:
    case TK_OP_SET_COUNT:
    case TK_OP_SET_USER_TIMEOUT:
      return "setsockopt";
    case TK_OP_PENDING:
      return "poll";
    default:
      return "getsockopt";
  }
}

// The option of a step on a POSIX stack; the names that differ per OS are given.
static inline const char* tk_posix_op_option(int op, const char* check, const char* idle, const char* user_timeout, const char* info) {
  switch (op) {
    case TK_OP_CHECK: return check;
    case TK_OP_SET_ENABLE:
    case TK_OP_GET_ENABLE: return "SO_KEEPALIVE";
    case TK_OP_SET_IDLE:
    case TK_OP_GET_IDLE: return idle;
    case TK_OP_SET_INTERVAL:
    case TK_OP_GET_INTERVAL: return "TCP_KEEPINTVL";
    case TK_OP_SET_COUNT:
    case TK_OP_GET_COUNT: return "TCP_KEEPCNT";
    case TK_OP_SET_USER_TIMEOUT:
    case TK_OP_GET_USER_TIMEOUT: return user_timeout;
    case TK_OP_GET_ERROR: return "SO_ERROR";
    case TK_OP_GET_INFO: return info;
    case TK_OP_PENDING: return "FIONREAD";
    default: return "unknown";
  }
}

// BSD TCP states (TCPS_* in netinet/tcp_fsm.h), shared by macOS and FreeBSD.
static inline int tk_bsd_state(int s) {
  switch (s) {
    case 0: return TK_STATE_CLOSED;
    case 1: return TK_STATE_LISTEN;
    case 2: return TK_STATE_SYN_SENT;
    case 3: return TK_STATE_SYN_RECV;
    case 4: return TK_STATE_ESTABLISHED;
    case 5: return TK_STATE_CLOSE_WAIT;
    case 6: return TK_STATE_FIN_WAIT1;
    case 7: return TK_STATE_CLOSING;
    case 8: return TK_STATE_LAST_ACK;
    case 9: return TK_STATE_FIN_WAIT2;
    case 10: return TK_STATE_TIME_WAIT;
    default: return TK_STATE_UNKNOWN;
  }
}

#endif  // TK_POSIX_SOCKOPT_H_
