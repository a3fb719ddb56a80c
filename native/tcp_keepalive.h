// The contract between the N-API entry (addon.cc) and the per-OS socket
// files (platform_*.cc). Everything here is plain C types so the OS files
// never see N-API, and every function returns 0 or the OS's own error
// number (errno on POSIX, WSAGetLastError() on Windows).
#ifndef TCP_KEEPALIVE_H_
#define TCP_KEEPALIVE_H_

#include <stdint.h>

#ifdef _WIN32
typedef uintptr_t tk_socket;  // a Winsock SOCKET
#else
typedef int tk_socket;        // a POSIX file descriptor
#endif

// Returned instead of an OS error when a descriptor is a socket but not a
// TCP one. Negative so it can never collide with an errno or WSA code.
#define TK_ERR_NOT_TCP (-1)
// Returned when this OS has no such option at all (see tk_op for which).
#define TK_ERR_UNSUPPORTED (-2)
// Returned when this OS can set the keep-alive times only together (Windows
// before 10 1709: SIO_KEEPALIVE_VALS) and the request names only one of them.
#define TK_ERR_TIMES_TOGETHER (-3)

// Which step failed; lets the entry file name the syscall and the option.
enum tk_op {
  TK_OP_NONE = 0,
  TK_OP_CHECK,           // identifying the descriptor (getsockopt/getsockname)
  TK_OP_SET_ENABLE,      // SO_KEEPALIVE
  TK_OP_SET_IDLE,        // TCP_KEEPIDLE / TCP_KEEPALIVE (darwin)
  TK_OP_SET_INTERVAL,    // TCP_KEEPINTVL
  TK_OP_SET_COUNT,       // TCP_KEEPCNT
  TK_OP_SET_USER_TIMEOUT,// TCP_USER_TIMEOUT / TCP_RXT_CONNDROPTIME / TCP_MAXRT
  TK_OP_SET_VALS,        // SIO_KEEPALIVE_VALS (Windows fallback)
  TK_OP_GET_ENABLE,
  TK_OP_GET_IDLE,
  TK_OP_GET_INTERVAL,
  TK_OP_GET_COUNT,
  TK_OP_GET_USER_TIMEOUT,
  TK_OP_GET_ERROR,       // SO_ERROR
  TK_OP_GET_INFO,        // TCP_INFO / TCP_CONNECTION_INFO / SIO_TCP_INFO
  TK_OP_PENDING          // poll (POLLERR) and FIONREAD/SIOCINQ: nothing consumed
};

// Bits of tk_settings.mask: which fields a request carries, or which
// fields a read-back could obtain from the kernel.
#define TK_F_ENABLE (1u << 0)
#define TK_F_IDLE (1u << 1)
#define TK_F_INTERVAL (1u << 2)
#define TK_F_COUNT (1u << 3)
#define TK_F_USER_TIMEOUT (1u << 4)
// Read-back only: count is the OS's fixed value, not read from the socket
// (Windows SIO_KEEPALIVE_VALS, where the probe count is always 10).
#define TK_F_COUNT_FIXED (1u << 5)
// Read-back only: idle/interval are what was last set through
// SIO_KEEPALIVE_VALS, which Windows cannot read back.
#define TK_F_TIMES_UNVERIFIED (1u << 6)

// Keep-alive settings. All times are milliseconds whatever the OS unit;
// each OS file converts (rounding seconds up, never down to 0).
typedef struct tk_settings {
  uint32_t mask;
  int32_t enabled;
  int64_t idle_ms;
  int64_t interval_ms;
  int32_t count;
  int64_t user_timeout_ms;
} tk_settings;

// TCP states, normalized across OSes (numbering is ours, not any kernel's).
enum tk_tcp_state {
  TK_STATE_UNKNOWN = 0,
  TK_STATE_ESTABLISHED,
  TK_STATE_SYN_SENT,
  TK_STATE_SYN_RECV,
  TK_STATE_FIN_WAIT1,
  TK_STATE_FIN_WAIT2,
  TK_STATE_TIME_WAIT,
  TK_STATE_CLOSED,
  TK_STATE_CLOSE_WAIT,
  TK_STATE_LAST_ACK,
  TK_STATE_LISTEN,
  TK_STATE_CLOSING
};

