// Linux: SO_KEEPALIVE, TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT (seconds),
// TCP_USER_TIMEOUT (milliseconds) and TCP_INFO.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "posix_sockopt.h"

namespace {

// The kernel's struct tcp_info (include/uapi/linux/tcp.h), declared here
// because glibc's copy stops before tcpi_notsent_bytes. The kernel only
// ever appends, and getsockopt returns how much of it this kernel filled:
// a field beyond that length is reported as absent.
struct kernel_tcp_info {
  uint8_t state, ca_state, retransmits, probes, backoff, options;
  uint8_t wscale, app_limited_flags;
  uint32_t rto, ato, snd_mss, rcv_mss;
  uint32_t unacked, sacked, lost, retrans, fackets;
  uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
  uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
  uint32_t rcv_rtt, rcv_space;
  uint32_t total_retrans;
  uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
  uint32_t segs_out, segs_in;
  uint32_t notsent_bytes;
  uint32_t min_rtt;
  uint32_t data_segs_in, data_segs_out;
  uint64_t delivery_rate;
  uint64_t busy_time, rwnd_limited, sndbuf_limited;
  uint32_t delivered, delivered_ce;
  uint64_t bytes_sent, bytes_retrans;
  uint32_t dsack_dups, reord_seen;
  uint32_t rcv_ooopack;
  uint32_t snd_wnd;
};
// The kernel's layout, the same on every Linux target (checked when each
// prebuild is compiled): a field at another offset would be read as garbage.
static_assert(offsetof(kernel_tcp_info, rtt) == 68, "tcpi_rtt offset differs from the kernel's");
static_assert(offsetof(kernel_tcp_info, pacing_rate) == 104, "tcpi_pacing_rate offset differs from the kernel's");
static_assert(offsetof(kernel_tcp_info, bytes_sent) == 200, "tcpi_bytes_sent offset differs from the kernel's");
static_assert(sizeof(kernel_tcp_info) == 232, "struct tcp_info up to tcpi_snd_wnd is 232 bytes");

int map_state(uint8_t s) {
  switch (s) {  // Linux numbering (include/net/tcp_states.h)
    case 1: return TK_STATE_ESTABLISHED;
    case 2: return TK_STATE_SYN_SENT;
    case 3: return TK_STATE_SYN_RECV;
    case 4: return TK_STATE_FIN_WAIT1;
    case 5: return TK_STATE_FIN_WAIT2;
    case 6: return TK_STATE_TIME_WAIT;
    case 7: return TK_STATE_CLOSED;
    case 8: return TK_STATE_CLOSE_WAIT;
    case 9: return TK_STATE_LAST_ACK;
    case 10: return TK_STATE_LISTEN;
    case 11: return TK_STATE_CLOSING;
    default: return TK_STATE_UNKNOWN;
  }
}

// Decodes `len` bytes of the kernel's struct tcp_info (from getsockopt or a
// sock_diag INET_DIAG_INFO attribute): a field beyond them is absent.
void decode_tcp_info(const kernel_tcp_info& ti, size_t len, tk_tcp_info* out) {
  out->present = 0;
#define TK_HAS(member) (len >= offsetof(kernel_tcp_info, member) + sizeof ti.member)
  if (TK_HAS(state)) tk_put_info(out, TK_I_STATE, map_state(ti.state));
  if (TK_HAS(retransmits)) tk_put_info(out, TK_I_RETRANSMITS, ti.retransmits);
  if (TK_HAS(probes)) tk_put_info(out, TK_I_PROBES, ti.probes);
  if (TK_HAS(backoff)) tk_put_info(out, TK_I_BACKOFF, ti.backoff);
  if (TK_HAS(rto)) tk_put_info(out, TK_I_RTO_US, ti.rto);
  if (TK_HAS(snd_mss)) tk_put_info(out, TK_I_SND_MSS, ti.snd_mss);
  if (TK_HAS(unacked)) tk_put_info(out, TK_I_UNACKED, ti.unacked);
  if (TK_HAS(lost)) tk_put_info(out, TK_I_LOST, ti.lost);
  if (TK_HAS(last_data_sent)) tk_put_info(out, TK_I_LAST_DATA_SENT_MS, ti.last_data_sent);
  if (TK_HAS(last_data_recv)) tk_put_info(out, TK_I_LAST_DATA_RECV_MS, ti.last_data_recv);
  if (TK_HAS(last_ack_recv)) tk_put_info(out, TK_I_LAST_ACK_RECV_MS, ti.last_ack_recv);
  if (TK_HAS(rtt)) tk_put_info(out, TK_I_RTT_US, ti.rtt);
  if (TK_HAS(rttvar)) tk_put_info(out, TK_I_RTT_VAR_US, ti.rttvar);
  if (TK_HAS(snd_cwnd)) tk_put_info(out, TK_I_SND_CWND, ti.snd_cwnd);
  if (TK_HAS(total_retrans)) tk_put_info(out, TK_I_TOTAL_RETRANS, ti.total_retrans);
  if (TK_HAS(notsent_bytes)) tk_put_info(out, TK_I_NOTSENT_BYTES, ti.notsent_bytes);
  if (TK_HAS(min_rtt)) tk_put_info(out, TK_I_MIN_RTT_US, ti.min_rtt);
  if (TK_HAS(bytes_retrans)) tk_put_info(out, TK_I_BYTES_RETRANS, (double)ti.bytes_retrans);
#undef TK_HAS
}

// The matching sockets of one address family, from a sock_diag dump (what
// ss reads): netlink asks the kernel, no socket of anyone's is touched.
int diag_family(int family, int local_port, int remote_port, tk_diag_entry* out, int max, int* count) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return errno;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message;
  memset(&message, 0, sizeof message);
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = (uint8_t)family;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = ~0u;  // every state
  message.request.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  // Large enough for what the kernel puts in one dump message (it sizes them
  // to the reader's buffer, up to 32 KB). From the heap: a thread_local
  // would make the binary need the dynamic loader (__tls_get_addr), and
  // 64 KB is much for a worker thread's stack.
  const size_t size = 65536;
  char* buffer = static_cast<char*>(malloc(size));
  if (buffer == nullptr) {
    close(fd);
    return ENOMEM;
  }
  int result = 0;
  for (bool done = false; !done;) {
    ssize_t n = recv(fd, buffer, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = errno;
      break;
    }
    if (n == 0) break;
    // NLMSG_OK/NLMSG_NEXT, spelt out: the macros mix signed and unsigned.
    size_t offset = 0;
    for (;;) {
      if (offset >= (size_t)n || (size_t)n - offset < sizeof(nlmsghdr)) break;
      nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buffer + offset);
      if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > (size_t)n - offset) break;
      offset += NLMSG_ALIGN(h->nlmsg_len);
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const nlmsgerr* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        result = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error < 0 ? -e->error : EPROTO;
        done = true;
        break;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
      const inet_diag_msg* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      int sport = ntohs(m->id.idiag_sport), dport = ntohs(m->id.idiag_dport);
      if ((local_port != 0 && sport != local_port) || (remote_port != 0 && dport != remote_port)) continue;
      int i = (*count)++;
      if (i >= max) continue;
      tk_diag_entry* e = &out[i];
      memset(e, 0, sizeof *e);
      e->family = family == AF_INET ? 4 : 6;
      inet_ntop(family, m->id.idiag_src, e->local_address, sizeof e->local_address);
      inet_ntop(family, m->id.idiag_dst, e->remote_address, sizeof e->remote_address);
      e->local_port = sport;
      e->remote_port = dport;
      e->timer = m->idiag_timer;
      e->timer_expires_ms = m->idiag_expires;
      e->timer_retransmits = m->idiag_retrans;
      e->uid = m->idiag_uid;
      e->inode = m->idiag_inode;
      // The state is in the message itself; the rest only with INET_DIAG_INFO
      // (absent for TIME_WAIT and request sockets).
      tk_put_info(&e->info, TK_I_STATE, map_state(m->idiag_state));
      // The attributes after the message (RTA_OK/RTA_NEXT, spelt out likewise).
      const char* at = reinterpret_cast<const char*>(m + 1);
      const char* end = reinterpret_cast<const char*>(h) + h->nlmsg_len;
      while ((size_t)(end - at) >= sizeof(rtattr)) {
        const rtattr* a = reinterpret_cast<const rtattr*>(at);
        if (a->rta_len < sizeof(rtattr) || a->rta_len > (size_t)(end - at)) break;
        if (a->rta_type == INET_DIAG_INFO) {
          kernel_tcp_info ti;
          memset(&ti, 0, sizeof ti);
          size_t payload = a->rta_len - RTA_LENGTH(0);
          size_t len = payload < sizeof ti ? payload : sizeof ti;
          memcpy(&ti, RTA_DATA(a), len);
          decode_tcp_info(ti, len, &e->info);
        }
        at += RTA_ALIGN(a->rta_len);
      }
    }
  }
  free(buffer);
  close(fd);
  return result;
}

}  // namespace

