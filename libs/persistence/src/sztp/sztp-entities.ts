import { SztpAuthFailureEntity } from './sztp-auth-failure.entity';
import { SztpDeviceTypeEntity } from './sztp-device-type.entity';
import { SztpDeviceEntity } from './sztp-device.entity';
import { SztpLdevidEntity } from './sztp-ldevid.entity';
import { SztpMasaEntity } from './sztp-masa.entity';
import { SztpOnboardingProfileEntity } from './sztp-onboarding-profile.entity';
import { SztpOwnerEntity } from './sztp-owner.entity';
import { SztpProgressEventEntity } from './sztp-progress-event.entity';
import { SztpVoucherEntity } from './sztp-voucher.entity';

/** The SZTP entities, for ENTITIES. */
export const SZTP_ENTITIES = [
  SztpDeviceTypeEntity,
  SztpOnboardingProfileEntity,
  SztpDeviceEntity,
  SztpMasaEntity,
  SztpOwnerEntity,
  SztpVoucherEntity,
  SztpProgressEventEntity,
  SztpLdevidEntity,
  SztpAuthFailureEntity,
];
