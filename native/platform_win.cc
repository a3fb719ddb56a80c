// Windows: TCP_KEEPIDLE/TCP_KEEPINTVL (seconds, Windows 10 1709+) and
// TCP_KEEPCNT (1703+), falling back to SIO_KEEPALIVE_VALS (milliseconds, set
// together, not readable, probe count fixed at 10) on WSAENOPROTOOPT, as Go
// does; TCP_MAXRT (seconds) as the user timeout; SIO_TCP_INFO (1703+).
// Also finds the SOCKET behind a libuv TCP handle by its endpoints, because
// Node gives JavaScript no SOCKET (_handle.fd is -1 on Windows).
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <string.h>
#include <uv.h>

#include "tcp_keepalive.h"

// mingw's headers lack these option numbers; the values are Windows' own.
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE 3
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 16
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 17
#endif
#ifndef TCP_MAXRT
#define TCP_MAXRT 5
#endif
#ifndef SIO_TCP_INFO
#define SIO_TCP_INFO _WSAIORW(IOC_VENDOR, 39)
#endif

namespace {

// TCP_INFO_v0 (mstcpip.h), declared here for headers that lack it.
struct win_tcp_info_v0 {
  int State;  // TCPSTATE
  ULONG Mss;
  ULONG64 ConnectionTimeMs;
  BOOLEAN TimestampsEnabled;
  ULONG RttUs;
  ULONG MinRttUs;
  ULONG BytesInFlight;
  ULONG Cwnd;
  ULONG SndWnd;
  ULONG RcvWnd;
  ULONG RcvBuf;
  ULONG64 BytesOut;
  ULONG64 BytesIn;
  ULONG BytesReordered;
  ULONG BytesRetrans;
  ULONG FastRetrans;
  ULONG DupAcksIn;
  ULONG TimeoutEpisodes;
  UCHAR SynRetrans;
};

// Before Windows 10 1703 the probe count is fixed at this value.
const int kFixedCount = 10;

int last_error() { return WSAGetLastError(); }

int setint(SOCKET s, int level, int name, DWORD value) {
  return setsockopt(s, level, name, reinterpret_cast<const char*>(&value), sizeof value) == 0 ? 0 : last_error();
}

int getint(SOCKET s, int level, int name, DWORD* value) {
  // Zeroed and length-honouring: some stacks (Wine) answer with one byte.
  unsigned char buf[sizeof(DWORD)] = {0, 0, 0, 0};
  int len = sizeof buf;
  if (getsockopt(s, level, name, reinterpret_cast<char*>(buf), &len) != 0) return last_error();
  DWORD v = 0;
  memcpy(&v, buf, len > 0 && len <= (int)sizeof buf ? (size_t)len : sizeof buf);
  *value = v;
  return 0;
}

int ms_to_s(int64_t ms, DWORD* seconds) {
  if (ms <= 0) return WSAEINVAL;
  int64_t s = (ms + 999) / 1000;
  if (s > 0x7fffffff) return WSAEINVAL;
  *seconds = (DWORD)s;
  return 0;
}

// SIO_KEEPALIVE_VALS sets both times at once (the caller made sure the
// request carries both), rounded up to whole seconds like everywhere else.
int keepalive_vals(SOCKET s, const tk_settings* req) {
  int64_t idle = (req->idle_ms + 999) / 1000 * 1000;
  int64_t interval = (req->interval_ms + 999) / 1000 * 1000;
  if (idle > 0xffffffffLL || interval > 0xffffffffLL) return WSAEINVAL;
  struct tcp_keepalive vals;
  vals.onoff = req->enabled ? 1 : 0;
  vals.keepalivetime = (ULONG)idle;
  vals.keepaliveinterval = (ULONG)interval;
  DWORD returned = 0;
  if (WSAIoctl(s, SIO_KEEPALIVE_VALS, &vals, sizeof vals, NULL, 0, &returned, NULL, NULL) != 0) return last_error();
  return 0;
}

// Whether this stack has a TCP-level option, asked with a getsockopt that
// changes nothing: 1 yes, 0 no (WSAENOPROTOOPT), or an OS error (< 0 never).
int has_option(SOCKET s, int name, int* has) {
  DWORD v = 0;
  int err = getint(s, IPPROTO_TCP, name, &v);
  if (err == WSAENOPROTOOPT) {
    *has = 0;
    return 0;
  }
  *has = err == 0 ? 1 : 0;
  return err;
}

int map_state(int s) {
  switch (s) {  // TCPSTATE (mstcpip.h)
    case 0: return TK_STATE_CLOSED;
    case 1: return TK_STATE_LISTEN;
    case 2: return TK_STATE_SYN_SENT;
    case 3: return TK_STATE_SYN_RECV;
    case 4: return TK_STATE_ESTABLISHED;
    case 5: return TK_STATE_FIN_WAIT1;
    case 6: return TK_STATE_FIN_WAIT2;
    case 7: return TK_STATE_CLOSE_WAIT;
    case 8: return TK_STATE_CLOSING;
    case 9: return TK_STATE_LAST_ACK;
    case 10: return TK_STATE_TIME_WAIT;
    default: return TK_STATE_UNKNOWN;
  }
}

inline void put(tk_tcp_info* out, int field, double value) {
  out->values[field] = value;
  out->present |= 1u << field;
}

// An endpoint as 16 bytes (IPv4 as ::ffff:a.b.c.d) plus a port, so IPv4,
// IPv6 and dual-stack sockets compare alike.
struct endpoint {
  unsigned char addr[16];
  unsigned short port;
};

bool from_sockaddr(const sockaddr_storage& ss, endpoint* ep) {
  memset(ep, 0, sizeof *ep);
  if (ss.ss_family == AF_INET) {
    const sockaddr_in* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ep->addr[10] = ep->addr[11] = 0xff;
    memcpy(ep->addr + 12, &in->sin_addr, 4);
    ep->port = ntohs(in->sin_port);
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    memcpy(ep->addr, &in6->sin6_addr, 16);
    ep->port = ntohs(in6->sin6_port);
    return true;
  }
  return false;
}

bool from_text(const char* text, int port, endpoint* ep) {
  memset(ep, 0, sizeof *ep);
  ep->port = (unsigned short)port;
  in_addr v4;
  if (inet_pton(AF_INET, text, &v4) == 1) {
    ep->addr[10] = ep->addr[11] = 0xff;
    memcpy(ep->addr + 12, &v4, 4);
    return true;
  }
  return inet_pton(AF_INET6, text, ep->addr) == 1;
}

struct find_context {
  endpoint local;
  endpoint remote;
  tk_socket found;
  int matches;
};

void visit(uv_handle_t* handle, void* arg) {
  find_context* ctx = static_cast<find_context*>(arg);
  if (uv_handle_get_type(handle) != UV_TCP) return;
  uv_os_fd_t fd;
  if (uv_fileno(handle, &fd) != 0) return;
  SOCKET s = reinterpret_cast<SOCKET>(fd);
  sockaddr_storage ss;
  int len = sizeof ss;
  endpoint local, remote;
  if (getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0 || !from_sockaddr(ss, &local)) return;
  len = sizeof ss;
  if (getpeername(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0 || !from_sockaddr(ss, &remote)) return;
  if (memcmp(&local, &ctx->local, sizeof local) == 0 && memcmp(&remote, &ctx->remote, sizeof remote) == 0) {
    ctx->found = (tk_socket)s;
    ctx->matches++;
  }
}

}  // namespace

extern "C" {

int tk_check_tcp(tk_socket sock, const char** kind) {
  SOCKET s = (SOCKET)sock;
  DWORD type = 0;
  int err = getint(s, SOL_SOCKET, SO_TYPE, &type);
  if (err) return err;
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  int len = sizeof ss;
  if (getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return last_error();
  if (type == SOCK_STREAM && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) return 0;
  *kind = type == SOCK_DGRAM ? "UDP" : ss.ss_family == AF_UNIX ? "UNIX-domain" : "non-TCP";
  return TK_ERR_NOT_TCP;
}

int tk_apply(tk_socket sock, const tk_settings* req, int* failed) {
  SOCKET s = (SOCKET)sock;
  int err = 0;
  DWORD sec = 0;
  // First learn what this Windows supports, with reads only, so that a
  // request it cannot honour is refused before anything is applied.
  bool times = (req->mask & (TK_F_IDLE | TK_F_INTERVAL)) != 0;
  int native_times = 1, native_count = 1, maxrt = 1;
  if (times) {
    *failed = TK_OP_GET_IDLE;
    if ((err = has_option(s, TCP_KEEPIDLE, &native_times))) return err;
    if (!native_times && !((req->mask & TK_F_IDLE) && (req->mask & TK_F_INTERVAL))) {
      *failed = TK_OP_SET_VALS;  // SIO_KEEPALIVE_VALS cannot leave one of them as it is
      return TK_ERR_TIMES_TOGETHER;
    }
  }
  if (req->mask & TK_F_COUNT) {
    *failed = TK_OP_GET_COUNT;
    if ((err = has_option(s, TCP_KEEPCNT, &native_count))) return err;
    if (!native_count && req->count != kFixedCount) {
      *failed = TK_OP_SET_COUNT;
      return TK_ERR_UNSUPPORTED;
    }
  }
  if (req->mask & TK_F_USER_TIMEOUT) {
    *failed = TK_OP_GET_USER_TIMEOUT;
    if ((err = has_option(s, TCP_MAXRT, &maxrt))) return err;
    if (!maxrt) {
      *failed = TK_OP_SET_USER_TIMEOUT;
      return TK_ERR_UNSUPPORTED;
    }
  }

  if (req->mask & TK_F_ENABLE) {
    *failed = TK_OP_SET_ENABLE;
    if ((err = setint(s, SOL_SOCKET, SO_KEEPALIVE, req->enabled ? 1 : 0))) return err;
  }
  if (times && !native_times) {
    *failed = TK_OP_SET_VALS;
    if ((err = keepalive_vals(s, req))) return err;
  } else {
    if (req->mask & TK_F_IDLE) {
      *failed = TK_OP_SET_IDLE;
      if ((err = ms_to_s(req->idle_ms, &sec)) || (err = setint(s, IPPROTO_TCP, TCP_KEEPIDLE, sec))) return err;
    }
    if (req->mask & TK_F_INTERVAL) {
      *failed = TK_OP_SET_INTERVAL;
      if ((err = ms_to_s(req->interval_ms, &sec)) || (err = setint(s, IPPROTO_TCP, TCP_KEEPINTVL, sec))) return err;
    }
  }
  if ((req->mask & TK_F_COUNT) && native_count) {
    *failed = TK_OP_SET_COUNT;
    if ((err = setint(s, IPPROTO_TCP, TCP_KEEPCNT, (DWORD)req->count))) return err;
  }
  if (req->mask & TK_F_USER_TIMEOUT) {
    *failed = TK_OP_SET_USER_TIMEOUT;
    if ((err = ms_to_s(req->user_timeout_ms, &sec)) || (err = setint(s, IPPROTO_TCP, TCP_MAXRT, sec))) return err;
  }
  *failed = TK_OP_NONE;
  return 0;
}

int tk_read(tk_socket sock, tk_settings* out, int* failed) {
  SOCKET s = (SOCKET)sock;
  DWORD v = 0;
  int err = 0;
  out->mask = 0;
  *failed = TK_OP_GET_ENABLE;
  if ((err = getint(s, SOL_SOCKET, SO_KEEPALIVE, &v))) return err;
  out->enabled = v != 0;
  out->mask |= TK_F_ENABLE;
  *failed = TK_OP_GET_IDLE;
  err = getint(s, IPPROTO_TCP, TCP_KEEPIDLE, &v);
  if (err == WSAENOPROTOOPT) {
    out->mask |= TK_F_TIMES_UNVERIFIED;  // set through SIO_KEEPALIVE_VALS: not readable
  } else if (err) {
    return err;
  } else {
    out->idle_ms = (int64_t)v * 1000;
    out->mask |= TK_F_IDLE;
    *failed = TK_OP_GET_INTERVAL;
    if ((err = getint(s, IPPROTO_TCP, TCP_KEEPINTVL, &v))) return err;
    out->interval_ms = (int64_t)v * 1000;
    out->mask |= TK_F_INTERVAL;
  }
  *failed = TK_OP_GET_COUNT;
  err = getint(s, IPPROTO_TCP, TCP_KEEPCNT, &v);
  if (err == WSAENOPROTOOPT) {
    out->count = kFixedCount;
    out->mask |= TK_F_COUNT | TK_F_COUNT_FIXED;
  } else if (err) {
    return err;
  } else {
    out->count = (int32_t)v;
    out->mask |= TK_F_COUNT;
  }
  *failed = TK_OP_GET_USER_TIMEOUT;
  err = getint(s, IPPROTO_TCP, TCP_MAXRT, &v);
  if (err == 0) {
    out->user_timeout_ms = (int64_t)v * 1000;
    out->mask |= TK_F_USER_TIMEOUT;
  } else if (err != WSAENOPROTOOPT) {
    return err;
  }
  *failed = TK_OP_NONE;
  return 0;
}

int tk_socket_error(tk_socket sock, int* pending) {
  DWORD v = 0;
  int err = getint((SOCKET)sock, SOL_SOCKET, SO_ERROR, &v);
  *pending = (int)v;
  return err;
}

int tk_pending(tk_socket sock, int* has_error, int64_t* readable) {
  // WSAPoll wants at least one requested event; asking for POLLRDNORM
  // consumes nothing, and POLLERR is reported whatever was asked.
  WSAPOLLFD p;
  p.fd = (SOCKET)sock;
  p.events = POLLRDNORM;
  p.revents = 0;
  if (WSAPoll(&p, 1, 0) == SOCKET_ERROR) return last_error();
  if (p.revents & POLLNVAL) return WSAENOTSOCK;
  *has_error = (p.revents & POLLERR) ? 1 : 0;
  u_long n = 0;
  if (ioctlsocket((SOCKET)sock, FIONREAD, &n) != 0) return last_error();
  *readable = (int64_t)n;
  return 0;
}

int tk_get_tcp_info(tk_socket sock, tk_tcp_info* out) {
  DWORD version = 0;
  win_tcp_info_v0 ti;
  memset(&ti, 0, sizeof ti);
  DWORD returned = 0;
  out->present = 0;
  if (WSAIoctl((SOCKET)sock, SIO_TCP_INFO, &version, sizeof version, &ti, sizeof ti, &returned, NULL, NULL) != 0) {
    int err = last_error();
    // Before Windows 10 1703 (and under Wine) the ioctl does not exist.
    return err == WSAEOPNOTSUPP || err == WSAEINVAL || err == WSAENOPROTOOPT ? TK_ERR_UNSUPPORTED : err;
  }
  put(out, TK_I_STATE, map_state(ti.State));
  put(out, TK_I_RTT_US, ti.RttUs);
  put(out, TK_I_MIN_RTT_US, ti.MinRttUs);
  put(out, TK_I_SND_MSS, ti.Mss);
  put(out, TK_I_SND_CWND, ti.Cwnd);
  put(out, TK_I_BYTES_IN_FLIGHT, ti.BytesInFlight);
  put(out, TK_I_BYTES_RETRANS, ti.BytesRetrans);
  put(out, TK_I_TIMEOUT_EPISODES, ti.TimeoutEpisodes);
  return 0;
}

int tk_uv_error(int os_error) {
  if (os_error == WSAENETRESET) return UV_ECONNRESET;  // a keep-alive death on calls in progress
  return uv_translate_sys_error(os_error);
}

uint32_t tk_supported(void) {
  return TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT | TK_F_USER_TIMEOUT;
}

void tk_get_limits(tk_limits* out) {
  // TCP_KEEPIDLE/TCP_KEEPINTVL are DWORD seconds (SIO_KEEPALIVE_VALS: ULONG
  // ms), TCP_KEEPCNT at most 255. TCP_MAXRT is seconds and has no "system
  // default" value to return to, hence at least 1 s.
  out->os_name = "Windows";
  out->idle_ms = tk_range{1, 4294967 * 1000LL};
  out->interval_ms = tk_range{1, 4294967 * 1000LL};
  out->count = tk_range{1, 255};
  out->user_timeout_ms = tk_range{1, 2147483 * 1000LL};
  out->user_timeout_in_seconds = 1;
}

const char* tk_op_syscall(int op) {
  switch (op) {
    case TK_OP_SET_ENABLE:
    case TK_OP_SET_IDLE:
    case TK_OP_SET_INTERVAL:
    case TK_OP_SET_COUNT:
    case TK_OP_SET_USER_TIMEOUT:
      return "setsockopt";
    case TK_OP_SET_VALS:
    case TK_OP_GET_INFO:
      return "WSAIoctl";
    case TK_OP_PENDING:
      return "WSAPoll";
    default:
      return "getsockopt";
  }
}

const char* tk_op_option(int op) {
  switch (op) {
    case TK_OP_CHECK: return "SO_TYPE";
    case TK_OP_SET_ENABLE:
    case TK_OP_GET_ENABLE: return "SO_KEEPALIVE";
    case TK_OP_SET_IDLE:
    case TK_OP_GET_IDLE: return "TCP_KEEPIDLE";
    case TK_OP_SET_INTERVAL:
    case TK_OP_GET_INTERVAL: return "TCP_KEEPINTVL";
    case TK_OP_SET_COUNT:
    case TK_OP_GET_COUNT: return "TCP_KEEPCNT";
    case TK_OP_SET_USER_TIMEOUT:
    case TK_OP_GET_USER_TIMEOUT: return "TCP_MAXRT";
    case TK_OP_SET_VALS: return "SIO_KEEPALIVE_VALS";
    case TK_OP_GET_ERROR: return "SO_ERROR";
    case TK_OP_GET_INFO: return "SIO_TCP_INFO";
    case TK_OP_PENDING: return "FIONREAD";
    default: return "unknown";
  }
}

int tk_find_socket(void* loop, const char* local_address, int local_port, const char* remote_address,
                   int remote_port, tk_socket* found) {
  find_context ctx;
  if (!from_text(local_address, local_port, &ctx.local) || !from_text(remote_address, remote_port, &ctx.remote))
    return WSAEINVAL;
  ctx.found = 0;
  ctx.matches = 0;
  uv_walk(static_cast<uv_loop_t*>(loop), visit, &ctx);
  // Exactly one match or none: two handles with the same endpoints cannot both be live.
  *found = ctx.matches == 1 ? ctx.found : (tk_socket)-1;
  return 0;
}

}  // extern "C"
