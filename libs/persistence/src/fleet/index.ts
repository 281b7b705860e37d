export {
  DEVICE_EVENT_PROTOCOLS,
  DEVICE_EVENT_RESULTS,
  DeviceEventEntity,
  type DeviceEventProtocol,
  type DeviceEventResult,
} from './device-event.entity';
export {
  DEVICE_EVENT_COALESCE_SECONDS,
  DeviceEvents,
  type DeviceEventInput,
  type DeviceEventTarget,
  type RecordedDeviceEvent,
} from './device-events';
export {
  DeviceFleetQueries,
  type DeviceEventRow,
  type DeviceListFilter,
  type DeviceListRow,
  type VisibleDevice,
} from './device-fleet-queries';
export { readFleetGauges, type FleetGaugeValues } from './fleet-gauges';
