import { type EmailData, emailFields, type RangeName } from "../api/queries.ts";
import { useEmailDelivery } from "../hooks/useAnalytics.ts";
import { count, percent } from "./format.ts";
import { WidgetFrame } from "./WidgetFrame.tsx";

export function EmailDelivery({ eventId, range }: { eventId: string; range: RangeName }) {
  return (
    <WidgetFrame id="email" title="E-mail delivery" result={useEmailDelivery(eventId, range)}>
      {(data) => <Delivery data={data} />}
    </WidgetFrame>
  );
}

function Delivery({ data }: { data: EmailData }) {
  const settled = data.delivered + data.bounced + data.complained + data.failed;
  return (
    <>
      <p className="headline">
        <strong data-testid="email-rate">{percent(data.delivered, settled)}</strong> delivered
      </p>
      <dl className="figures compact">
        {emailFields.map((f) => (
          <div key={f}>
            <dt>{f}</dt>
            <dd data-testid={`email-${f}`}>{count(data[f])}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}
