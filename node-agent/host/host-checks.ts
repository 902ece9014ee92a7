// Host preconditions the agent checks at start, each with a hint an operator can act on.
import { constants } from 'node:fs';
import { access as fsAccess, readFile as fsReadFile } from 'node:fs/promises';
import { errorMessage } from '../../common/errors.js';

export type ReadTextFile = (path: string, encoding: 'utf8') => Promise<string>;
export type AccessFile = (path: string, mode: number) => Promise<void>;

export const IP_FORWARD_PATH = '/proc/sys/net/ipv4/ip_forward';
export const TUN_DEVICE_PATH = '/dev/net/tun';

const FORWARDING_OFF_HINT =
  'IPv4 forwarding is off: run `sysctl -w net.ipv4.ip_forward=1` (and persist it in /etc/sysctl.d/) or containers on this host cannot reach other hosts';

export interface ForwardingCheck {
  readonly enabled: boolean;
  /** Empty when enabled. */
  readonly hint: string;
}

export interface TunCheck {
  readonly available: boolean;
  /** Empty when available. */
  readonly hint: string;
}

/** Reads net.ipv4.ip_forward of the network namespace this process runs in. */
export async function checkIpForwarding(readFile: ReadTextFile = fsReadFile): Promise<ForwardingCheck> {
  let text: string;
  try {
    text = await readFile(IP_FORWARD_PATH, 'utf8');
  } catch (err) {
    return {
      enabled: false,
      hint: `cannot read ${IP_FORWARD_PATH} (${errorMessage(err)}): is /proc mounted? ${FORWARDING_OFF_HINT}`,
    };
  }
  const enabled = text.trim() === '1';
  return { enabled, hint: enabled ? '' : FORWARDING_OFF_HINT };
}

/** Checks that /dev/net/tun exists and this process may open it read-write. */
export async function checkTunAvailable(access: AccessFile = fsAccess): Promise<TunCheck> {
  try {
    await access(TUN_DEVICE_PATH, constants.R_OK | constants.W_OK);
    return { available: true, hint: '' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return {
        available: false,
        hint: `${TUN_DEVICE_PATH} is missing: run \`modprobe tun\` (persist it in /etc/modules-load.d/); in a container, pass --device ${TUN_DEVICE_PATH}`,
      };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        available: false,
        hint: `${TUN_DEVICE_PATH} is not readable and writable by this process: run the agent as root or with CAP_NET_ADMIN`,
      };
    }
    return { available: false, hint: `cannot access ${TUN_DEVICE_PATH}: ${errorMessage(err)}` };
  }
}
