// The contract of the addon, and its one source: between the N-API entry
// (addon.cc) and the per-OS socket files (platform_*.cc), and between the
// addon and TypeScript. scripts/gen-contract.mjs reads the enums below into
// src/native/contract.ts (a test fails when the two differ); the comment on
// each TypeScript-facing entry is its documentation there.
//
// Everything here is plain C so the OS files never see N-API; every function
// returns 0 or the OS's own error number (errno on POSIX, WSAGetLastError()
// on Windows), or one of the negative TK_ERR_* values.
#ifndef TCP_KEEPALIVE_H_
#define TCP_KEEPALIVE_H_

#include <stdint.h>

#ifdef _WIN32
typedef uintptr_t tk_socket;  // a Winsock SOCKET
#else
typedef int tk_socket;        // a POSIX file descriptor
#endif

// Returned instead of an OS error. Negative so they never collide with an
// errno or a WSA code.
enum tk_err {
  TK_ERR_NOT_TCP = -1,         // a socket, but not a TCP one
  TK_ERR_UNSUPPORTED = -2,     // this OS has no such option at all
  TK_ERR_TIMES_TOGETHER = -3   // this OS sets idle and interval only together (Windows before 10 1709)
};

// @contract Status: scratch[TK_SLOT_STATUS] after every call.
enum tk_status {
  TK_STATUS_OK = 0,             // the call succeeded
  TK_STATUS_OS_ERROR = 1,       // the OS refused: errno in TK_SLOT_ERRNO, the OS's own number in TK_SLOT_OS_ERROR
  TK_STATUS_NOT_TCP = 2,        // the descriptor is a socket of another kind
  TK_STATUS_UNSUPPORTED = 3,    // this OS has no such option
  TK_STATUS_TIMES_TOGETHER = 4  // idle and interval must be set together here
};

// Which step failed; the OS file names its syscall and option (tk_op_syscall,
// tk_op_option), so each OS's names live with its code.
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
  TK_OP_PENDING,         // poll (POLLERR) and FIONREAD: nothing consumed
  TK_OP_COUNT
};

// @contract Field: bits of tk_settings.mask, which fields a request carries
// or which a read-back could obtain from the kernel.
enum tk_field {
  TK_F_ENABLE = 1 << 0,             // SO_KEEPALIVE
  TK_F_IDLE = 1 << 1,               // the idle time
  TK_F_INTERVAL = 1 << 2,           // the probe interval
  TK_F_COUNT = 1 << 3,              // the probe count
  TK_F_USER_TIMEOUT = 1 << 4,       // the user timeout
  TK_F_COUNT_FIXED = 1 << 5,        // read-back only: count is the OS's fixed value (Windows SIO_KEEPALIVE_VALS: 10)
  TK_F_TIMES_UNVERIFIED = 1 << 6,   // read-back only: idle/interval cannot be read back (set through SIO_KEEPALIVE_VALS)
  TK_F_NO_READBACK = 1 << 7,        // request only: apply, skip the read-back (the slots keep the request)
  TK_F_TCP_KNOWN = 1 << 8           // request only: the caller knows it is TCP (Node's own TCP handle): no SO_PROTOCOL check
};

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

// @contract TcpState: TCP states, normalized across OSes (the numbering is
// ours, not any kernel's); named as in RFC 793 / netstat.
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
  TK_STATE_CLOSING,
  TK_STATE_COUNT
};

// @contract TcpInfo: indexes into tk_tcp_info.values, a bit per index in
// tk_tcp_info.present. A field an OS does not report has its bit clear: it is
// absent from the snapshot, never 0. After `//`: the TypeScript name, then
// its documentation.
enum tk_info_field {
  TK_I_STATE = 0,            // state: connection state
  TK_I_RTT_US,               // rttUs: smoothed round-trip time, µs
  TK_I_RTT_VAR_US,           // rttVarianceUs: round-trip time variance (mean deviation), µs
  TK_I_RTO_US,               // rtoUs: current retransmission timeout, µs
  TK_I_RETRANSMITS,          // retransmits: consecutive retransmissions of the oldest unacknowledged segment (resets on ACK)
  TK_I_PROBES,               // probes: unanswered keep-alive (or zero-window) probes sent so far
  TK_I_BACKOFF,              // backoff: exponential backoff applied to the RTO
  TK_I_UNACKED,              // unackedSegments: segments sent and not yet acknowledged
  TK_I_LOST,                 // lostSegments: segments considered lost
  TK_I_TOTAL_RETRANS,        // totalRetransmits: segments retransmitted over the connection's lifetime
  TK_I_LAST_DATA_SENT_MS,    // lastDataSentAgo: time since data was last sent, ms
  TK_I_LAST_DATA_RECV_MS,    // lastDataReceivedAgo: time since data was last received, ms
  TK_I_LAST_ACK_RECV_MS,     // lastAckReceivedAgo: time since an ACK was last received (keep-alive counts from here), ms
  TK_I_NOTSENT_BYTES,        // notSentBytes: bytes written by the application and not yet sent
  TK_I_SND_MSS,              // sendMss: sender maximum segment size, bytes
  TK_I_SND_CWND,             // congestionWindow: congestion window (segments on Linux, bytes on macOS and Windows)
  TK_I_BYTES_IN_FLIGHT,      // bytesInFlight: bytes sent and not yet acknowledged
  TK_I_BYTES_RETRANS,        // bytesRetransmitted: bytes retransmitted over the connection's lifetime
  TK_I_TIMEOUT_EPISODES,     // timeoutEpisodes: retransmission timeouts over the connection's lifetime
  TK_I_MIN_RTT_US,           // minRttUs: minimum round-trip time seen, µs
  TK_I_COUNT
};

