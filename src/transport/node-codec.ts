import { DefaultSerializer } from 'node:v8';

/** Thrown (and caught by the scheduler) for a payload holding shared memory: it must travel by postMessage. */
class SharedMemoryInside extends Error {}

/**
 * v8's serializer, except that a view on a SharedArrayBuffer is refused instead of copied: postMessage shares
 * such memory, and a kernel given one expects to write into the caller's buffer.
 */
class PayloadSerializer extends DefaultSerializer {
  /** v8's hook for typed arrays and other host objects (not in @types/node). */
  _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object) && object.buffer instanceof SharedArrayBuffer) throw new SharedMemoryInside('a view on a SharedArrayBuffer');
    (DefaultSerializer.prototype as unknown as { _writeHostObject(this: DefaultSerializer, object: object): void })._writeHostObject.call(this, object);
  }
}

/** Serializes a task payload for the shared work queue; workers decode it with node:v8 `deserialize`. */
export function serializePayload(value: unknown): Uint8Array {
  const serializer = new PayloadSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}