// Indexes into tk_tcp_info.values; a bit per index in tk_tcp_info.present.
// A field an OS does not report has its bit clear (absent, never 0).
enum tk_info_field {
  TK_I_STATE = 0,            // enum tk_tcp_state
  TK_I_RTT_US,               // smoothed round-trip time
  TK_I_RTT_VAR_US,           // round-trip time variance
  TK_I_RTO_US,               // retransmission timeout
  TK_I_RETRANSMITS,          // consecutive unanswered retransmissions now
  TK_I_PROBES,               // unanswered keep-alive / zero-window probes
  TK_I_BACKOFF,              // exponential backoff of the RTO
  TK_I_UNACKED,              // segments sent and not acknowledged
  TK_I_LOST,                 // segments considered lost
  TK_I_TOTAL_RETRANS,        // retransmitted segments over the lifetime
  TK_I_LAST_DATA_SENT_MS,    // ms since data was last sent
  TK_I_LAST_DATA_RECV_MS,    // ms since data was last received
  TK_I_LAST_ACK_RECV_MS,     // ms since an ACK was last received
  TK_I_NOTSENT_BYTES,        // bytes queued locally, not yet sent
  TK_I_SND_MSS,              // sender maximum segment size, bytes
  TK_I_SND_CWND,             // congestion window, segments (bytes on Windows/macOS)
  TK_I_BYTES_IN_FLIGHT,      // bytes sent and not acknowledged
  TK_I_BYTES_RETRANS,        // bytes retransmitted over the lifetime
  TK_I_TIMEOUT_EPISODES,     // retransmission timeouts over the lifetime
  TK_I_MIN_RTT_US,           // minimum RTT observed
  TK_I_COUNT
};

typedef struct tk_tcp_info {
  uint32_t present;  // bit i set ⇔ values[i] is valid
  double values[TK_I_COUNT];
} tk_tcp_info;

#ifdef __cplusplus
extern "C" {
#endif

// 0 when `s` is a connected-or-connecting TCP socket (IPv4 or IPv6);
// TK_ERR_NOT_TCP when it is another kind of socket (*kind receives a short
// static description such as "UDP" or "UNIX-domain"); else an OS error
// (EBADF, ENOTSOCK, ...).
int tk_check_tcp(tk_socket s, const char** kind);

// Applies the fields named in req->mask, in the order enable, idle,
// interval, count, user timeout. On failure *failed receives the step.
int tk_apply(tk_socket s, const tk_settings* req, int* failed);

// Reads every field this OS can report into *out (out->mask says which).
int tk_read(tk_socket s, tk_settings* out, int* failed);

// Reads and clears SO_ERROR into *pending (0 when none).
int tk_socket_error(tk_socket s, int* pending);

// Fills *out from the OS's TCP_INFO equivalent.
int tk_get_tcp_info(tk_socket s, tk_tcp_info* out);

// Looks without consuming anything: *has_error is 1 when an error is
// pending (what SO_ERROR would return and clear), *readable the bytes the
// kernel holds for reading. Lets a caller decide whether acting on a socket
// could lose data or an error the application would otherwise see.
int tk_pending(tk_socket s, int* has_error, int64_t* readable);

// Maps an OS error number (as returned above) to libuv's negative error
// number, the one Node's util.getSystemErrorName() understands.
int tk_uv_error(int os_error);

// Which settings this OS supports at all (TK_F_* bits).
uint32_t tk_supported(void);

#ifdef _WIN32
// Windows only: the SOCKET of the libuv TCP handle on `loop` (a uv_loop_t*)
// whose local and remote endpoints match; *found = (tk_socket)-1 if none.
int tk_find_socket(void* loop, const char* local_address, int local_port, const char* remote_address,
                   int remote_port, tk_socket* found);
#endif

#ifdef __cplusplus
}
#endif

#endif  // TCP_KEEPALIVE_H_
