// Hexadecimal digits to bytes, for tests and benchmarks that lay out MAC inputs by hand.

export function decode(hex: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(hex.match(/../g) ?? [], (x) => parseInt(x, 16));
}
