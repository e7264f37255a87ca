/**
 * Entry of a QueuePool's client thread. Its QueueClient owns the Redis side; this file owns the channel back:
 * every outcome is posted to the submitting thread's port (read there with receiveMessageOnPort, so getSync()
 * needs no event-loop turn) and announced through shared memory (a completion flag per result, one counter to
 * wait on). Running beside the submitting thread is what lets that thread block while results keep arriving.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { recordOf, type ErrorRecord } from './errors.js';
import { SEGMENT_MASK, SEGMENT_SHIFT } from './flags.js';
import type { ClientSetup, FromClient, ToClient } from './protocol.js';
import { QueueClient, type ClientEvents } from './queue-client.js';
import type { Settling } from './submissions.js';

const { setup, port } = workerData as { setup: ClientSetup; port: MessagePort };
const signal = new Int32Array(setup.signal);
const flagSegments: Int32Array[] = [];

function post(message: FromClient, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

const events: ClientEvents = {
  settled(submission: Settling, ok: boolean, valueOrError: unknown): void {
    // Post before raising the flag: a thread that sees the flag must find the value already in its port.
    // A map of numbers comes as one Float64Array: moved to the submitting thread, not copied, and made an array there.
    const packed = ok && submission.kind === 'map' && valueOrError instanceof Float64Array;
    post(
      ok
        ? { type: 'settled', id: submission.id, ok: true, value: valueOrError, ...(packed && { packed: true }) }
        : { type: 'settled', id: submission.id, ok: false, error: valueOrError as ErrorRecord },
      packed ? [(valueOrError as Float64Array).buffer as ArrayBuffer] : [],
    );
    Atomics.store(flagSegments[submission.flag >> SEGMENT_SHIFT], submission.flag & SEGMENT_MASK, 1);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  },
  progress: (submission, done, total) => post({ type: 'progress', id: submission.id, done, total }),
  chunk: (submission, offset, values) => post({ type: 'chunk', id: submission.id, offset, values }),
  load: (submission, started, done) => post({ type: 'load', id: submission.id, started, done }),
  connected: () => post({ type: 'connected' }),
  fatal: (error) => post({ type: 'fatal', error }),
  closed() {
    post({ type: 'closed' });
    parentPort!.close();
    // Every connection is closed, but ioredis can keep a timer for seconds after a failed connect: the thread's
    // work is done, so it ends now (what it posted is already in the other side's port).
    setImmediate(() => process.exit(0));
  },
};

const client = new QueueClient(setup, events);

parentPort!.on('message', (message: ToClient) => {
  switch (message.type) {
    case 'flags':
      flagSegments[message.segment] = new Int32Array(message.buffer);
      break;
    case 'submit':
      try {
        client.submit(message);
      } catch (error) {
        client.reject(message, recordOf(error));
      }
      break;
    case 'reattach':
      try {
        client.reattach(message);
      } catch (error) {
        client.reject(message, recordOf(error));
      }
      break;
    case 'cancel':
      void client.cancel(message.id, message.reason);
      break;
    case 'terminate':
      void client.terminate(message.reason);
      break;
    case 'close':
      void client.close();
      break;
  }
});

void client.start().catch((error) => {
  events.fatal(recordOf(error));
  void client.close();
});
