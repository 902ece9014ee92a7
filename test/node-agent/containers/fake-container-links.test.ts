import { test } from 'node:test';
import { FakeContainerLinks } from '../../../node-agent/containers/fake-container-links.js';
import { containerLinksComplianceCases, type ContainerLinksHarness } from './container-links-compliance.js';

function fakeHarness(): ContainerLinksHarness {
  const links = new FakeContainerLinks();
  let next = 0;
  return {
    links,
    newNamespace: async () => {
      const path = `/run/netns/fake-${next++}`;
      links.namespaces.add(path);
      return path;
    },
    deleteNamespace: async (path) => links.deleteNamespace(path),
    addForeignInterface: async (path, ifname) => void links.foreign.add(`${path} ${ifname}`),
    dispose: async () => undefined,
  };
}

for (const c of containerLinksComplianceCases) {
  test(`FakeContainerLinks compliance: ${c.name}`, async () => {
    const h = fakeHarness();
    try {
      await c.run(h);
    } finally {
      await h.dispose();
    }
  });
}
