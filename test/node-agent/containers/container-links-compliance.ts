// One suite for every ContainerLinks: FakeContainerLinks in process, IpContainerLinks in a
// child process inside a throwaway host namespace, with throwaway container namespaces.
import assert from 'node:assert/strict';
import { FailedPreconditionError } from '../../../common/errors.js';
import { parseIpv4 } from '../../../common/cidr.js';
import type { ContainerLinkSpec, ContainerLinks } from '../../../node-agent/containers/container-links.js';
import type { ComplianceCase } from '../tun/tun-compliance.js';

export interface ContainerLinksHarness {
  readonly links: ContainerLinks;
  /** A fresh, empty network namespace; its path. */
  newNamespace(): Promise<string>;
  /** Deletes a namespace from newNamespace, as a runtime does when a container ends. */
  deleteNamespace(path: string): Promise<void>;
  /** Makes an interface called `ifname` exist in the namespace, created by someone else. */
  addForeignInterface(path: string, ifname: string): Promise<void>;
  dispose(): Promise<void>;
}

function spec(netnsPath: string, hostInterface: string, last: number, ifname = 'eth0'): ContainerLinkSpec {
  return { netnsPath, ifname, hostInterface, address: parseIpv4(`10.98.0.${last}`), prefixLen: 24, gateway: parseIpv4('10.98.0.1'), mtu: 1400 };
}

export const containerLinksComplianceCases: ReadonlyArray<ComplianceCase<ContainerLinksHarness>> = [
  {
    name: 'create makes both ends, remove takes both away, and removing again is fine',
    async run(h) {
      const ns = await h.newNamespace();
      assert.equal((await h.links.existing(['tcc1'])).has('tcc1'), false);
      assert.equal(await h.links.hasInterface(ns, 'eth0'), false);
      await h.links.create(spec(ns, 'tcc1', 2));
      assert.equal((await h.links.existing(['tcc1'])).has('tcc1'), true);
      assert.equal(await h.links.hasInterface(ns, 'eth0'), true);
      await h.links.remove('tcc1');
      assert.equal((await h.links.existing(['tcc1'])).has('tcc1'), false);
      assert.equal(await h.links.hasInterface(ns, 'eth0'), false, 'the container end went with the host end');
      await h.links.remove('tcc1');
    },
  },
  {
    name: 'existing names only the pairs that exist, in one look',
    async run(h) {
      const ns = await h.newNamespace();
      assert.deepEqual(await h.links.existing([]), new Set());
      await h.links.create(spec(ns, 'tcc5', 6));
      assert.deepEqual(await h.links.existing(['tcc5', 'tcc6', 'lo0x']), new Set(['tcc5']));
      await h.links.remove('tcc5');
      assert.deepEqual(await h.links.existing(['tcc5']), new Set());
    },
  },
  {
    name: 'a taken interface name in the namespace is refused and leaves nothing behind',
    async run(h) {
      const ns = await h.newNamespace();
      await h.addForeignInterface(ns, 'eth1');
      await assert.rejects(h.links.create(spec(ns, 'tcc2', 3, 'eth1')), FailedPreconditionError);
      assert.equal((await h.links.existing(['tcc2'])).has('tcc2'), false);
    },
  },
  {
    name: 'a namespace that does not exist is refused and leaves nothing behind',
    async run(h) {
      const ns = await h.newNamespace();
      await h.deleteNamespace(ns);
      await assert.rejects(h.links.create(spec(ns, 'tcc3', 4)), FailedPreconditionError);
      assert.equal((await h.links.existing(['tcc3'])).has('tcc3'), false);
    },
  },
  {
    name: 'deleting the namespace deletes the pair',
    async run(h) {
      const ns = await h.newNamespace();
      await h.links.create(spec(ns, 'tcc4', 5));
      await h.deleteNamespace(ns);
      // The kernel removes the pair as the namespace goes; give it a moment.
      const deadline = Date.now() + 3000;
      while (((await h.links.existing(['tcc4'])).has('tcc4')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await h.links.existing(['tcc4'])).has('tcc4'), false);
    },
  },
];
