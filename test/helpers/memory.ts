// What this process really holds: the JavaScript heap plus ArrayBuffer memory
// after full collections, not any counter of the code under test.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap used + ArrayBuffer bytes after two full collections. */
export function retainedBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
