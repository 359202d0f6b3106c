// Prints a new `kid:key` entry for QR_SIGNING_KEYS, from the platform's CSPRNG:
//   deno run tools/generate-qr-key.ts k2027
// See docs/qr-format.md for how to rotate keys with it.
import { generateQrKey } from "../edge-functions/_shared/wasm.ts";

const kid = Deno.args[0];
if (!kid) {
  console.error("usage: generate-qr-key.ts <key id: 1-16 of A-Z a-z 0-9 _ ->");
  Deno.exit(2);
}
console.log(generateQrKey(kid));
