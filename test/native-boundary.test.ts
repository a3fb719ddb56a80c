// The native boundary cannot be misused from JavaScript: the addon exposes
// no memory that user code can transfer or detach, and a number that does
// not fit the OS's socket type is refused before any narrowing conversion.
import { describe, expect, it } from 'vitest';
import { bindingPath } from '../src/native';
import { getKeepAlive, setKeepAlive } from '../src/entry/main';
import { tcpPair } from './helpers/sockets';

/** The addon's exports as any code in the process can reach them (require of the binary). */
function rawBinding(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bindingPath()) as Record<string, unknown>;
}

describe.runIf(process.platform === 'linux')('the addon exposes no transferable memory', () => {
  it('no export is an ArrayBuffer or a view of one', async () => {
    const pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 2000 }); // loads the addon
    const exports = rawBinding();
    const memory = Object.entries(exports).filter(([, v]) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer);
    expect(memory.map(([k]) => k)).toEqual([]);
    await pair.close();
  });

  it('transferring or detaching any buffer given to the addon cannot make it write into freed memory: it refuses the call', async () => {
    const pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 2000 });
    const fd = (pair.client as unknown as { _handle: { fd: number } })._handle.fd;
    const native = rawBinding() as Record<string, (...args: unknown[]) => unknown>;
    const buffer = new Float64Array(64);
    structuredClone(buffer.buffer, { transfer: [buffer.buffer] }); // detaches it
    for (const name of ['apply', 'read', 'socketError', 'tcpInfo']) {
      expect(() => native[name]?.(fd, buffer)).toThrow(TypeError);
      expect(() => native[name]?.(fd, new Float64Array(2))).toThrow(TypeError);
      expect(() => native[name]?.(fd, new Uint8Array(512))).toThrow(TypeError);
      expect(() => native[name]?.(fd)).toThrow(TypeError);
    }
    // The library's own calls are unaffected.
    expect(getKeepAlive(pair.client)).toMatchObject({ idle: 2000 });
    await pair.close();
  });
});

describe.runIf(process.platform === 'linux')('native code range-checks before every narrowing conversion', () => {
  it('a socket number above INT_MAX is refused, not truncated to another descriptor', async () => {
    const pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 2000 });
    const fd = (pair.client as unknown as { _handle: { fd: number } })._handle.fd;
    const native = rawBinding() as Record<string, (...args: unknown[]) => unknown>;
    const scratch = new Float64Array(64);
    for (const bad of [2 ** 32 + fd, 2 ** 31, 2 ** 53 - 1, -1, 1.5, NaN]) {
      for (const name of ['apply', 'read', 'socketError', 'tcpInfo']) {
        expect(() => native[name]?.(bad, scratch), `${name}(${bad})`).toThrow(RangeError);
      }
    }
    await pair.close();
  });
});
