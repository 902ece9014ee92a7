// create-join-token, list-join-tokens and apikey create|list|revoke: the credentials an
// admin hands out. Secrets are printed once, by the command that creates them.
import type { ApiKey__Output } from '../../proto/gen/tunctl/v1/ApiKey.js';
import type { CreateApiKeyResponse__Output } from '../../proto/gen/tunctl/v1/CreateApiKeyResponse.js';
import type { CreateJoinTokenResponse__Output } from '../../proto/gen/tunctl/v1/CreateJoinTokenResponse.js';
import type { JoinToken__Output } from '../../proto/gen/tunctl/v1/JoinToken.js';
import type { ListApiKeysResponse__Output } from '../../proto/gen/tunctl/v1/ListApiKeysResponse.js';
import type { ListJoinTokensResponse__Output } from '../../proto/gen/tunctl/v1/ListJoinTokensResponse.js';
import type { RevokeApiKeyResponse__Output } from '../../proto/gen/tunctl/v1/RevokeApiKeyResponse.js';
import type { RevokeJoinTokenResponse__Output } from '../../proto/gen/tunctl/v1/RevokeJoinTokenResponse.js';
import { MAX_API_KEY_TTL_SECONDS, MAX_JOIN_TOKEN_TTL_SECONDS } from '../../common/secrets.js';
import { callAndPrint } from '../admin-client.js';
import { CONTROLLER_HELP, CONTROLLER_OPTION, OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { durationFlag } from '../flags.js';
import { formatTable, timestampToRfc3339, UsageError } from '../output.js';

export const TTL_HELP = '  --ttl DURATION     how long the join token is valid: 90s, 30m, 24h, 7d (default 24h)';

/** What add-node and create-join-token print under the node line: the token, once, and what to do with it. */
export function joinTokenInstructions(token: JoinToken__Output): string {
  return [
    `join token for ${token.nodeName} (shown once, valid until ${token.expiresAt ? timestampToRfc3339(token.expiresAt) : '?'}, works once):`,
    `  ${token.token}`,
    `on ${token.nodeName}, run:`,
    `  TUNCTL_JOIN_TOKEN=${token.token} tunctl agent --controller <controller-host:port>`,
    '',
  ].join('\n');
}

const time = (ts: { seconds: number; nanos: number } | null | undefined, none = '-') => (ts ? timestampToRfc3339(ts) : none);

export const createJoinToken: Command = {
  name: 'create-join-token',
  summary: 'issue a fresh one-time join token for a node',
  positionals: ['NODE'],
  help: ['usage: tunctl create-join-token NODE [--ttl DURATION] [--controller ADDR] [-o table|json]', '', TTL_HELP, CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ttl: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [nodeName]) {
    const ttlSeconds = durationFlag('ttl', values.ttl, 0, MAX_JOIN_TOKEN_TTL_SECONDS);
    return callAndPrint<CreateJoinTokenResponse__Output>(values, 'CreateJoinToken', { nodeName, ttlSeconds }, (res) => joinTokenInstructions(res.joinToken!));
  },
};

function tokenState(token: JoinToken__Output, nowMs = Date.now()): string {
  if (token.usedAt) return `used ${time(token.usedAt)}`;
  if (token.expiresAt && token.expiresAt.seconds * 1000 <= nowMs) return 'expired';
  return 'unused';
}

export const listJoinTokens: Command = {
  name: 'list-join-tokens',
  summary: 'list join tokens (without their secrets)',
  positionals: [],
  help: ['usage: tunctl list-join-tokens [--node NODE] [--controller ADDR] [-o table|json]', '', '  --node NODE        only this node\'s tokens', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { node: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<ListJoinTokensResponse__Output>(values, 'ListJoinTokens', { nodeName: (values.node as string | undefined) ?? '' }, (res) =>
      formatTable(
        ['ID', 'NODE', 'STATE', 'EXPIRES', 'CREATED', 'BY'],
        res.joinTokens.map((t) => [`tj1.${t.id}`, t.nodeName, tokenState(t), time(t.expiresAt), time(t.createdAt), t.createdBy]),
      ),
    );
  },
};

export const revokeJoinToken: Command = {
  name: 'revoke-join-token',
  summary: 'make an unused join token expire now (e.g. one that leaked)',
  positionals: ['ID'],
  help: ['usage: tunctl revoke-join-token ID [--controller ADDR] [-o table|json]', '', '  ID is tj1.<id> as `tunctl list-join-tokens` shows it', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [id]) {
    return callAndPrint<RevokeJoinTokenResponse__Output>(values, 'RevokeJoinToken', { id }, (res) => {
      const token = res.joinToken!;
      const note = token.usedAt ? ` (it was already used at ${time(token.usedAt)}; to cut the node off, remove it)` : '';
      return `join token tj1.${token.id} for ${token.nodeName} expired at ${time(token.expiresAt)}${note}\n`;
    });
  },
};

function keyState(key: ApiKey__Output, nowMs = Date.now()): string {
  if (key.revokedAt) return `revoked ${time(key.revokedAt)}`;
  if (key.expiresAt && key.expiresAt.seconds * 1000 <= nowMs) return 'expired';
  return 'active';
}

function scopeName(scope: string): string {
  return scope === 'API_KEY_SCOPE_ADMIN' ? 'admin' : scope === 'API_KEY_SCOPE_READ' ? 'read' : scope;
}

export const apikeyCreate: Command = {
  name: 'apikey create',
  summary: 'create an API key for admin calls over the network (shown once)',
  positionals: [],
  help: [
    'usage: tunctl apikey create --scope read|admin [--expires DURATION] [--description TEXT] [--controller ADDR] [-o table|json]',
    '',
    '  --scope read|admin     read: nodes, routes, network, audit log; admin: everything,',
    '                         including tokens and keys (required)',
    '  --expires DURATION     lifetime: 30m, 24h, 90d (default: never expires)',
    '  --description TEXT     what the key is for, shown in `tunctl apikey list`',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { scope: { type: 'string' }, expires: { type: 'string' }, description: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    if (values.scope !== 'read' && values.scope !== 'admin') throw new UsageError('--scope must be "read" or "admin"');
    const ttlSeconds = durationFlag('expires', values.expires, 0, MAX_API_KEY_TTL_SECONDS);
    const request = {
      scope: values.scope === 'admin' ? 'API_KEY_SCOPE_ADMIN' : 'API_KEY_SCOPE_READ',
      ttlSeconds,
      description: (values.description as string | undefined) ?? '',
    };
    return callAndPrint<CreateApiKeyResponse__Output>(values, 'CreateApiKey', request, (res) => {
      const key = res.apiKey!;
      return [
        `API key tk1.${key.id} (scope ${scopeName(key.scope)}, ${key.expiresAt ? `expires ${time(key.expiresAt)}` : 'never expires'}); shown once:`,
        `  ${key.key}`,
        'use it from another host with:',
        `  TUNCTL_API_KEY=${key.key} tunctl list-nodes --controller <controller-host:port>`,
        '',
      ].join('\n');
    });
  },
};

export const apikeyList: Command = {
  name: 'apikey list',
  summary: 'list API keys (without their secrets)',
  positionals: [],
  help: ['usage: tunctl apikey list [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<ListApiKeysResponse__Output>(values, 'ListApiKeys', {}, (res) =>
      formatTable(
        ['ID', 'SCOPE', 'STATE', 'EXPIRES', 'CREATED', 'BY', 'DESCRIPTION'],
        res.apiKeys.map((k) => [`tk1.${k.id}`, scopeName(k.scope), keyState(k), time(k.expiresAt, 'never'), time(k.createdAt), k.createdBy, k.description]),
      ),
    );
  },
};

export const apikeyRevoke: Command = {
  name: 'apikey revoke',
  summary: 'revoke an API key at once',
  positionals: ['ID'],
  help: ['usage: tunctl apikey revoke ID [--controller ADDR] [-o table|json]', '', '  ID is tk1.<id> as `tunctl apikey list` shows it', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [id]) {
    return callAndPrint<RevokeApiKeyResponse__Output>(values, 'RevokeApiKey', { id }, (res) => `API key tk1.${res.apiKey!.id} revoked at ${time(res.apiKey!.revokedAt)}\n`);
  },
};
