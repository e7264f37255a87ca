// The kernels of an older deploy: `square` and the rest are not there yet (a host in a rolling deploy).
export { add, whoami } from './kernels.mjs';