extern "C" {

int tk_check_tcp(tk_socket fd, const char** kind) {
  // One syscall: SO_PROTOCOL is IPPROTO_TCP only for SOCK_STREAM sockets of
  // AF_INET/AF_INET6, so it settles type and family at once.
  int proto = 0;
  int err = tk_getint(fd, SOL_SOCKET, SO_PROTOCOL, &proto);
  if (err != 0) return err;
  if (proto == IPPROTO_TCP) return 0;
  *kind = tk_describe_socket(fd);
  return TK_ERR_NOT_TCP;
}

int tk_apply(tk_socket fd, const tk_settings* req, int* failed) {
  int err = tk_posix_apply_keepalive(fd, req, TCP_KEEPIDLE, failed);
  if (err || !(req->mask & TK_F_USER_TIMEOUT)) return err;
  *failed = TK_OP_SET_USER_TIMEOUT;  // milliseconds on Linux
  if (req->user_timeout_ms < 0 || req->user_timeout_ms > INT_MAX) return EINVAL;
  if ((err = tk_setint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)req->user_timeout_ms))) return err;
  *failed = TK_OP_NONE;
  return 0;
}

int tk_read(tk_socket fd, tk_settings* out, int* failed) {
  int err = tk_posix_read_keepalive(fd, out, TCP_KEEPIDLE, failed);
  if (err) return err;
  int v = 0;
  *failed = TK_OP_GET_USER_TIMEOUT;
  if ((err = tk_getint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v))) return err;
  out->user_timeout_ms = (uint32_t)v;
  out->mask |= TK_F_USER_TIMEOUT;
  *failed = TK_OP_NONE;
  return 0;
}

