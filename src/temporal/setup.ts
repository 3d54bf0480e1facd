/**
 * `npm run setup:temporal`: registers the search attributes the app queries (RequestedBy, Stage,
 * CostUsd, Channel, ChannelVisibility, PayloadKey) in the configured namespace of any Temporal server (self-hosted or Cloud-like
 * API access permitting). Idempotent: attributes already there are left alone, and it says which
 * it added, which it found, and which exist with another type.
 */
import type { Connection } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes.js';

// A CommonJS module: its namespaces come through the default export under ESM.
const Type = proto.temporal.api.enums.v1.IndexedValueType;
const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Text: Type.INDEXED_VALUE_TYPE_TEXT,
  Keyword: Type.INDEXED_VALUE_TYPE_KEYWORD,
  Double: Type.INDEXED_VALUE_TYPE_DOUBLE,
  Int: Type.INDEXED_VALUE_TYPE_INT,
  Bool: Type.INDEXED_VALUE_TYPE_BOOL,
  Datetime: Type.INDEXED_VALUE_TYPE_DATETIME,
};

export interface SetupReport {
  added: string[];
  existing: string[];
  /** Present with another type: queries on them would fail; fix by hand. */
  conflicting: Array<{ name: string; want: string; have: string }>;
}

export async function registerSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<SetupReport> {
  const wanted = SEARCH_ATTRIBUTE_FLAGS.map((flag) => {
    const [name, type] = flag.split('=') as [string, string];
    return { name, type, value: TYPES[type]! };
  });
  const current = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Map<string, number>(Object.entries(current.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  const report: SetupReport = { added: [], existing: [], conflicting: [] };
  const toAdd: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const attribute of wanted) {
    const existing = have.get(attribute.name);
    if (existing === undefined) {
      toAdd[attribute.name] = attribute.value;
      report.added.push(`${attribute.name} (${attribute.type})`);
    } else if (existing === attribute.value) {
      report.existing.push(`${attribute.name} (${attribute.type})`);
    } else {
      const haveName = Object.entries(TYPES).find(([, value]) => value === existing)?.[0] ?? String(existing);
      report.conflicting.push({ name: attribute.name, want: attribute.type, have: haveName });
    }
  }
  if (Object.keys(toAdd).length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: toAdd });
  return report;
}

export function describeReport(report: SetupReport, namespace: string): string {
  const lines = [
    ...(report.added.length ? [`Added to namespace "${namespace}": ${report.added.join(', ')}.`] : []),
    ...(report.existing.length ? [`Already registered: ${report.existing.join(', ')}.`] : []),
    ...report.conflicting.map((c) => `✗ ${c.name} exists as ${c.have}, the app needs ${c.want}: remove it (temporal operator search-attribute remove --name ${c.name}) and run this again.`),
  ];
  return lines.join('\n');
}
