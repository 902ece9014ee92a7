// An in-memory ContainerLinks for unit tests; test/node-agent/containers/ runs one compliance
// suite against it and against IpContainerLinks in real namespaces.
import { FailedPreconditionError } from '../../common/errors.js';
import type { ContainerLinkSpec, ContainerLinks } from './container-links.js';

export class FakeContainerLinks implements ContainerLinks {
  /** Host side -> the spec it was created with. */
  readonly pairs = new Map<string, ContainerLinkSpec>();
  /** Interfaces that exist in a namespace without us ("netnsPath ifname"). */
  readonly foreign = new Set<string>();
  /** Namespace paths that exist; create() into any other one fails, as the kernel's would. */
  readonly namespaces = new Set<string>();
  /** Set to make the next create() fail after the pair exists (e.g. a refused route). */
  failNextCreate: string | undefined;

  hasInterface(netnsPath: string, ifname: string): Promise<boolean> {
    if (!this.namespaces.has(netnsPath)) return Promise.reject(new FailedPreconditionError(`cannot look into the namespace ${netnsPath}: no such namespace`));
    const ours = [...this.pairs.values()].some((s) => s.netnsPath === netnsPath && s.ifname === ifname);
    return Promise.resolve(ours || this.foreign.has(`${netnsPath} ${ifname}`));
  }

  async create(spec: ContainerLinkSpec): Promise<void> {
    if (!this.namespaces.has(spec.netnsPath)) throw new FailedPreconditionError(`cannot create the veth pair ${spec.hostInterface} / ${spec.ifname} in ${spec.netnsPath}: no such namespace`);
    if (this.pairs.has(spec.hostInterface) || (await this.hasInterface(spec.netnsPath, spec.ifname))) {
      throw new FailedPreconditionError(`cannot create the veth pair ${spec.hostInterface} / ${spec.ifname} in ${spec.netnsPath}: File exists`);
    }
    const failure = this.failNextCreate;
    this.failNextCreate = undefined;
    if (failure !== undefined) throw new FailedPreconditionError(failure);
    this.pairs.set(spec.hostInterface, spec);
  }

  remove(hostInterface: string): Promise<void> {
    this.pairs.delete(hostInterface);
    return Promise.resolve();
  }

  existing(hostInterfaces: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(hostInterfaces.filter((name) => this.pairs.has(name))));
  }

  /** What deleting a namespace does: the kernel removes the pairs that end in it. */
  deleteNamespace(netnsPath: string): void {
    this.namespaces.delete(netnsPath);
    for (const [host, spec] of this.pairs) if (spec.netnsPath === netnsPath) this.pairs.delete(host);
  }
}
