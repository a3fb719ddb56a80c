// FreeBSD: TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT (seconds, since 9.x) and
// TCP_INFO. No user-timeout option exists, so asking for one is reported as
// unsupported. Written against FreeBSD's headers; not compiled or run on
// this project's Linux CI.
#include <netinet/tcp.h>
#include <stddef.h>

#include "posix_sockopt.h"

namespace {

int map_state(uint8_t s) {
  switch (s) {  // TCPS_* (sys/netinet/tcp_fsm.h)
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

inline void put(tk_tcp_info* out, int field, double value) {
  out->values[field] = value;
  out->present |= 1u << field;
}

int set_seconds(int fd, int name, int64_t ms) {
  int s = 0;
  int err = tk_ms_to_s(ms, &s);
  return err ? err : tk_setint(fd, IPPROTO_TCP, name, s);
}

}  // namespace

extern "C" {

int tk_check_tcp(tk_socket fd, const char** kind) { return tk_check_stream_inet(fd, kind); }

int tk_apply(tk_socket fd, const tk_settings* req, int* failed) {
  int err = 0;
  if (req->mask & TK_F_USER_TIMEOUT) {  // checked first: nothing applied
    *failed = TK_OP_SET_USER_TIMEOUT;
    return TK_ERR_UNSUPPORTED;
  }
  if (req->mask & TK_F_ENABLE) {
    *failed = TK_OP_SET_ENABLE;
    if ((err = tk_setint(fd, SOL_SOCKET, SO_KEEPALIVE, req->enabled ? 1 : 0))) return err;
  }
  if (req->mask & TK_F_IDLE) {
    *failed = TK_OP_SET_IDLE;
    if ((err = set_seconds(fd, TCP_KEEPIDLE, req->idle_ms))) return err;
  }
  if (req->mask & TK_F_INTERVAL) {
    *failed = TK_OP_SET_INTERVAL;
    if ((err = set_seconds(fd, TCP_KEEPINTVL, req->interval_ms))) return err;
  }
  if (req->mask & TK_F_COUNT) {
    *failed = TK_OP_SET_COUNT;
    if ((err = tk_setint(fd, IPPROTO_TCP, TCP_KEEPCNT, req->count))) return err;
  }
  *failed = TK_OP_NONE;
  return 0;
}

int tk_read(tk_socket fd, tk_settings* out, int* failed) {
  int v = 0;
  int err = 0;
  out->mask = 0;
  *failed = TK_OP_GET_ENABLE;
  if ((err = tk_getint(fd, SOL_SOCKET, SO_KEEPALIVE, &v))) return err;
  out->enabled = v != 0;
  *failed = TK_OP_GET_IDLE;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v))) return err;
  out->idle_ms = (int64_t)v * 1000;
  *failed = TK_OP_GET_INTERVAL;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v))) return err;
  out->interval_ms = (int64_t)v * 1000;
  *failed = TK_OP_GET_COUNT;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_KEEPCNT, &v))) return err;
  out->count = v;
  out->mask = TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT;  // no user timeout
  *failed = TK_OP_NONE;
  return 0;
}

int tk_socket_error(tk_socket fd, int* pending) { return tk_posix_socket_error(fd, pending); }

int tk_get_tcp_info(tk_socket fd, tk_tcp_info* out) {
  struct tcp_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t len = sizeof ti;
  out->present = 0;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return errno;
  // FreeBSD reports rto, rtt and rttvar in microseconds.
  put(out, TK_I_STATE, map_state(ti.tcpi_state));
  put(out, TK_I_RTO_US, ti.tcpi_rto);
  put(out, TK_I_RTT_US, ti.tcpi_rtt);
  put(out, TK_I_RTT_VAR_US, ti.tcpi_rttvar);
  put(out, TK_I_SND_MSS, ti.tcpi_snd_mss);
  put(out, TK_I_SND_CWND, ti.tcpi_snd_cwnd);
  put(out, TK_I_LAST_DATA_RECV_MS, ti.tcpi_last_data_recv);
  put(out, TK_I_TOTAL_RETRANS, ti.tcpi_snd_rexmitpack);
  return 0;
}

int tk_uv_error(int os_error) { return -os_error; }

uint32_t tk_supported(void) { return TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT; }

}  // extern "C"
