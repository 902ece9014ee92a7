// IPv4 addresses and CIDR blocks as plain numbers: an address is an unsigned 32-bit
// integer, so masking and comparison are cheap and allocation-free on the hot path.
import { InvalidArgumentError, quoted } from './errors.js';

export interface Ipv4Cidr {
  /** Network address, host bits zero, as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefixLen: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses dotted-quad IPv4 ("10.0.0.1"); rejects anything else, including leading zeros. */
export function parseIpv4(text: string, what = 'IPv4 address'): number {
  const parts = typeof text === 'string' ? text.split('.') : [];
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p) && Number(p) <= 255)) {
    throw new InvalidArgumentError(`${what} ${quoted(text)} is not a valid IPv4 address (expected four numbers 0-255, like 192.168.1.10)`);
  }
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

export function isIpv4(text: string): boolean {
  try {
    parseIpv4(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Netmask for a prefix length as an unsigned 32-bit integer (0 for /0). */
export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Parses "a.b.c.d/n"; host bits must be zero so that a typo is not silently widened. */
export function parseCidr(text: string, what = 'CIDR'): Ipv4Cidr {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  if (slash < 0) {
    throw new InvalidArgumentError(`${what} ${quoted(text)} is not a CIDR block (expected address/prefix, like 10.244.0.0/16)`);
  }
  const ip = parseIpv4(text.slice(0, slash), what);
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]?)$/.test(lenText) || Number(lenText) > 32) {
    throw new InvalidArgumentError(`${what} ${quoted(text)} has an invalid prefix length ${quoted(lenText)} (expected 0-32)`);
  }
  const prefixLen = Number(lenText);
  const base = (ip & prefixMask(prefixLen)) >>> 0;
  if (base !== ip) {
    throw new InvalidArgumentError(
      `${what} ${quoted(text)} has host bits set; did you mean ${formatCidr({ base, prefixLen })}?`,
    );
  }
  return { base, prefixLen };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefixLen}`;
}

export function cidrContainsIp(cidr: Ipv4Cidr, ip: number): boolean {
  return ((ip & prefixMask(cidr.prefixLen)) >>> 0) === cidr.base;
}

/** True when `inner` lies entirely inside `outer` (equal blocks count). */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefixLen >= outer.prefixLen && cidrContainsIp(outer, inner.base);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** Number of addresses in the block (2^(32-len)), exact as a JS number. */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLen);
}

/** Last address of the block. */
export function cidrLast(cidr: Ipv4Cidr): number {
  return (cidr.base + cidrSize(cidr) - 1) >>> 0;
}
