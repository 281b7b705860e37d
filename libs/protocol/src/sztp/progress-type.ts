/**
 * The 27 `progress-type` enumerations of report-progress (RFC 8572, ietf-sztp-bootstrap-server
 * YANG module), in the module's order. The OPI sztp-agent numbers them in the same order.
 */
export const PROGRESS_TYPES = [
  'bootstrap-initiated',
  'parsing-initiated',
  'parsing-warning',
  'parsing-error',
  'parsing-complete',
  'boot-image-initiated',
  'boot-image-warning',
  'boot-image-error',
  'boot-image-mismatch',
  'boot-image-installed-rebooting',
  'boot-image-complete',
  'pre-script-initiated',
  'pre-script-warning',
  'pre-script-error',
  'pre-script-complete',
  'config-initiated',
  'config-warning',
  'config-error',
  'config-complete',
  'post-script-initiated',
  'post-script-warning',
  'post-script-error',
  'post-script-complete',
  'bootstrap-warning',
  'bootstrap-error',
  'bootstrap-complete',
  'informational',
] as const;

export type ProgressType = (typeof PROGRESS_TYPES)[number];

export function isProgressType(value: string): value is ProgressType {
  return (PROGRESS_TYPES as readonly string[]).includes(value);
}

/**
 * Progress types after which the device has abandoned this bootstrap server (their YANG
 * descriptions say so): useful for a per-device state machine.
 */
export const TERMINAL_ERROR_PROGRESS_TYPES: readonly ProgressType[] = [
  'parsing-error',
  'boot-image-error',
  'pre-script-error',
  'config-error',
  'post-script-error',
  'bootstrap-error',
];
