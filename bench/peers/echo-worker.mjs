// A bare worker_threads echo: the floor under any pool that talks by
// postMessage. It answers each [a, b] with a + b.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (args) => parentPort.postMessage(args[0] + args[1]));
