// The N-API entry: argument checks, the scratch-buffer protocol and exports.
// The socket work itself lives in platform_*.cc behind tcp_keepalive.h.
//
// Requests and results travel through a Float64Array the caller passes with
// every call (the scratch), so a call allocates no JavaScript objects. The
// addon keeps no pointer to it between calls and exports no memory: code
// that reaches the addon cannot transfer or detach anything the addon will
// write to later, and a detached or short buffer is refused.
// Layout (indexes into the scratch):
//   [0] status: 0 ok, 1 OS error, 2 not a TCP socket, 3 unsupported option,
//       4 the times must be set together (TK_ERR_TIMES_TOGETHER)
//   [1] libuv errno (negative) when status is 1
//   [2] enum tk_op: the step that failed
//   [3..] the payload of the call (see each function); on an OS error,
//         [3] holds the OS's own error number
#include <napi.h>

#include <climits>
#include <cmath>
#include <string>

#include "tcp_keepalive.h"

namespace {

enum Status { kOk = 0, kOsError = 1, kNotTcp = 2, kUnsupported = 3, kTimesTogether = 4 };
constexpr size_t kScratchLength = 4 + TK_I_COUNT;

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
  call->out[0] = kOk;
  call->out[1] = 0;
  call->out[2] = TK_OP_NONE;
  return true;
}

// Records a failure in the scratch; returns the JS value the caller returns.
Napi::Value Fail(const Napi::CallbackInfo& info, double* out, int err, int op, const char* kind) {
  out[2] = op;
  if (err == TK_ERR_NOT_TCP) {
    out[0] = kNotTcp;
    return Napi::String::New(info.Env(), kind ? kind : "unknown");
  }
  if (err == TK_ERR_UNSUPPORTED) {
    out[0] = kUnsupported;
  } else if (err == TK_ERR_TIMES_TOGETHER) {
    out[0] = kTimesTogether;
  } else {
    out[0] = kOsError;
    out[1] = tk_uv_error(err);
    out[3] = err;  // the OS's own number (a WSA code on Windows), for the error's `osError`
  }
  return info.Env().Undefined();
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
  out[3] = s.mask;
  out[4] = s.enabled;
  out[5] = static_cast<double>(s.idle_ms);
  out[6] = static_cast<double>(s.interval_ms);
  out[7] = s.count;
  out[8] = static_cast<double>(s.user_timeout_ms);
}

// A request value from the scratch: an integer in [lo, hi], else false.
// Every bound fits the type the value is narrowed to afterwards.
bool ReadInt(const double* slot, double lo, double hi, int64_t* value) {
  double v = *slot;
  if (!(v >= lo && v <= hi) || std::floor(v) != v) return false;
  *value = static_cast<int64_t>(v);
  return true;
}

// apply(socket, scratch): the request comes in scratch[3..8] (mask, enabled,
// idleMs, intervalMs, count, userTimeoutMs). Checks the socket, applies the
// masked fields, then reads everything back into scratch[3..8].
Napi::Value Apply(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  const double kMaxMs = 9007199254740991.0;
  int64_t mask, enabled, idle, interval, count, user_timeout;
  const double* in = call.out + 3;
  if (!ReadInt(in, 0, 0xffff, &mask) || !ReadInt(in + 1, 0, 1, &enabled) || !ReadInt(in + 2, 0, kMaxMs, &idle) ||
      !ReadInt(in + 3, 0, kMaxMs, &interval) || !ReadInt(in + 4, 0, static_cast<double>(INT32_MAX), &count) ||
      !ReadInt(in + 5, 0, kMaxMs, &user_timeout)) {
    Napi::TypeError::New(info.Env(), "tcp-keepalive native: bad settings").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;

  tk_settings req = {};
  req.mask = static_cast<uint32_t>(mask);
  req.enabled = static_cast<int32_t>(enabled);
  req.idle_ms = idle;
  req.interval_ms = interval;
  req.count = static_cast<int32_t>(count);
  req.user_timeout_ms = user_timeout;
  int op = TK_OP_NONE;
  int err = tk_apply(call.socket, &req, &op);
  if (err != 0) return Fail(info, call.out, err, op, nullptr);

  tk_settings got = {};
  err = tk_read(call.socket, &got, &op);
  if (err != 0) return Fail(info, call.out, err, op, nullptr);
  WriteSettings(got, call.out);
  return result;
}

// read(socket, scratch): scratch[3..8] as for apply.
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

// socketError(socket, scratch): scratch[3] = pending libuv errno, 0 if none.
Napi::Value SocketError(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  int pending = 0;
  int err = tk_socket_error(call.socket, &pending);
  if (err != 0) return Fail(info, call.out, err, TK_OP_GET_ERROR, nullptr);
  call.out[3] = pending == 0 ? 0 : tk_uv_error(pending);
  return result;
}

// tcpInfo(socket, scratch): scratch[3] = presence bits, scratch[4+i] = field i.
Napi::Value TcpInfo(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  tk_tcp_info ti = {};
  int err = tk_get_tcp_info(call.socket, &ti);
  if (err != 0) return Fail(info, call.out, err, TK_OP_GET_INFO, nullptr);
  call.out[3] = ti.present;
  for (int i = 0; i < TK_I_COUNT; i++) call.out[4 + i] = (ti.present & (1u << i)) ? ti.values[i] : 0;
  return result;
}

// pending(socket, scratch): scratch[3] = 1 when an error is pending, scratch[4] = readable bytes.
Napi::Value Pending(const Napi::CallbackInfo& info) {
  Call call;
  if (!Prepare(info, &call)) return info.Env().Undefined();
  Napi::Value result = info.Env().Undefined();
  if (!CheckTcp(info, call, &result)) return result;
  int has_error = 0;
  int64_t readable = 0;
  int err = tk_pending(call.socket, &has_error, &readable);
  if (err != 0) return Fail(info, call.out, err, TK_OP_PENDING, nullptr);
  call.out[3] = has_error;
  call.out[4] = static_cast<double>(readable);
  return result;
}

#ifdef _WIN32
// A TCP port from JavaScript: an integer in 1..65535, checked before narrowing.
bool PortArg(const Napi::Value& value, int* port) {
  if (!value.IsNumber()) return false;
  double p = value.As<Napi::Number>().DoubleValue();
  if (!(p >= 1 && p <= 65535) || std::floor(p) != p) return false;
  *port = static_cast<int>(p);
  return true;
}

// findSocket(localAddress, localPort, remoteAddress, remotePort) → SOCKET or -1.
Napi::Value FindSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int local_port = 0, remote_port = 0;
  if (info.Length() < 4 || !info[0].IsString() || !PortArg(info[1], &local_port) || !info[2].IsString() ||
      !PortArg(info[3], &remote_port)) {
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("apply", Napi::Function::New(env, Apply, "apply"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("socketError", Napi::Function::New(env, SocketError, "socketError"));
  exports.Set("tcpInfo", Napi::Function::New(env, TcpInfo, "tcpInfo"));
  exports.Set("pending", Napi::Function::New(env, Pending, "pending"));
#ifdef _WIN32
  exports.Set("findSocket", Napi::Function::New(env, FindSocket, "findSocket"));
#endif
  exports.Set("supported", Napi::Number::New(env, tk_supported()));
  exports.Set("scratchLength", Napi::Number::New(env, static_cast<double>(kScratchLength)));
  return exports;
}

}  // namespace

NODE_API_MODULE(tcp_keepalive, Init)
