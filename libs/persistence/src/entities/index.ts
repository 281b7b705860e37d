import {
  AuditEventEntity,
  DeviceEntity,
  DeviceLifecycleTransitionEntity,
  OwnerKeyEntity,
  SealedKeyEntity,
  TenantEntity,
  VoucherEntity,
} from '../ledger';
import { InstallationEntity } from './installation.entity';
import {
  ApiKeyEntity,
  AssignmentRuleEntity,
  IdempotencyRecordEntity,
  TransferEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from '../ledger-api';
import { DiSessionEntity, ManufacturerPkiEntity, ManufacturingStationEntity } from '../manufacturing';
import { SZTP_ENTITIES } from '../sztp';
import { RvPolicyEntity, RvPolicyEntryEntity, RvRegistrationEntity, To0StateEntity } from '../rendezvous';
import {
  ConfigBundleEntity,
  ConfigFileEntity,
  ConfigPlanEntity,
  DeviceDevmodEntity,
  DeviceGroupEntity,
  DeviceUploadEntity,
  EstEnrollmentTokenEntity,
  IssuedCertificateEntity,
  OwnerCaCrlEntity,
  OwnerCaEntity,
  OwnerDeviceCaEntity,
  To2SessionEntity,
} from '../onboarding';
import { DeviceEventEntity } from '../fleet/device-event.entity';

/**
 * Every TypeORM entity, registered once. A new entity: add its file under entities/ (or its
 * feature's folder), append the class here, and add a migration that creates its table.
 */
export const ENTITIES = [
  InstallationEntity,
  TenantEntity,
  DeviceEntity,
  DeviceLifecycleTransitionEntity,
  VoucherEntity,
  AuditEventEntity,
  SealedKeyEntity,
  OwnerKeyEntity,
  ManufacturerPkiEntity,
  ManufacturingStationEntity,
  DiSessionEntity,
  ApiKeyEntity,
  IdempotencyRecordEntity,
  ...SZTP_ENTITIES,
  RvRegistrationEntity,
  RvPolicyEntity,
  RvPolicyEntryEntity,
  To0StateEntity,
  TransferEntity,
  WebhookEndpointEntity,
  WebhookDeliveryEntity,
  AssignmentRuleEntity,
  To2SessionEntity,
  ConfigFileEntity,
  DeviceGroupEntity,
  ConfigPlanEntity,
  ConfigBundleEntity,
  DeviceDevmodEntity,
  DeviceUploadEntity,
  OwnerCaEntity,
  OwnerCaCrlEntity,
  OwnerDeviceCaEntity,
  IssuedCertificateEntity,
  EstEnrollmentTokenEntity,
  DeviceEventEntity,
];

export { InstallationEntity };
