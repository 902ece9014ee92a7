// reserve, reservations, unreserve, quarantine and quarantine release: the subnets held back
// from the allocator, pinned to a name or cooling off after their node was removed.
import type { DeleteReservationResponse__Output } from '../../proto/gen/tunctl/v1/DeleteReservationResponse.js';
import type { ListQuarantinedSubnetsResponse__Output } from '../../proto/gen/tunctl/v1/ListQuarantinedSubnetsResponse.js';
import type { ListReservationsResponse__Output } from '../../proto/gen/tunctl/v1/ListReservationsResponse.js';
import type { ReleaseQuarantinedSubnetResponse__Output } from '../../proto/gen/tunctl/v1/ReleaseQuarantinedSubnetResponse.js';
import type { ReserveSubnetResponse__Output } from '../../proto/gen/tunctl/v1/ReserveSubnetResponse.js';
import { callAndPrint } from '../admin-client.js';
import { CONTROLLER_HELP, CONTROLLER_OPTION, OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { formatTable, timestampToRfc3339 } from '../output.js';

const time = (ts: { seconds: number; nanos: number } | null | undefined) => (ts ? timestampToRfc3339(ts) : '-');

export const reserve: Command = {
  name: 'reserve',
  summary: 'pin a subnet to a node name before add-node',
  positionals: ['NODE'],
  help: [
    'usage: tunctl reserve NODE [--subnet CIDR] [--controller ADDR] [-o table|json]',
    '',
    'Reserves a subnet for a node that is not added yet: `tunctl add-node NODE` then gets it, and',
    'nobody else ever does. The reservation stays after the node is added, so removing and adding',
    'the node again gives it the same subnet. `tunctl unreserve NODE` drops it.',
    '',
    '  --subnet CIDR      the subnet to pin (default: the one the allocator would pick now)',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { subnet: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [nodeName]) {
    return callAndPrint<ReserveSubnetResponse__Output>(values, 'ReserveSubnet', { nodeName, subnet: values.subnet ?? '' }, (res) => {
      const r = res.reservation!;
      return `subnet ${r.subnet} reserved for node ${r.nodeName}; \`tunctl add-node ${r.nodeName} --underlay-ip IP\` will assign it\n`;
    });
  },
};

export const reservations: Command = {
  name: 'reservations',
  summary: 'list subnet reservations',
  positionals: [],
  help: ['usage: tunctl reservations [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<ListReservationsResponse__Output>(values, 'ListReservations', {}, (res) =>
      formatTable(['NODE', 'SUBNET', 'CREATED', 'BY'], res.reservations.map((r) => [r.nodeName, r.subnet, time(r.createdAt), r.createdBy])),
    );
  },
};

export const unreserve: Command = {
  name: 'unreserve',
  summary: 'drop a node name\'s subnet reservation',
  positionals: ['NODE'],
  help: [
    'usage: tunctl unreserve NODE [--controller ADDR] [-o table|json]',
    '',
    'An added node keeps its subnet; the subnet of one not added returns to the pool (after the',
    'rest of its quarantine, if its node was removed recently).',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [nodeName]) {
    return callAndPrint<DeleteReservationResponse__Output>(values, 'DeleteReservation', { nodeName }, (res) =>
      `reservation of ${res.reservation!.subnet} for node ${res.reservation!.nodeName} deleted\n`,
    );
  },
};

export const quarantine: Command = {
  name: 'quarantine',
  summary: 'list subnets held back after their node was removed',
  positionals: [],
  help: [
    'usage: tunctl quarantine [--controller ADDR] [-o table|json]',
    '       tunctl quarantine release SUBNET [--controller ADDR] [-o table|json]',
    '',
    'A removed node\'s subnet is not handed to another node until AVAILABLE (the controller\'s',
    '--subnet-quarantine), so that stale routes to it die out first; adding the same node name',
    'again gets it back at once. `tunctl quarantine release SUBNET` ends a quarantine early.',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<ListQuarantinedSubnetsResponse__Output>(values, 'ListQuarantinedSubnets', {}, (res) =>
      formatTable(['SUBNET', 'PREVIOUS NODE', 'RELEASED', 'AVAILABLE'], res.subnets.map((q) => [q.subnet, q.previousNode, time(q.releasedAt), time(q.availableAt)])),
    );
  },
};

export const quarantineRelease: Command = {
  name: 'quarantine release',
  summary: 'end a subnet\'s quarantine now, making it available to any node',
  positionals: ['SUBNET'],
  help: [
    'usage: tunctl quarantine release SUBNET [--controller ADDR] [-o table|json]',
    '',
    '  SUBNET is a CIDR as `tunctl quarantine` lists it, e.g. 10.244.3.0/24',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [subnet]) {
    return callAndPrint<ReleaseQuarantinedSubnetResponse__Output>(values, 'ReleaseQuarantinedSubnet', { subnet }, (res) =>
      `subnet ${res.subnet!.subnet} released from quarantine (it was node ${res.subnet!.previousNode}'s); the allocator may hand it out now\n`,
    );
  },
};
