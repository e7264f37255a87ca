// The task of the AsyncResult tutorial's examples: draw a random value, report
// it, block for that many seconds, return it (or fail after blocking).
import { log, sleep } from "../lib";

export function task(identifier: i32): f64 {
  const value = Math.random();
  log("Task " + identifier.toString() + " executing with " + value.toString());
  sleep(value * 1000);
  return value;
}

export function taskWithValue(identifier: i32, value: f64): f64 {
  log("Task " + identifier.toString() + " executing with " + value.toString());
  sleep(value * 1000);
  return value;
}

export function failingTask(identifier: i32): f64 {
  const value = Math.random();
  log("Task " + identifier.toString() + " executing with " + value.toString());
  sleep(value * 1000);
  throw new Error("Something bad happened");
}
