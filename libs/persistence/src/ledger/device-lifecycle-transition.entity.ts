import { Entity, PrimaryColumn } from 'typeorm';
import { type DeviceLifecycle } from './device.entity';

/**
 * One allowed move of the device state machine. Written only by its migration (1795231000000); the
 * `device_lifecycle_guard` trigger on `device` refuses every lifecycle change that has no row here.
 */
@Entity({ name: 'device_lifecycle_transition' })
export class DeviceLifecycleTransitionEntity {
  @PrimaryColumn({ name: 'from_state', type: 'text' })
  fromState!: DeviceLifecycle;

  @PrimaryColumn({ name: 'to_state', type: 'text' })
  toState!: DeviceLifecycle;
}
