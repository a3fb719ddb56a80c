// FreeBSD: TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT (seconds, since 9.x) and
// TCP_INFO. No user-timeout option exists, so asking for one is reported as
// unsupported. Written against FreeBSD's headers; not compiled or run on
// this project's Linux CI.
#include <netinet/tcp.h>
#include <stddef.h>

#include "posix_sockopt.h"

extern "C" {

int tk_check_tcp(tk_socket fd, const char** kind) { return tk_check_stream_inet(fd, kind); }

int tk_apply(tk_socket fd, const tk_settings* req, int* failed) {
  if (req->mask & TK_F_USER_TIMEOUT) {  // checked first: nothing applied
    *failed = TK_OP_SET_USER_TIMEOUT;
    return TK_ERR_UNSUPPORTED;
  }
  return tk_posix_apply_keepalive(fd, req, TCP_KEEPIDLE, failed);
}

int tk_read(tk_socket fd, tk_settings* out, int* failed) {
  return tk_posix_read_keepalive(fd, out, TCP_KEEPIDLE, failed);  // no user timeout to read
}

int tk_socket_error(tk_socket fd, int* pending) { return tk_posix_socket_error(fd, pending); }

int tk_pending(tk_socket fd, int* has_error, int64_t* readable) { return tk_posix_pending(fd, has_error, readable); }

int tk_get_tcp_info(tk_socket fd, tk_tcp_info* out) {
  struct tcp_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t len = sizeof ti;
  out->present = 0;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return errno;
  // FreeBSD reports rto, rtt and rttvar in microseconds.
  tk_put_info(out, TK_I_STATE, tk_bsd_state(ti.tcpi_state));
  tk_put_info(out, TK_I_RTO_US, ti.tcpi_rto);
  tk_put_info(out, TK_I_RTT_US, ti.tcpi_rtt);
  tk_put_info(out, TK_I_RTT_VAR_US, ti.tcpi_rttvar);
  tk_put_info(out, TK_I_SND_MSS, ti.tcpi_snd_mss);
  tk_put_info(out, TK_I_SND_CWND, ti.tcpi_snd_cwnd);
  tk_put_info(out, TK_I_LAST_DATA_RECV_MS, ti.tcpi_last_data_recv);
  tk_put_info(out, TK_I_TOTAL_RETRANS, ti.tcpi_snd_rexmitpack);
  return 0;
}

int tk_uv_error(int os_error) { return -os_error; }

uint32_t tk_supported(void) { return TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT; }

void tk_get_limits(tk_limits* out) {
  // sys/netinet/tcp_usrreq.c: seconds, at most INT_MAX / hz (hz = 1000); no user timeout.
  out->os_name = "FreeBSD";
  out->idle_ms = tk_range{1, 2147483 * 1000LL};
  out->interval_ms = tk_range{1, 2147483 * 1000LL};
  out->count = tk_range{1, INT_MAX};
  out->user_timeout_ms = tk_range{0, 0};
  out->user_timeout_in_seconds = 1;
}

const char* tk_op_syscall(int op) { return tk_posix_op_syscall(op); }

const char* tk_op_option(int op) { return tk_posix_op_option(op, "SO_TYPE", "TCP_KEEPIDLE", "(no user timeout)", "TCP_INFO"); }

}  // extern "C"
