import { Module } from '@nestjs/common';

/**
 * The owner onboarding app's own modules and controllers (the platform adds health, metrics, info, docs).
 * A new controller: declare it in a feature module and import that module here.
 */
@Module({ imports: [] })
export class OwnerOnboardingModule {}
