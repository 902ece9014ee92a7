// Node names are DNS labels so they are safe in logs, file names and interface names.
import { InvalidArgumentError, quoted } from './errors.js';

const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateNodeName(name: string): string {
  if (typeof name !== 'string' || !NODE_NAME.test(name)) {
    throw new InvalidArgumentError(
      `node name ${quoted(name)} is invalid: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. node-1)`,
    );
  }
  return name;
}
