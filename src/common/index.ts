/**
 * What every layer shares and nothing more: Node-style errors (codes,
 * errno, syscall; ERR_INVALID_ARG_* with the valid range in the message), the
 * one way arguments and options objects are read, and the shared unref'd
 * timer.
 *
 * May import: Node only. Every other folder may import it.
 * @packageDocumentation
 */
export {
  errnoOf,
  errorName,
  invalidArgType,
  invalidArgValue,
  libraryError,
  outOfRange,
  systemError,
  type CodedError,
  type LibraryErrorCode,
  type SystemError,
} from './errors';
export {
  booleanArg,
  functionArg,
  integerArg,
  isNetSocket,
  methodsOf,
  netSocket,
  numberArg,
  optionsObject,
  type Snapshot,
} from './arguments';
export { SharedTimer } from './shared-timer';
