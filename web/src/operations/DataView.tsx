// Panel data drawn generically but neatly: a list of rows becomes a table, an object of
// scalars a list of figures, an object of objects a table with a row per key. The panels'
// exact columns are the SQL functions' (supabase/migrations/…_operations.sql), so a column
// added there shows here without a change.
import type { ReactNode } from "react";
import { clock } from "../app/time.ts";

type Row = Record<string, unknown>;
const isRow = (v: unknown): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
const instant = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

export const label = (key: string) => key.replace(/_/g, " ");

/** One value as text: instants as clock times, seconds as durations, the rest as they are. */
export function cell(key: string, v: unknown): ReactNode {
  if (v === null || v === undefined) return <span className="muted">–</span>;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") {
    if (key.endsWith("_seconds")) return duration(v);
    if (key.endsWith("_ms")) return `${v.toLocaleString("en-GB")} ms`;
    return v.toLocaleString("en-GB");
  }
  if (typeof v === "string" && instant.test(v) && !Number.isNaN(Date.parse(v))) {
    return <time dateTime={v} title={v}>{clock(v)}</time>;
  }
  if (typeof v === "string") return v;
  return <code>{JSON.stringify(v)}</code>;
}

function duration(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/**
 * The rows' columns, in an order that reads well whatever order the keys came in (jsonb
 * sorts them by length): the id, then the names (text), the counts, and the times last.
 */
export function columnsOf(rows: Row[]): string[] {
  const rank = (key: string) => {
    const v = rows.find((r) => r[key] !== null && r[key] !== undefined)?.[key];
    if (key === "id") return 0;
    if (typeof v === "string" && instant.test(v)) return 4;
    if (typeof v === "number" || typeof v === "boolean") return 2;
    return v === undefined ? 3 : 1;
  };
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return keys.map((k, i) => ({ k, r: rank(k), i })).sort((a, b) => a.r - b.r || a.i - b.i).map((c) => c.k);
}

export function Table({ rows, testId, extra }: {
  rows: Row[];
  testId?: string;
  /** A last column of actions, per row. */
  extra?: { title: string; render: (row: Row) => ReactNode };
}) {
  if (rows.length === 0) return <p className="muted" data-testid={testId}>None.</p>;
  const columns = columnsOf(rows);
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => <th key={c}>{label(c)}</th>)}
            {extra && <th>{extra.title}</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} className={typeof r[c] === "number" ? "num" : undefined}>{cell(c, r[c])}</td>
              ))}
              {extra && <td>{extra.render(r)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Any JSON value of a panel's data, under `name`. */
export function DataView({ name, value }: { name: string; value: unknown }): ReactNode {
  const testId = `panel-${name}`;
  if (Array.isArray(value)) {
    if (value.every(isRow)) return <Table rows={value} testId={testId} />;
    return <p data-testid={testId}>{value.map((v) => String(v)).join(", ")}</p>;
  }
  if (isRow(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, v]) => isRow(v) && Object.values(v).every(isScalar))) {
      return <Table rows={entries.map(([k, v]) => ({ [name]: k, ...(v as Row) }))} testId={testId} />;
    }
    if (entries.every(([, v]) => isScalar(v))) {
      return (
        <dl className="figures compact" data-testid={testId}>
          {entries.map(([k, v]) => (
            <div key={k}>
              <dt>{label(k)}</dt>
              <dd>{cell(k, v)}</dd>
            </div>
          ))}
        </dl>
      );
    }
    return (
      <div data-testid={testId}>
        {entries.map(([k, v]) => <Section key={k} name={k} value={v} />)}
      </div>
    );
  }
  return <span data-testid={testId}>{cell(name, value)}</span>;
}

export function Section({ name, value }: { name: string; value: unknown }) {
  if (isScalar(value)) {
    return (
      <p className="kv">
        <span>{label(name)}</span> <strong>{cell(name, value)}</strong>
      </p>
    );
  }
  return (
    <div className="section">
      <h3>{label(name)}</h3>
      <DataView name={name} value={value} />
    </div>
  );
}
