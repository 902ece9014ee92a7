// tunctl audit: who changed what, when, and how it ended.
import type { ListAuditEventsResponse__Output } from '../../proto/gen/tunctl/v1/ListAuditEventsResponse.js';
import { callAndPrint } from '../admin-client.js';
import { CONTROLLER_HELP, CONTROLLER_OPTION, OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { durationFlag, intFlag } from '../flags.js';
import { formatTable, timestampToRfc3339, UsageError } from '../output.js';

/** --since: a duration back from now (1h, 7d) or an RFC 3339 time. */
export function parseSince(value: string | undefined, nowMs = Date.now()): Date | null {
  if (value === undefined) return null;
  if (/^[0-9]+[smhd]?$/.test(value)) return new Date(nowMs - durationFlag('since', value, 0, 3650 * 86400) * 1000);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new UsageError(`--since must be a duration like 1h or 7d, or a time like 2026-11-25T10:00:00Z; not "${value}"`);
  return new Date(ms);
}

export const audit: Command = {
  name: 'audit',
  summary: 'show the audit log: changes, joins, credentials, refusals',
  positionals: [],
  help: [
    'usage: tunctl audit [--since DURATION|TIME] [--limit N] [--controller ADDR] [-o table|json]',
    '',
    '  --since DURATION|TIME  only events since then: 1h, 7d, or 2026-11-25T10:00:00Z',
    '  --limit N              newest N events (default 1000)',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { since: { type: 'string' }, limit: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    const since = parseSince(values.since as string | undefined);
    const limit = intFlag('limit', values.limit, 1000, 1, 100_000);
    const ms = since?.getTime();
    const request = { since: ms === undefined ? null : { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 }, limit };
    return callAndPrint<ListAuditEventsResponse__Output>(values, 'ListAuditEvents', request, (res) =>
      // Oldest first reads like a log; the server returns newest first.
      formatTable(
        ['TIME', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'DETAIL'],
        [...res.events].reverse().map((e) => [e.at ? timestampToRfc3339(e.at) : '-', e.actor, e.action, e.target || '-', e.outcome, e.detail]),
      ),
    );
  },
};