int tk_socket_error(tk_socket fd, int* pending) { return tk_posix_socket_error(fd, pending); }

int tk_pending(tk_socket fd, int* has_error, int64_t* readable) { return tk_posix_pending(fd, has_error, readable); }

int tk_get_tcp_info(tk_socket fd, tk_tcp_info* out) {
  kernel_tcp_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t len = sizeof ti;
  out->present = 0;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return errno;
  // Only fields inside what this kernel filled in are reported.
  decode_tcp_info(ti, len, out);
  return 0;
}

int tk_diag_tcp(int local_port, int remote_port, tk_diag_entry* out, int max, int* count) {
  *count = 0;
  int err = diag_family(AF_INET, local_port, remote_port, out, max, count);
  if (err != 0) return err;
  return diag_family(AF_INET6, local_port, remote_port, out, max, count);
}

int tk_uv_error(int os_error) { return -os_error; }

uint32_t tk_supported(void) {
  return TK_F_ENABLE | TK_F_IDLE | TK_F_INTERVAL | TK_F_COUNT | TK_F_USER_TIMEOUT;
}

void tk_get_limits(tk_limits* out) {
  // net/ipv4/tcp.c: MAX_TCP_KEEPIDLE = MAX_TCP_KEEPINTVL = 32767 s,
  // MAX_TCP_KEEPCNT = 127; TCP_USER_TIMEOUT takes a non-negative int of ms.
  out->os_name = "Linux";
  out->idle_ms = tk_range{1, 32767 * 1000LL};
  out->interval_ms = tk_range{1, 32767 * 1000LL};
  out->count = tk_range{1, 127};
  out->user_timeout_ms = tk_range{0, INT_MAX};
  out->user_timeout_in_seconds = 0;
}

const char* tk_op_syscall(int op) { return tk_posix_op_syscall(op); }

const char* tk_op_option(int op) { return tk_posix_op_option(op, "SO_PROTOCOL", "TCP_KEEPIDLE", "TCP_USER_TIMEOUT", "TCP_INFO"); }

}  // extern "C"
