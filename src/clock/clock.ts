/**
 * The one source of time (ARCHITECTURE.md invariants). A later issue adds the synchronization state
 * (NTP offset, source) that records and the audit trail carry; until then it is the system clock.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
