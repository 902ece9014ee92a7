// Subnet allocation as pure functions: (config, taken) -> lowest free subnet | "exhausted".
// The store runs them inside its write transaction; nothing here touches I/O.
import { cidrLast, cidrSize, formatCidr, prefixMask, type Ipv4Cidr } from '../common/cidr.js';
import { InvalidArgumentError } from '../common/errors.js';
import type { NetworkConfig } from './store/store.js';

export type Allocation = Ipv4Cidr | 'exhausted';

export interface AllocateOptions {
  /** The caller promises `taken` is ascending by base (e.g. read through the UNIQUE index), so it is streamed, not copied and sorted. */
  readonly sorted?: boolean;
}

/** Number of subnets between subnetMin and subnetMax inclusive. */
export function poolSize(config: NetworkConfig): number {
  return (config.subnetMax.base - config.subnetMin.base) / cidrSize({ base: 0, prefixLen: config.subnetLen }) + 1;
}

/**
 * The lowest subnet in [subnetMin, subnetMax] that overlaps no taken block, or "exhausted".
 * Walks the taken blocks in address order and stops at the first gap, so the cost is
 * O(taken before the gap), never O(pool): a /30 pool of a /8 (4M subnets) costs nothing extra.
 * Taken blocks of any prefix length are honoured (a wider block covers several subnets).
 */
export function lowestFreeSubnet(config: NetworkConfig, taken: Iterable<Ipv4Cidr>, options: AllocateOptions = {}): Allocation {
  const step = 2 ** (32 - config.subnetLen);
  const max = config.subnetMax.base;
  let candidate = config.subnetMin.base;
  const ordered = options.sorted === true ? taken : [...taken].sort((a, b) => a.base - b.base);
  let previous = -1;
  for (const block of ordered) {
    if (block.base < previous) {
      // A broken sorted promise could hand out a taken subnet; refuse what we can see of it.
      throw new Error(`lowestFreeSubnet: taken list is not sorted (${formatCidr(block)} after base ${previous})`);
    }
    previous = block.base;
    if (candidate > max) break;
    const end = block.base + cidrSize(block) - 1;
    if (end < candidate) continue;
    if (block.base > candidate + step - 1) break;
    // The block overlaps the candidate: the next candidate is the first aligned subnet after it.
    candidate = Math.ceil((end + 1) / step) * step;
  }
  return candidate <= max ? { base: candidate, prefixLen: config.subnetLen } : 'exhausted';
}

/** Whether the pool of `config` could hand out `subnet` (what validateRequestedSubnet checks, as a yes/no). */
export function subnetFitsPool(config: NetworkConfig, subnet: Ipv4Cidr): boolean {
  return (
    subnet.prefixLen === config.subnetLen &&
    subnet.base % cidrSize(subnet) === 0 &&
    subnet.base >= config.subnetMin.base &&
    subnet.base <= config.subnetMax.base
  );
}

/**
 * Checks that `subnet` is one the pool could hand out (right length, aligned, inside the
 * network and inside subnetMin..subnetMax); returns it or throws InvalidArgumentError.
 * Whether it is free is the store's question.
 */
export function validateRequestedSubnet(config: NetworkConfig, subnet: Ipv4Cidr): Ipv4Cidr {
  const { base, prefixLen } = subnet;
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) {
    throw new InvalidArgumentError(`subnet prefix length ${String(prefixLen)} is invalid (expected /${config.subnetLen})`);
  }
  if (!Number.isInteger(base) || base < 0 || base > 0xffffffff) {
    throw new InvalidArgumentError(`subnet base address ${String(base)} is not an IPv4 address`);
  }
  const masked = (base & prefixMask(prefixLen)) >>> 0;
  if (masked !== base) {
    throw new InvalidArgumentError(
      `subnet ${formatCidr(subnet)} has host bits set; did you mean ${formatCidr({ base: masked, prefixLen })}?`,
    );
  }
  const network = formatCidr(config.network);
  if (prefixLen !== config.subnetLen) {
    const hint = ((base & prefixMask(config.subnetLen)) >>> 0);
    throw new InvalidArgumentError(
      `subnet ${formatCidr(subnet)} has prefix length /${prefixLen}, but network ${network} hands out /${config.subnetLen} subnets` +
        ` (e.g. ${formatCidr({ base: hint, prefixLen: config.subnetLen })})`,
    );
  }
  if (!(base >= config.network.base && cidrLast(subnet) <= cidrLast(config.network))) {
    throw new InvalidArgumentError(`subnet ${formatCidr(subnet)} is outside the network ${network}`);
  }
  if (base < config.subnetMin.base || base > config.subnetMax.base) {
    throw new InvalidArgumentError(
      `subnet ${formatCidr(subnet)} is outside the allocatable range ${formatCidr(config.subnetMin)} - ${formatCidr(config.subnetMax)}` +
        ` (the controller's --subnet-min/--subnet-max)`,
    );
  }
  return subnet;
}
