// A digest of a route table that does not depend on the order of its routes and moves by one
// addition or subtraction per route change. The controller sends the digest of its table
// with every route message; the agent compares it with its own after applying the message,
// and asks for a snapshot when they differ. Revisions alone cannot tell two histories apart:
// a controller restored from an older backup reuses revision numbers for other changes, and
// an agent that resumes from such a revision would otherwise hold a mixed table for good.
import { createHash } from 'node:crypto';
import type { Ipv4Cidr } from './cidr.js';

export interface DigestedRoute {
  readonly nodeName: string;
  readonly subnet: Ipv4Cidr;
  readonly underlayIp: number;
}

/** Two 32-bit lanes of the route's SHA-256: wide enough that a chance match does not happen. */
function routeLanes(route: DigestedRoute): [number, number] {
  const hash = createHash('sha256').update(`${route.nodeName}\n${route.subnet.base}/${route.subnet.prefixLen}\n${route.underlayIp}`).digest();
  return [hash.readUInt32BE(0), hash.readUInt32BE(4)];
}

export class RouteTableDigest {
  private high = 0;
  private low = 0;

  static of(routes: Iterable<DigestedRoute>): RouteTableDigest {
    const digest = new RouteTableDigest();
    for (const route of routes) digest.add(route);
    return digest;
  }

  add(route: DigestedRoute): void {
    const [h, l] = routeLanes(route);
    this.high = (this.high + h) >>> 0;
    this.low = (this.low + l) >>> 0;
  }

  remove(route: DigestedRoute): void {
    const [h, l] = routeLanes(route);
    this.high = (this.high - h) >>> 0;
    this.low = (this.low - l) >>> 0;
  }

  /** 16 hex digits; the same set of routes gives the same value in any order. */
  get value(): string {
    return this.high.toString(16).padStart(8, '0') + this.low.toString(16).padStart(8, '0');
  }
}
