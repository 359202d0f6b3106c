/** Whole numbers with the viewer's grouping. */
export const count = (n: number) => n.toLocaleString("en-GB");

/** Cents in the event's currency, e.g. "€1,234.50". */
export function money(cents: number, currency: string): string {
  try {
    return (cents / 100).toLocaleString("en-GB", { style: "currency", currency: currency.toUpperCase() });
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export const percent = (part: number, whole: number) => whole > 0 ? `${Math.round((part / whole) * 1000) / 10} %` : "–";
