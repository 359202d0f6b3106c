// A fake of Expo's push API: POST /--/api/v2/push/send with a JSON array of messages,
// answering one ticket per message. A token containing "DeviceNotRegistered" gets the
// per-message error Expo gives for an uninstalled app.
import { failureResponse, type Fake, type Recorded, startFake } from "./fake.ts";

export function startFakePush(port = 0): Fake {
  return startFake(port, (req: Recorded, failure) => {
    if (failure) return failureResponse(failure);
    if (req.method !== "POST" || req.path !== "/--/api/v2/push/send") {
      return Response.json({ errors: [{ code: "NOT_FOUND", message: "Not found" }] }, { status: 404 });
    }
    let messages: { to?: unknown }[];
    try {
      messages = JSON.parse(req.body);
      if (!Array.isArray(messages)) throw new Error("not an array");
    } catch {
      return Response.json({ errors: [{ code: "VALIDATION_ERROR", message: "body must be a JSON array" }] }, {
        status: 400,
      });
    }
    return Response.json({
      data: messages.map((m) =>
        String(m.to).includes("DeviceNotRegistered")
          ? {
            status: "error",
            message: `"${m.to}" is not a registered push notification recipient`,
            details: { error: "DeviceNotRegistered" },
          }
          : { status: "ok", id: crypto.randomUUID() }
      ),
    });
  });
}
