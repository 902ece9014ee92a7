// IPv4 forwarding: without it the host drops every packet between a container's veth and
// the TUN device, both ways.
import type { DoctorCheck } from '../doctor.js';
import { fail, ok, type Finding } from '../finding.js';

const CHECK = 'ip-forward';

/** `value`: net.ipv4.ip_forward as read, null when it could not be read. */
export function evaluateForwarding(value: string | null): Finding[] {
  if (value === '1') return [ok(CHECK, 'IPv4 forwarding is on')];
  const what = value === null ? 'net.ipv4.ip_forward cannot be read' : 'IPv4 forwarding is off (net.ipv4.ip_forward=' + value + ')';
  return [
    fail(CHECK, `${what}: this host does not pass packets between its containers and the TUN device, so they reach no other host`, 'sysctl -w net.ipv4.ip_forward=1 (and persist it in /etc/sysctl.d/)'),
  ];
}

export const forwardingCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    return evaluateForwarding(await ctx.probe.ipv4Sysctl('ip_forward'));
  },
};
