// The agent's container address leases on disk (containers.json in the state dir). Every
// change is written crash-safely (temporary file, fsync, rename) before the change is made
// on the host, so after a crash a lease may outlive its veth (cleaned up later), but no
// address is ever handed out twice.
import { readFileSync } from 'node:fs';
import { formatIpv4, parseIpv4 } from '../../common/cidr.js';
import { writeFileAtomicSync } from '../../common/atomic-file.js';
import { errorMessage, FailedPreconditionError } from '../../common/errors.js';

export interface ContainerLease {
  /** The namespace as the operator named it: a name under /run/netns, or an absolute path. */
  readonly netns: string;
  /** "device:inode" of the namespace when it was attached: one namespace, however it is named. */
  readonly netnsId: string;
  /** The interface inside the container. */
  readonly ifname: string;
  readonly address: number;
  readonly prefixLen: number;
  /** The host side of the veth pair. */
  readonly hostInterface: string;
  /** A runtime's container id (CNI), or ''. */
  readonly containerId: string;
  /** ms since the epoch. */
  readonly attachedAt: number;
}

interface StoredLease {
  netns: string;
  netnsId: string;
  ifname: string;
  address: string;
  prefixLen: number;
  hostInterface: string;
  containerId: string;
  attachedAt: string;
}

const FORMAT_VERSION = 1;

/** The leases in `file`; none when it does not exist. A file that cannot be read refuses loudly. */
export function loadLeases(file: string): ContainerLease[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FailedPreconditionError(`cannot read the container leases ${file} (${errorMessage(err)}); they decide which addresses are free, so fix the file or move it away`);
  }
  try {
    const parsed = JSON.parse(text) as { version?: unknown; leases?: unknown };
    if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.leases)) throw new Error(`expected {"version": ${FORMAT_VERSION}, "leases": [...]}`);
    const leases = (parsed.leases as StoredLease[]).map(fromStored);
    const seen = new Map<number, string>();
    for (const lease of leases) {
      const other = seen.get(lease.address);
      if (other !== undefined) throw new Error(`${formatIpv4(lease.address)} is leased twice, to ${other} and ${lease.netns}`);
      seen.set(lease.address, lease.netns);
    }
    return leases;
  } catch (err) {
    // Guessing here could hand one address to two containers: the operator decides.
    throw new FailedPreconditionError(
      `the container leases ${file} are unreadable (${errorMessage(err)}); they decide which addresses are free, so fix the file or move it away ` +
        '(then detach and re-attach the containers on this host)',
    );
  }
}

export function saveLeases(file: string, leases: readonly ContainerLease[]): void {
  const stored = { version: FORMAT_VERSION, leases: leases.map(toStored) };
  writeFileAtomicSync(file, JSON.stringify(stored, null, 2) + '\n', 0o600);
}

function toStored(lease: ContainerLease): StoredLease {
  return {
    netns: lease.netns,
    netnsId: lease.netnsId,
    ifname: lease.ifname,
    address: formatIpv4(lease.address),
    prefixLen: lease.prefixLen,
    hostInterface: lease.hostInterface,
    containerId: lease.containerId,
    attachedAt: new Date(lease.attachedAt).toISOString(),
  };
}

function fromStored(s: StoredLease): ContainerLease {
  const text = (v: unknown, what: string): string => {
    if (typeof v !== 'string') throw new Error(`a lease has no ${what}`);
    return v;
  };
  const attachedAt = Date.parse(text(s.attachedAt, 'attachedAt'));
  if (!Number.isFinite(attachedAt)) throw new Error(`a lease has a bad attachedAt "${s.attachedAt}"`);
  if (!Number.isInteger(s.prefixLen) || s.prefixLen < 0 || s.prefixLen > 32) throw new Error(`a lease has a bad prefixLen ${String(s.prefixLen)}`);
  return {
    netns: text(s.netns, 'netns'),
    netnsId: text(s.netnsId, 'netnsId'),
    ifname: text(s.ifname, 'ifname'),
    address: parseIpv4(text(s.address, 'address')),
    prefixLen: s.prefixLen,
    hostInterface: text(s.hostInterface, 'hostInterface'),
    containerId: typeof s.containerId === 'string' ? s.containerId : '',
    attachedAt,
  };
}
