export * from './di-session.entity';
export * from './manufacturer-pki.entity';
export * from './manufacturing-station.entity';
