// Prints the gzip size (level 9, as a server would send it) of every JS, CSS and wasm file
// the build wrote to dist/, and their total.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|css|wasm)$/.test(name)) files.push(path);
  }
};
walk(dist);
let raw = 0, gz = 0;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const path of files.sort()) {
  const bytes = readFileSync(path);
  const z = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += z;
  console.log(`${relative(dist, path).padEnd(44)} ${kb(bytes.length).padStart(10)} ${kb(z).padStart(10)} gzip`);
}
console.log(`${"total (js + css + wasm)".padEnd(44)} ${kb(raw).padStart(10)} ${kb(gz).padStart(10)} gzip`);
