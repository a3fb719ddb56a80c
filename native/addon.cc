// The N-API entry: argument checks, the scratch-buffer protocol and exports.
// The socket work itself lives in platform_*.cc behind tcp_keepalive.h, which
// also defines the scratch's layout (enum tk_slot) and its status codes.
//
// Requests and results travel through a Float64Array the caller passes with
// every call (the scratch), so a successful call allocates no JavaScript
// objects. The addon keeps no pointer to it between calls and exports no
// memory: code that reaches the addon cannot transfer or detach anything the
// addon will write to later, and a detached or short buffer is refused. A
// failed call returns what names it: the socket's kind when it is not TCP,
// else [syscall, option] as the OS file names them.
#include <napi.h>

#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "tcp_keepalive.h"

namespace {

constexpr size_t kScratchLength = TK_SCRATCH_LENGTH;

// The largest socket number this OS's socket type holds: a POSIX descriptor
// is an int; a Winsock SOCKET is pointer-sized, and a double is exact to 2^53.
#ifdef _WIN32
constexpr double kMaxSocket = 9007199254740991.0;
#else
constexpr double kMaxSocket = static_cast<double>(INT_MAX);
#endif

struct Call {
  tk_socket socket;
  double* out;
};

// Reads the two arguments every function takes: the socket number and the
// scratch. JavaScript has already checked the public arguments; these checks
// keep any call that reaches the addon, ours or not, from reaching the OS
// with garbage or writing outside memory it was given.
bool Prepare(const Napi::CallbackInfo& info, Call* call) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "tcp-keepalive native: expected (socket number, Float64Array scratch)").ThrowAsJavaScriptException();
    return false;
  }
  // One query for type, length and memory (node-addon-api's accessors ask once
  // each); it fails for anything that is not a typed array.
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_float64_array ||
      length < kScratchLength || data == nullptr) {
    Napi::TypeError::New(env, "tcp-keepalive native: the scratch must be an attached Float64Array of at least 24 elements")
        .ThrowAsJavaScriptException();
    return false;
  }
  // Range-checked before the narrowing conversion to the OS's socket type.
  double fd = info[0].As<Napi::Number>().DoubleValue();
  if (!(fd >= 0 && fd <= kMaxSocket) || std::floor(fd) != fd) {
    Napi::RangeError::New(env, "tcp-keepalive native: the socket number is not a valid descriptor for this OS")
        .ThrowAsJavaScriptException();
    return false;
  }
  call->socket = static_cast<tk_socket>(fd);
  call->out = static_cast<double*>(data);
  call->out[TK_SLOT_STATUS] = TK_STATUS_OK;
  call->out[TK_SLOT_ERRNO] = 0;
  call->out[TK_SLOT_OP] = TK_OP_NONE;
  return true;
}

// Records a failure in the scratch; returns what names it (see the top).
Napi::Value Fail(const Napi::CallbackInfo& info, double* out, int err, int op, const char* kind) {
  Napi::Env env = info.Env();
  out[TK_SLOT_OP] = op;
  if (err == TK_ERR_NOT_TCP) {
    out[TK_SLOT_STATUS] = TK_STATUS_NOT_TCP;
    return Napi::String::New(env, kind ? kind : "unknown");
  }
  if (err == TK_ERR_UNSUPPORTED) {
    out[TK_SLOT_STATUS] = TK_STATUS_UNSUPPORTED;
  } else if (err == TK_ERR_TIMES_TOGETHER) {
    out[TK_SLOT_STATUS] = TK_STATUS_TIMES_TOGETHER;
  } else {
    out[TK_SLOT_STATUS] = TK_STATUS_OS_ERROR;
    out[TK_SLOT_ERRNO] = tk_uv_error(err);
    out[TK_SLOT_OS_ERROR] = err;  // the OS's own number (a WSA code on Windows), for the error's `osError`
  }
  Napi::Array names = Napi::Array::New(env, 2);
  names.Set(0u, Napi::String::New(env, tk_op_syscall(op)));
  names.Set(1u, Napi::String::New(env, tk_op_option(op)));
  return names;
}

