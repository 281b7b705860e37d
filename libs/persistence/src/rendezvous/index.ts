export * from './rv-policy.entity';
export * from './rv-registration.entity';
export * from './to0-state.entity';
export * from './to0-status';
export * from './rv-registration-sweep';
export * from './rv-registration-withdrawal';
