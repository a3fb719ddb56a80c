/**
 * `tcp-keepalive/protocol`: the channel's wire format (docs/PROTOCOL.md), for
 * peers written without HeartbeatChannel: the frame encoders, the streaming
 * decoder and its protocol errors.
 * @packageDocumentation
 */
export {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameType,
  ProtocolError,
  encodeFrame,
  encodeHello,
  encodePingPong,
  type FrameHandler,
  type ProtocolViolation,
} from '../heartbeat';
