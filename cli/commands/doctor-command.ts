// tunctl doctor: checks this host for what breaks the overlay and says how to fix it.
import { agentSocketPath, AGENT_SOCKET_HELP, AGENT_SOCKET_OPTION } from '../agent-client.js';
import { OUTPUT_OPTION, type Command } from '../command.js';
import { askAgent } from '../doctor/agent-facts.js';
import { agentCheck } from '../doctor/checks/agent-check.js';
import { controllerCheck } from '../doctor/checks/controller-check.js';
import { firewallCheck } from '../doctor/checks/firewall-check.js';
import { forwardingCheck } from '../doctor/checks/forwarding-check.js';
import { mtuCheck } from '../doctor/checks/mtu-check.js';
import { peersCheck } from '../doctor/checks/peers-check.js';
import { proxyArpCheck } from '../doctor/checks/proxy-arp-check.js';
import { routesCheck } from '../doctor/checks/routes-check.js';
import { rpFilterCheck } from '../doctor/checks/rp-filter-check.js';
import { runDoctor, type DoctorCheck } from '../doctor/doctor.js';
import { LinuxHostProbe } from '../doctor/linux-host-probe.js';
import { exitCode, renderJson, renderTable } from '../doctor/report.js';
import { durationFlag, intFlag } from '../flags.js';
import { parseOutputFormat } from '../output.js';

/** The controller's default --udp-port: what agents use unless the cluster was made with another. */
const DEFAULT_UDP_PORT = 7000;
const DEFAULT_PEER_SILENCE_S = 30;

/** In the order an operator would fix things: the agent, the host, the overlay. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [agentCheck, forwardingCheck, proxyArpCheck, rpFilterCheck, mtuCheck, firewallCheck, routesCheck, controllerCheck, peersCheck];

export const doctor: Command = {
  name: 'doctor',
  summary: 'check this host for what breaks the overlay, and say how to fix it',
  positionals: [],
  help: [
    'usage: tunctl doctor [--agent-socket PATH] [--tun NAME] [--udp-port N] [--peer-silence DURATION] [-o table|json]',
    '',
    'Checks, on this host (run it as root, in the host\'s network namespace): the agent answers;',
    'IPv4 forwarding; proxy ARP on each container\'s veth; reverse-path filtering on the TUN device',
    '(asked of the kernel for each peer); the TUN MTU against the underlay and each container\'s MTU',
    'against the TUN; nftables and legacy iptables rules that drop the UDP port; the controller',
    'connection; routes on the TUN device (missing, foreign, or overridden); peers that this host',
    'keeps sending to but that send nothing back. Each problem comes with the command that fixes',
    'it. Exit status 1 when a check fails (warnings alone: 0).',
    '',
    AGENT_SOCKET_HELP,
    '  --tun NAME              the TUN device when the agent does not answer (default tun0)',
    `  --udp-port N            the agents' UDP port when the agent does not answer (default ${DEFAULT_UDP_PORT})`,
    `  --peer-silence DURATION how long a peer we send to may send nothing before it is a fault (default ${DEFAULT_PEER_SILENCE_S}s)`,
    '  -o, --output table|json  output format (default table; json: an array of {check, level, message, fix})',
  ].join('\n'),
  options: { ...AGENT_SOCKET_OPTION, tun: { type: 'string' }, 'udp-port': { type: 'string' }, 'peer-silence': { type: 'string' }, ...OUTPUT_OPTION },
  async run(values) {
    const format = parseOutputFormat(values.output as string | undefined);
    const udpPort = intFlag('udp-port', values['udp-port'], DEFAULT_UDP_PORT, 1, 65535);
    const peerSilenceMs = durationFlag('peer-silence', values['peer-silence'], DEFAULT_PEER_SILENCE_S, 3600) * 1000;
    const agent = await askAgent(agentSocketPath(values));
    const status = 'status' in agent ? agent.status : null;
    const findings = await runDoctor(DOCTOR_CHECKS, {
      probe: new LinuxHostProbe(),
      now: Date.now(),
      agent,
      tunName: status?.tunName ?? ((values.tun as string | undefined) || 'tun0'),
      udpPort: status?.udpPort ?? udpPort,
      peerSilenceMs,
    });
    process.stdout.write(format === 'json' ? renderJson(findings) : renderTable(findings));
    return exitCode(findings);
  },
};
