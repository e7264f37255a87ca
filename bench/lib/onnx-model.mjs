// Minimal ONNX ModelProto writer (protobuf by hand) for one-node MatMul / Conv graphs, so bench/ops.mjs can
// time onnxruntime-web without the python onnx package. From ../shared/anchors/numeric/onnx.mjs.
const enc = new TextEncoder();
function varint(n) {
  const o = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    o.push(b);
  } while (v);
  return o;
}
const key = (f, wt) => varint((f << 3) | wt);
const cat = (...parts) => {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const u = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    u.set(p, o);
    o += p.length;
  }
  return u;
};
const fInt = (f, n) => new Uint8Array([...key(f, 0), ...varint(n)]);
const fBytes = (f, b) => cat(new Uint8Array([...key(f, 2), ...varint(b.length)]), b);
const fStr = (f, s) => fBytes(f, enc.encode(s));
// elem types: 1 FLOAT, 11 DOUBLE
function valueInfo(name, elem, dims) {
  const shape = cat(...dims.map((d) => fBytes(1, fInt(1, d))));
  const tensorType = cat(fInt(1, elem), fBytes(2, shape));
  return cat(fStr(1, name), fBytes(2, fBytes(1, tensorType)));
}
function tensor(name, elem, dims, typed) {
  return cat(...dims.map((d) => fInt(1, d)), fInt(2, elem), fStr(8, name), fBytes(9, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)));
}
function attrInts(name, ints) {
  return cat(fStr(1, name), ...ints.map((i) => fInt(8, i)), fInt(20, 7));
}
function node(op, inputs, outputs, attrs = []) {
  return cat(...inputs.map((s) => fStr(1, s)), ...outputs.map((s) => fStr(2, s)), fStr(3, op + '0'), fStr(4, op), ...attrs.map((a) => fBytes(5, a)));
}
function model(graphParts) {
  const graph = cat(...graphParts);
  return cat(fInt(1, 8), fStr(2, 'numeric-anchors'), fBytes(7, graph), fBytes(8, cat(fStr(1, ''), fInt(2, 17))));
}
export function matmulModel(n, elem) {
  return model([
    fBytes(1, node('MatMul', ['A', 'B'], ['C'])),
    fStr(2, 'mm'),
    fBytes(11, valueInfo('A', elem, [n, n])),
    fBytes(11, valueInfo('B', elem, [n, n])),
    fBytes(12, valueInfo('C', elem, [n, n])),
  ]);
}
// NCHW input X [1,cin,h,w]; weight W [cout,cin,3,3] as an initializer (constant, so it can be prepacked)
export function convModel(cin, cout, h, w, weights) {
  return model([
    fBytes(1, node('Conv', ['X', 'W'], ['Y'], [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])])),
    fStr(2, 'conv'),
    fBytes(5, tensor('W', 1, [cout, cin, 3, 3], weights)),
    fBytes(11, valueInfo('X', 1, [1, cin, h, w])),
    fBytes(12, valueInfo('Y', 1, [1, cout, h, w])),
  ]);
}