// Checks that the socket is TCP; on failure fills the scratch.
bool CheckTcp(const Napi::CallbackInfo& info, const Call& call, Napi::Value* result) {
  const char* kind = nullptr;
  int err = tk_check_tcp(call.socket, &kind);
  if (err == 0) return true;
  *result = Fail(info, call.out, err, TK_OP_CHECK, kind);
  return false;
}

void WriteSettings(const tk_settings& s, double* out) {
  out[TK_SLOT_MASK] = s.mask;
  out[TK_SLOT_ENABLED] = s.enabled;
  out[TK_SLOT_IDLE] = static_cast<double>(s.idle_ms);
  out[TK_SLOT_INTERVAL] = static_cast<double>(s.interval_ms);
  out[TK_SLOT_COUNT] = s.count;
  out[TK_SLOT_USER_TIMEOUT] = static_cast<double>(s.user_timeout_ms);
}

// A request value from the scratch: an integer in [lo, hi], else false.
// Every bound fits the type the value is narrowed to afterwards.
bool ReadInt(const double* slot, double lo, double hi, int64_t* value) {
  double v = *slot;
  if (!(v >= lo && v <= hi) || std::floor(v) != v) return false;
  *value = static_cast<int64_t>(v);
  return true;
}

// apply(socket, scratch): the request comes in the settings slots (mask,
// enabled, idle, interval, count, user timeout). Checks the socket, applies
// the masked fields, then reads everything back into the same slots. With
// TK_F_TCP_KNOWN the check is the caller's (a socket Node itself opened as
// TCP); with TK_F_NO_READBACK the slots keep the request.
Napi::Value Apply(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  const double kMaxMs = 9007199254740991.0;
  int64_t mask, enabled, idle, interval, count, user_timeout;
  const double* in = call.out;
  if (!ReadInt(in + TK_SLOT_MASK, 0, 0xffff, &mask) || !ReadInt(in + TK_SLOT_ENABLED, 0, 1, &enabled) ||
      !ReadInt(in + TK_SLOT_IDLE, 0, kMaxMs, &idle) || !ReadInt(in + TK_SLOT_INTERVAL, 0, kMaxMs, &interval) ||
      !ReadInt(in + TK_SLOT_COUNT, 0, static_cast<double>(INT32_MAX), &count) ||
      !ReadInt(in + TK_SLOT_USER_TIMEOUT, 0, kMaxMs, &user_timeout)) {
    Napi::TypeError::New(info.Env(), "tcp-keepalive native: bad settings").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::Value result = info.Env().Undefined();
  if (!(mask & TK_F_TCP_KNOWN) && !CheckTcp(info, call, &result)) return result;

  // The request-only bits are for this function; the platform code sees the fields.
  tk_settings req = {};
  req.mask = static_cast<uint32_t>(mask) & ~static_cast<uint32_t>(TK_F_NO_READBACK | TK_F_TCP_KNOWN);
  req.enabled = static_cast<int32_t>(enabled);
  req.idle_ms = idle;
  req.interval_ms = interval;
  req.count = static_cast<int32_t>(count);
  req.user_timeout_ms = user_timeout;
  int op = TK_OP_NONE;
  int err = tk_apply(call.socket, &req, &op);
  if (err != 0) return Fail(info, call.out, err, op, nullptr);
  if (mask & TK_F_NO_READBACK) {
    call.out[TK_SLOT_MASK] = req.mask;
    return result;
  }

  tk_settings got = {};
  err = tk_read(call.socket, &got, &op);
  if (err != 0) return Fail(info, call.out, err, op, nullptr);
  WriteSettings(got, call.out);
  return result;
}

// read(socket, scratch): the settings slots, as for apply.
Napi::Value Read(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  tk_settings got = {};
  int op = TK_OP_NONE;
  int err = tk_read(call.socket, &got, &op);
  if (err != 0) return Fail(info, call.out, err, op, nullptr);
  WriteSettings(got, call.out);
  return result;
}

// socketError(socket, scratch): TK_SLOT_PENDING_ERRNO = libuv's errno, 0 if none.
Napi::Value SocketError(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  int pending = 0;
  int err = tk_socket_error(call.socket, &pending);
  if (err != 0) return Fail(info, call.out, err, TK_OP_GET_ERROR, nullptr);
  call.out[TK_SLOT_PENDING_ERRNO] = pending == 0 ? 0 : tk_uv_error(pending);
  return result;
}

// tcpInfo(socket, scratch): TK_SLOT_PRESENT = presence bits, TK_SLOT_INFO + i = field i.
Napi::Value TcpInfo(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  tk_tcp_info ti = {};
  int err = tk_get_tcp_info(call.socket, &ti);
  if (err != 0) return Fail(info, call.out, err, TK_OP_GET_INFO, nullptr);
  call.out[TK_SLOT_PRESENT] = ti.present;
  for (int i = 0; i < TK_I_COUNT; i++) call.out[TK_SLOT_INFO + i] = (ti.present & (1u << i)) ? ti.values[i] : 0;
  return result;
}

// pending(socket, scratch): TK_SLOT_HAS_ERROR = 1 when an error is pending, TK_SLOT_READABLE = bytes.
Napi::Value Pending(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  int has_error = 0;
  int64_t readable = 0;
  int err = tk_pending(call.socket, &has_error, &readable);
  if (err != 0) return Fail(info, call.out, err, TK_OP_PENDING, nullptr);
  call.out[TK_SLOT_HAS_ERROR] = has_error;
  call.out[TK_SLOT_READABLE] = static_cast<double>(readable);
  return result;
}

#if defined(_WIN32) || defined(__linux__)
// A TCP port from JavaScript: an integer in min..65535 (findSocket: 1; diagTcp: 0 = any), checked before narrowing.
bool PortArg(const Napi::Value& value, int min, int* port) {
  if (!value.IsNumber()) return false;
  double p = value.As<Napi::Number>().DoubleValue();
  if (!(p >= min && p <= 65535) || std::floor(p) != p) return false;
  *port = static_cast<int>(p);
  return true;
}
#endif

#ifdef _WIN32
// findSocket(localAddress, localPort, remoteAddress, remotePort) → SOCKET or -1.
Napi::Value FindSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int local_port = 0, remote_port = 0;
  if (info.Length() < 4 || !info[0].IsString() || !PortArg(info[1], 1, &local_port) || !info[2].IsString() ||
      !PortArg(info[3], 1, &remote_port)) {
    Napi::TypeError::New(env, "tcp-keepalive native: bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Napi::Number::New(env, -1);
  std::string local = info[0].As<Napi::String>().Utf8Value();
  std::string remote = info[2].As<Napi::String>().Utf8Value();
  tk_socket found = (tk_socket)-1;
  int err = tk_find_socket(loop, local.c_str(), local_port, remote.c_str(), remote_port, &found);
  if (err != 0 || found == (tk_socket)-1) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, static_cast<double>(found));
}
#endif

#ifdef __linux__
// diagTcp(localPort, remotePort) → the matching connections of this network
// namespace, each { family, localAddress, localPort, remoteAddress,
// remotePort, timer, timerExpiresMs, timerRetransmits, uid, inode, info }
// with `info` a scratch-shaped Float64Array (TK_SLOT_PRESENT, TK_SLOT_INFO + i);
// or libuv's negative errno when sock_diag failed.
Napi::Value DiagTcp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int local_port = 0, remote_port = 0;
  if (info.Length() < 2 || !PortArg(info[0], 0, &local_port) || !PortArg(info[1], 0, &remote_port)) {
    Napi::TypeError::New(env, "tcp-keepalive native: expected (local port, remote port), each 0..65535").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<tk_diag_entry> entries(64);
  int count = 0;
  // Connections come and go between two dumps: a few tries with room for what the last one found.
  for (int attempt = 0; attempt < 4; attempt++) {
    int err = tk_diag_tcp(local_port, remote_port, entries.data(), static_cast<int>(entries.size()), &count);
    if (err != 0) return Napi::Number::New(env, tk_uv_error(err));
    if (count <= static_cast<int>(entries.size())) break;
    entries.resize(static_cast<size_t>(count) + 64);
  }
  if (count > static_cast<int>(entries.size())) count = static_cast<int>(entries.size());
  Napi::Array list = Napi::Array::New(env, static_cast<size_t>(count));
  for (int i = 0; i < count; i++) {
    const tk_diag_entry& e = entries[static_cast<size_t>(i)];
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", e.family);
    o.Set("localAddress", e.local_address);
    o.Set("localPort", e.local_port);
    o.Set("remoteAddress", e.remote_address);
    o.Set("remotePort", e.remote_port);
    o.Set("timer", e.timer);
    o.Set("timerExpiresMs", static_cast<double>(e.timer_expires_ms));
    o.Set("timerRetransmits", e.timer_retransmits);
    o.Set("uid", static_cast<double>(e.uid));
    o.Set("inode", static_cast<double>(e.inode));
    Napi::Float64Array scratch = Napi::Float64Array::New(env, kScratchLength);
    scratch[TK_SLOT_PRESENT] = e.info.present;
    for (int f = 0; f < TK_I_COUNT; f++) scratch[TK_SLOT_INFO + f] = (e.info.present & (1u << f)) ? e.info.values[f] : 0;
    o.Set("info", scratch);
    list.Set(static_cast<uint32_t>(i), o);
  }
  return list;
}
#endif

Napi::Object Range(Napi::Env env, const tk_range& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("min", static_cast<double>(r.min));
  o.Set("max", static_cast<double>(r.max));
  return o;
}

// This OS's ranges, in the public API's units; a setting the OS lacks is absent.
Napi::Object Limits(Napi::Env env) {
  tk_limits l = {};
  tk_get_limits(&l);
  uint32_t supported = tk_supported();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", l.os_name);
  if (supported & TK_F_IDLE) o.Set("idle", Range(env, l.idle_ms));
  if (supported & TK_F_INTERVAL) o.Set("interval", Range(env, l.interval_ms));
  if (supported & TK_F_COUNT) o.Set("count", Range(env, l.count));
  if (supported & TK_F_USER_TIMEOUT) o.Set("userTimeout", Range(env, l.user_timeout_ms));
  o.Set("userTimeoutInSeconds", Napi::Boolean::New(env, l.user_timeout_in_seconds != 0));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("apply", Napi::Function::New(env, Apply, "apply"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("socketError", Napi::Function::New(env, SocketError, "socketError"));
  exports.Set("tcpInfo", Napi::Function::New(env, TcpInfo, "tcpInfo"));
  exports.Set("pending", Napi::Function::New(env, Pending, "pending"));
#ifdef _WIN32
  exports.Set("findSocket", Napi::Function::New(env, FindSocket, "findSocket"));
#endif
#ifdef __linux__
  exports.Set("diagTcp", Napi::Function::New(env, DiagTcp, "diagTcp"));
#endif
  exports.Set("supported", Napi::Number::New(env, tk_supported()));
  exports.Set("limits", Limits(env));
  // The sizes TypeScript checks against its generated copy of the contract.
  Napi::Object contract = Napi::Object::New(env);
  contract.Set("scratchLength", static_cast<double>(TK_SCRATCH_LENGTH));
  contract.Set("infoFields", static_cast<double>(TK_I_COUNT));
  contract.Set("states", static_cast<double>(TK_STATE_COUNT));
  contract.Set("ops", static_cast<double>(TK_OP_COUNT));
  exports.Set("contract", contract);
  return exports;
}

}  // namespace

NODE_API_MODULE(tcp_keepalive, Init)
