// The shape of a scan request, checked field by field so a bad one gets a 400 that names
// the field.
import { invalidField } from "../_shared/http.ts";
import { uuidPattern } from "../_shared/ids.ts";

export interface ScanRequest {
  code: string;
  eventId: string;
  deviceId: string;
}

/** Bodies larger than this are refused before parsing; a scan is under 300 bytes. */
export const maxScanBodyBytes = 2048;
/** Longer than any code format, so the core, not this check, judges what is inside. */
const maxCodeLength = 512;
const devicePattern = /^[A-Za-z0-9._:-]{1,64}$/;

export function parseScanRequest(body: Record<string, unknown>): ScanRequest {
  const { code, event_id, device_id } = body;
  if (typeof code !== "string" || code.length === 0 || code.length > maxCodeLength) {
    throw invalidField("code", `code must be a string of 1 to ${maxCodeLength} characters`);
  }
  if (typeof event_id !== "string" || !uuidPattern.test(event_id)) {
    throw invalidField("event_id", "event_id must be a UUID");
  }
  if (typeof device_id !== "string" || !devicePattern.test(device_id)) {
    throw invalidField("device_id", "device_id must be 1 to 64 characters of letters, digits, '.', '_', ':' or '-'");
  }
  return { code, eventId: event_id.toLowerCase(), deviceId: device_id };
}
