// macOS (xnu): TCP_KEEPALIVE is the idle time (there is no TCP_KEEPIDLE),
// TCP_KEEPINTVL/TCP_KEEPCNT since 10.9, TCP_RXT_CONNDROPTIME (seconds) as
// the user timeout, TCP_CONNECTION_INFO for the snapshot. Written against
// xnu's headers; not compiled or run on this project's Linux CI.
#include <netinet/tcp.h>
#include <stddef.h>

#include "posix_sockopt.h"

#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 0x101
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 0x102
#endif
#ifndef TCP_RXT_CONNDROPTIME
#define TCP_RXT_CONNDROPTIME 0x80
#endif

extern "C" {

int tk_check_tcp(tk_socket fd, const char** kind) { return tk_check_stream_inet(fd, kind); }

int tk_apply(tk_socket fd, const tk_settings* req, int* failed) {
  int err = tk_posix_apply_keepalive(fd, req, TCP_KEEPALIVE, failed);
  if (err || !(req->mask & TK_F_USER_TIMEOUT)) return err;
  *failed = TK_OP_SET_USER_TIMEOUT;
  // Seconds, rounded up; 0 keeps its meaning "system default". Passing
  // milliseconds here is the known bug that makes the timeout 1000× longer.
  int s = 0;
  if (req->user_timeout_ms != 0 && (err = tk_ms_to_s(req->user_timeout_ms, &s))) return err;
  if ((err = tk_setint(fd, IPPROTO_TCP, TCP_RXT_CONNDROPTIME, s))) return err;
  *failed = TK_OP_NONE;
  return 0;
}

int tk_read(tk_socket fd, tk_settings* out, int* failed) {
  int err = tk_posix_read_keepalive(fd, out, TCP_KEEPALIVE, failed);
  if (err) return err;
  int v = 0;
  *failed = TK_OP_GET_USER_TIMEOUT;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_RXT_CONNDROPTIME, &v))) return err;
  out->user_timeout_ms = (int64_t)v * 1000;
  out->mask |= TK_F_USER_TIMEOUT;
  *failed = TK_OP_NONE;
  return 0;
}

int tk_socket_error(tk_socket fd, int* pending) { return tk_posix_socket_error(fd, pending); }

int tk_pending(tk_socket fd, int* has_error, int64_t* readable) { return tk_posix_pending(fd, has_error, readable); }

int tk_get_tcp_info(tk_socket fd, tk_tcp_info* out) {
  out->present = 0;
#ifdef TCP_CONNECTION_INFO
  struct tcp_connection_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONNECTION_INFO, &ti, &len) != 0) return errno;
  // xnu reports these times in milliseconds.
  tk_put_info(out, TK_I_STATE, tk_bsd_state(ti.tcpi_state));
  tk_put_info(out, TK_I_RTO_US, (double)ti.tcpi_rto * 1000);
  tk_put_info(out, TK_I_RTT_US, (double)ti.tcpi_srtt * 1000);
  tk_put_info(out, TK_I_RTT_VAR_US, (double)ti.tcpi_rttvar * 1000);
  tk_put_info(out, TK_I_SND_MSS, ti.tcpi_maxseg);
  tk_put_info(out, TK_I_SND_CWND, ti.tcpi_snd_cwnd);
  tk_put_info(out, TK_I_NOTSENT_BYTES, ti.tcpi_snd_sbbytes);
  tk_put_info(out, TK_I_TOTAL_RETRANS, (double)ti.tcpi_txretransmitpackets);
  tk_put_info(out, TK_I_BYTES_RETRANS, (double)ti.tcpi_txretransmitbytes);
  return 0;
#else
  (void)fd;
  return TK_ERR_UNSUPPORTED;
#endif
}

int tk_uv_error(int os_error) { return -os_error; }

uint32_t tk_supported(void) {
  return TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT | TK_F_USER_TIMEOUT;
}

void tk_get_limits(tk_limits* out) {
  // xnu bsd/netinet/tcp_usrreq.c: times in seconds, at most
  // UINT32_MAX / TCP_RETRANSHZ; TCP_RXT_CONNDROPTIME in seconds too (0 = default).
  out->os_name = "macOS";
  out->idle_ms = tk_range{1, 4294967 * 1000LL};
  out->interval_ms = tk_range{1, 4294967 * 1000LL};
  out->count = tk_range{1, INT_MAX};
  out->user_timeout_ms = tk_range{0, 4294967 * 1000LL};
  out->user_timeout_in_seconds = 1;
}

const char* tk_op_syscall(int op) { return tk_posix_op_syscall(op); }

const char* tk_op_option(int op) {
  return tk_posix_op_option(op, "SO_TYPE", "TCP_KEEPALIVE", "TCP_RXT_CONNDROPTIME", "TCP_CONNECTION_INFO");
}

}  // extern "C"
