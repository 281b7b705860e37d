import { CreateInstallation1795223322419 } from './1795223322419-create-installation';
import { CreateLedgerCore1795224000000 } from './1795224000000-create-ledger-core';
import { CreateOwnerKey1795224100000 } from './1795224100000-create-owner-key';
import { CreateManufacturing1795225068985 } from './1795225068985-create-manufacturing';
import { CreateApiKeyAndIdempotency1795225082506 } from './1795225082506-create-api-key-and-idempotency';
import { CreateLedgerApi1795225335563 } from './1795225335563-create-ledger-api';
import { CreateRendezvous1795226000000 } from './1795226000000-create-rendezvous';
import { AddRvRegistrationDeviceKeyJwk1795226100000 } from './1795226100000-add-rv-registration-device-key-jwk';
import { CreateOnboarding1795228413487 } from './1795228413487-create-onboarding';
import { CreateSztp1795229500000 } from './1795229500000-create-sztp';
import { AddCertificateRevocation1795230000000 } from './1795230000000-add-certificate-revocation';
import { DeviceStateMachine1795231000000 } from './1795231000000-device-state-machine';
import { DeviceEtmKeySizes1797000000000 } from './1797000000000-device-etm-key-sizes';
import { AddSztpAuthFailure1797200000000 } from './1797200000000-add-sztp-auth-failure';
import { BindDeviceCaManufacturerKeys1797200000001 } from './1797200000001-bind-device-ca-manufacturer-keys';
import { RvRegistrationVoucherExtension1797300000000 } from './1797300000000-rv-registration-voucher-extension';
import { DeviceLifecycleOperations1797300001000 } from './1797300001000-device-lifecycle-operations';
import { SztpDeviceLifecycle1797300002000 } from './1797300002000-sztp-device-lifecycle';
import { RvRegistrationNoEntries1797300003000 } from './1797300003000-rv-registration-no-entries';
import { OwnerKeyKind1797400000000 } from './1797400000000-owner-key-kind';
import { AddCertificateRenewal1797500000000 } from './1797500000000-add-certificate-renewal';
import { CreateDeviceEvent1797600000000 } from './1797600000000-create-device-event';

/**
 * Every schema migration, oldest first. A new migration: add a file named
 * `<Date.now()>-<what-it-does>.ts` exporting a class `<WhatItDoes><timestamp>` that implements
 * `MigrationInterface` with explicit SQL (no `synchronize`, ever), and append it here. Never edit
 * or reorder a migration that has been committed; write a new one.
 */
export const MIGRATIONS = [
  CreateInstallation1795223322419,
  CreateLedgerCore1795224000000,
  CreateOwnerKey1795224100000,
  CreateManufacturing1795225068985,
  CreateApiKeyAndIdempotency1795225082506,
  CreateLedgerApi1795225335563,
  CreateRendezvous1795226000000,
  AddRvRegistrationDeviceKeyJwk1795226100000,
  CreateOnboarding1795228413487,
  CreateSztp1795229500000,
  AddCertificateRevocation1795230000000,
  DeviceStateMachine1795231000000,
  DeviceEtmKeySizes1797000000000,
  AddSztpAuthFailure1797200000000,
  BindDeviceCaManufacturerKeys1797200000001,
  RvRegistrationVoucherExtension1797300000000,
  DeviceLifecycleOperations1797300001000,
  SztpDeviceLifecycle1797300002000,
  RvRegistrationNoEntries1797300003000,
  OwnerKeyKind1797400000000,
  AddCertificateRenewal1797500000000,
  CreateDeviceEvent1797600000000,
];
