/**
 * What a configuration plan delivers in TO2 ServiceInfo, stored as `config_plan.content` (jsonb).
 * The REST layer validates it; the bundle renderer turns it into FSIM messages in this order:
 * certificate (fdo.csr), files (fdo.download), wget (fdo.wget), commands (fdo.command), uploads
 * (fdo.upload).
 */
export interface PlanFileDelivery {
  /** A config_file of the same owner. */
  fileId: string;
  /** Name of the file on the device (fdo.download:name). */
  path: string;
}

export interface PlanWget {
  /** http(s) URL the device fetches itself, outside the FDO tunnel. */
  url: string;
  /** Name of the file on the device (fdo.wget:name). */
  path: string;
  /** Expected SHA-384 of the content, hex; the device refuses a mismatch. */
  sha384?: string;
}

export interface PlanCommand {
  command: string;
  args?: string[];
  /** A non-zero exit code does not fail the delivery. */
  mayFail?: boolean;
  returnStdout?: boolean;
  returnStderr?: boolean;
}

export interface PlanUpload {
  /** Name of the file on the device to send back (fdo.upload:name). */
  path: string;
  /** Ask the device for the content's SHA-384 and check it. Default true. */
  needSha?: boolean;
}

export interface PlanCertificate {
  /** Validity of the operational certificate, days. Default 365. */
  validityDays?: number;
}

export interface ConfigPlanContent {
  files?: PlanFileDelivery[];
  wget?: PlanWget[];
  commands?: PlanCommand[];
  uploads?: PlanUpload[];
  /** Issue an operational certificate from the owner CA through fdo.csr; null or absent: none. */
  certificate?: PlanCertificate | null;
}

export const PLAN_SELECTOR_KINDS = ['device', 'device-info', 'group'] as const;
/**
 * Which devices a plan is for: one device (by GUID or serial number), every device whose DeviceInfo
 * matches a glob pattern (`*` any run of characters, `?` one), or the members of a device group.
 */
export type PlanSelectorKind = (typeof PLAN_SELECTOR_KINDS)[number];
