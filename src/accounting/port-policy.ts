// §6: what a NAS's sessions do when two are open on one port. The one definition: the CLI's choices, the
// session rules and the migration's CHECK constraint all read it from here.
export const PORT_POLICIES = ['autoclose', 'flag', 'ignore'] as const;

export type PortPolicy = (typeof PORT_POLICIES)[number];

export const DEFAULT_PORT_POLICY: PortPolicy = 'autoclose';

export function isPortPolicy(value: string): value is PortPolicy {
  return (PORT_POLICIES as readonly string[]).includes(value);
}
