// The app's task module, in TypeScript: compiled by the app's bundler as part of its worker script.
export function scale(values: readonly number[], factor: number): number[] {
  return values.map((value) => value * factor);
}

export function label(name: string, count: number): string {
  return `${name}: ${count}`;
}