typedef struct tk_tcp_info {
  uint32_t present;  // bit i set ⇔ values[i] is valid
  double values[TK_I_COUNT];
} tk_tcp_info;

// @contract Slot: the scratch, a Float64Array the caller passes with every
// call: its request going in, its result coming out.
enum tk_slot {
  TK_SLOT_STATUS = 0,           // enum tk_status
  TK_SLOT_ERRNO = 1,            // libuv's errno (negative), on an OS error
  TK_SLOT_OP = 2,               // enum tk_op: the step that failed
  TK_SLOT_OS_ERROR = 3,         // the OS's own error number, on an OS error
  TK_SLOT_MASK = 3,             // apply and read: enum tk_field bits
  TK_SLOT_ENABLED = 4,          // apply and read: 1 or 0
  TK_SLOT_IDLE = 5,             // apply and read: ms
  TK_SLOT_INTERVAL = 6,         // apply and read: ms
  TK_SLOT_COUNT = 7,            // apply and read: probes
  TK_SLOT_USER_TIMEOUT = 8,     // apply and read: ms
  TK_SLOT_PENDING_ERRNO = 3,    // socketError: libuv's errno, 0 when none
  TK_SLOT_HAS_ERROR = 3,        // pending: 1 when an error is pending
  TK_SLOT_READABLE = 4,         // pending: bytes readable
  TK_SLOT_PRESENT = 3,          // tcpInfo: bits by enum tk_info_field
  TK_SLOT_INFO = 4,             // tcpInfo: the values, one per enum tk_info_field
  TK_SCRATCH_LENGTH = TK_SLOT_INFO + TK_I_COUNT  // elements a scratch must have
};

// An inclusive range of a setting, in the public API's units (ms, probes).
typedef struct tk_range {
  int64_t min;
  int64_t max;
} tk_range;

// What this OS accepts, in the public API's units. A setting the OS lacks
// is absent from tk_supported(); its range is then meaningless.
typedef struct tk_limits {
  const char* os_name;          // for messages, e.g. "Linux"
  tk_range idle_ms;
  tk_range interval_ms;
  tk_range count;
  tk_range user_timeout_ms;
  int user_timeout_in_seconds;  // the OS stores the user timeout in whole seconds (rounded up)
} tk_limits;

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

// The ranges this OS accepts.
void tk_get_limits(tk_limits* out);

// The syscall and the option name of a step on this OS, for error messages
// ("setsockopt", "TCP_KEEPINTVL").
const char* tk_op_syscall(int op);
const char* tk_op_option(int op);

#ifdef __linux__
// @contract DiagTimer: which timer of a connection the kernel reports
// through sock_diag (inet_diag_msg.idiag_timer).
enum tk_diag_timer {
  TK_TIMER_NONE = 0,               // none: no timer pending
  TK_TIMER_RETRANSMIT = 1,         // retransmit: retransmission (or loss-probe) timer; `retransmits` counts retransmissions
  TK_TIMER_KEEPALIVE = 2,          // keepalive: keep-alive timer; `retransmits` counts unanswered probes
  TK_TIMER_TIME_WAIT = 3,          // time-wait: TIME_WAIT expiry
  TK_TIMER_ZERO_WINDOW_PROBE = 4   // zero-window-probe: probing a peer whose receive window is zero
};

// One TCP connection of this network namespace as sock_diag reports it,
// read without touching its socket.
typedef struct tk_diag_entry {
  int family;                 // 4 or 6
  char local_address[46];     // numeric, as inet_ntop writes it
  int local_port;
  char remote_address[46];
  int remote_port;
  int timer;                  // enum tk_diag_timer
  uint32_t timer_expires_ms;  // until the timer fires, ms
  int timer_retransmits;      // see enum tk_diag_timer
  uint32_t uid;               // owner of the socket
  uint64_t inode;             // the socket's inode (ss's ino:)
  tk_tcp_info info;           // the kernel's struct tcp_info, decoded as tk_get_tcp_info does
} tk_diag_entry;

// Every TCP socket of the caller's network namespace, IPv4 then IPv6, whose
// local port is `local_port` and remote port `remote_port` (0: any): the
// first `max` into `out`; *count receives how many matched (more than `max`
// means: call again with room for *count).
int tk_diag_tcp(int local_port, int remote_port, tk_diag_entry* out, int max, int* count);
#endif

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
