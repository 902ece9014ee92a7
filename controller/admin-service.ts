// AdminService handlers: validate, call the store, publish the change, convert to proto.
import type { Logger } from '../common/logger.js';
import { formatCidr, formatIpv4 } from '../common/cidr.js';
import type { AdminServiceHandlers } from '../proto/gen/tunctl/v1/AdminService.js';
import { networkToProto, nodeToProto, routeToProto } from './proto-convert.js';
import type { RouteFeed } from './route-feed.js';
import { unary } from './rpc-errors.js';
import type { Store } from './store/store.js';
import { optionalSubnet, requireNodeName, requireUnderlayIp } from './validate.js';

export interface AdminServiceDeps {
  readonly store: Store;
  readonly feed: RouteFeed;
  readonly logger: Logger;
  readonly now: () => Date;
}

export function adminServiceHandlers({ store, feed, logger, now }: AdminServiceDeps): AdminServiceHandlers {
  return {
    AddNode: unary('AddNode', logger, (req) => {
      const name = requireNodeName(req.name);
      const underlayIp = requireUnderlayIp(req.underlayIp, store.network());
      const subnet = optionalSubnet(req.subnet);
      const at = now();
      const { node, revision } = store.addNode({ name, underlayIp, subnet }, at);
      feed.publish({ revision, op: 'add', at, route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
      logger.info('node added', { node: node.name, underlay_ip: formatIpv4(node.underlayIp), subnet: formatCidr(node.subnet), revision });
      return { node: nodeToProto(node, feed.isConnected(node.name)), revision };
    }),

    GetNode: unary('GetNode', logger, (req) => {
      const node = store.getNode(requireNodeName(req.name));
      return { node: nodeToProto(node, feed.isConnected(node.name)) };
    }),

    ListNodes: unary('ListNodes', logger, () => {
      const revision = store.latestRevision();
      return { nodes: store.listNodes().map((n) => nodeToProto(n, feed.isConnected(n.name))), revision };
    }),

    RemoveNode: unary('RemoveNode', logger, (req) => {
      const { node, revision } = store.removeNode(requireNodeName(req.name));
      feed.publish({ revision, op: 'remove', at: now(), route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
      feed.closeNode(node.name, `node "${node.name}" was removed from the cluster; add it again with \`tunctl add-node ${node.name} --underlay-ip ${formatIpv4(node.underlayIp)}\``);
      logger.info('node removed', { node: node.name, subnet: formatCidr(node.subnet), revision });
      return { node: nodeToProto(node, false), revision };
    }),

    ListRoutes: unary('ListRoutes', logger, () => {
      const { routes, revision } = store.routeSnapshot();
      return { routes: routes.map(routeToProto), revision };
    }),

    GetNetwork: unary('GetNetwork', logger, () => {
      const usage = store.poolUsage();
      return { network: networkToProto(store.network()), subnetsTotal: usage.total, subnetsUsed: usage.used, revision: store.latestRevision() };
    }),
  };
}
