/** The SessionSealer of the owner-onboarding app (built from the key-custody master key). */
export const SESSION_SEALER = Symbol('SESSION_SEALER');
